"""Outbound data: how a line queued for a client reaches its socket.

While a thread handles a chunk of input it opens a `delivery_batch()`, and every line
it queues is *staged* in that thread's own dict (outbox -> list of lines): a room
message to N members costs N list appends, with no lock and no flag to check. When the
batch ends, each touched outbox takes its staged lines in one locked step (`commit`)
and is flushed: the lines leave in one non-blocking `send`, made without holding the
outbox lock (a flag keeps one sender at a time, so lines stay in order while other
threads go on committing). Whatever the kernel will not take now stays queued and is
handed to the single `Writer` thread (`writer.py`), which finishes it when the socket
turns writable. Labeled replies are framed in `labeled.py`.

A client whose queue passes the SendQ limit is dropped through `on_fatal`, alone:
nobody else ever waits on it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from .transport import Transport

if TYPE_CHECKING:
    from .labeled import labeled_response
    from .writer import Writer


class Sink(Protocol):
    """Where a user's lines go: what `User` and the delivery functions need of an
    `Outbox` (unit tests give them a fake)."""

    def put(self, data: bytes) -> None: ...

    def put_now(self, data: bytes, lead: bool = False) -> None: ...

    def commit(self, lines: list[bytes]) -> bool: ...

    def flush(self) -> None: ...


class _Staging(threading.local):
    """This thread's delivery state. The class attributes are what every thread starts
    with (reading one is as cheap as reading a set one: the hot path reads `stage`)."""

    stage: dict[Sink, list[bytes]] | None = None  # staged lines, while a batch is open
    owed: set[Sink] | None = None  # committed early (put_now): the batch's end flushes them
    label: labeled_response | None = None  # the labeled command being gathered, if any


staging = _Staging()


class delivery_batch:
    """Stage the lines queued in the block; commit and flush them when it ends
    (a nested block joins the outer one). The `own` outbox (the client whose input
    this is) goes last: when a client sees the replies to its command, the lines that
    command sent to others are already queued for them."""

    __slots__ = ("own", "outer")

    def __init__(self, own: Sink | None = None) -> None:
        self.own = own

    def __enter__(self) -> None:
        self.outer = staging.stage is not None
        if not self.outer:
            staging.stage = {}
            staging.owed = set()

    def __exit__(self, *exc: object) -> None:
        if self.outer:
            return
        stage = staging.stage
        owed = staging.owed
        assert stage is not None and owed is not None
        staging.stage = staging.owed = None
        last = self.own
        own_lines = stage.pop(last, None) if last is not None else None
        # Commit everything first, then send: a line committed meanwhile by another
        # thread to an outbox this batch will flush rides along in the same send.
        due = [outbox for outbox, lines in stage.items()
               if outbox.commit(lines) or outbox in owed]
        if last is not None and ((own_lines and last.commit(own_lines)) or last in owed):
            due.append(last)
        due += [outbox for outbox in owed if outbox is not last and outbox not in stage]
        for outbox in due:
            outbox.flush()


def put_many(outboxes: Iterable[Sink], data: bytes, skip: object = None) -> None:
    """One line for many outboxes (a room message): the hot path, kept to an append."""
    stage = staging.stage
    if stage is None:
        for outbox in outboxes:
            if outbox is not skip:
                outbox.put(data)
        return
    get = stage.get
    for outbox in outboxes:
        if outbox is skip:
            continue
        lines = get(outbox)
        if lines is None:
            stage[outbox] = [data]
        else:
            lines.append(data)


class Outbox:
    """One client's queue of committed lines (the flags below keep one sender at a time)."""

    def __init__(self, transport: Transport, writer: Writer, limit: int,
                 on_fatal: Callable[[str], None]) -> None:
        self.transport = transport
        self.fileno = transport.sock.fileno()
        self.limit = limit
        self._writer = writer
        self._on_fatal = on_fatal
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._size = 0
        self._waiting = False     # the writer owns the next flush (socket was full)
        self._sending = False     # one thread is sending right now (outside the lock)
        self._due = False         # a thread has committed and is about to flush
        self.closed = False

    def put(self, data: bytes) -> None:
        """Queue a line: staged in the current batch, or committed and sent now."""
        stage = staging.stage
        if stage is None:
            if self.commit([data]):
                self.flush()
            return
        lines = stage.get(self)
        if lines is None:
            stage[self] = [data]
        else:
            lines.append(data)

    def put_now(self, data: bytes, lead: bool = False) -> None:
        """Commit at once (with what this thread staged before it), so that no other
        thread's line can overtake it: a room's events are committed under the room
        lock, in the order they happen (see `state.py`). Inside a labeled command the
        client's own copy joins the labeled reply, unless it must `lead` it (the JOIN
        echo: the room's traffic may follow at once)."""
        stage = staging.stage
        if stage is None:
            self.put(data)
            return
        label = staging.label
        if label is not None and label.outbox is self and not lead:
            stage.setdefault(self, []).append(data)
            return
        earlier = stage.pop(self, None)
        lines = [*earlier, data] if earlier else [data]
        if label is not None and label.outbox is self:
            lines = label.now(lines)
        if self.commit(lines):
            owed = staging.owed
            assert owed is not None
            owed.add(self)  # flushed when the batch ends (not here: no socket
                                   # call under the room lock put_now runs in)

    # The locked regions below make no Python-level calls (no properties, no methods):
    # the GIL can then not change hands inside them, so a thread never sleeps holding
    # an outbox lock that another thread is about to need.

    def commit(self, lines: list[bytes]) -> bool:
        """Append lines to the queue in one locked step, enforcing the SendQ. True if
        the caller must flush: no flush is already due, running, or left to the writer
        (then the lines leave with that one)."""
        size = len(lines[0]) if len(lines) == 1 else sum(map(len, lines))
        with self._lock:
            if self.closed:
                return False
            self._chunks += lines
            self._size += size
            overflow = self._size > self.limit
            if overflow:
                self._sending = False
                self.closed = True
                self._chunks = []
                self._size = 0
                due = False
            elif self._due or self._sending or self._waiting:
                due = False
            else:
                self._due = due = True
        if overflow:
            self._on_fatal("SendQ exceeded")
        return due

    def flush(self) -> None:
        """Send what is queued, unless another thread is sending or the socket is full."""
        transport = self.transport
        with self._lock:
            self._due = False
            if self._sending or self._waiting or self.closed \
                    or not (self._chunks or transport.pending):
                return
            self._sending = True  # this thread alone sends now
            chunks, self._chunks = self._chunks, []
        self._drain(chunks)

    def on_writable(self) -> None:
        """Called by the writer thread when the socket can take more."""
        transport = self.transport
        with self._lock:
            self._waiting = False
            if self._sending or self.closed or not (self._chunks or transport.pending):
                return
            self._sending = True
            chunks, self._chunks = self._chunks, []
        self._drain(chunks)

    def _drain(self, chunks: list[bytes]) -> None:
        """Send `chunks` (taken from the queue by the claiming thread), then whatever
        was queued meanwhile, until the queue is empty or the socket is full. Only the
        claiming thread gets here, so lines leave in order; the lock is not held during
        the syscall, so others keep queuing meanwhile."""
        while True:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            try:
                sent = self.transport.send_nowait(data)
            except OSError as exc:
                self.close_queue()
                self._on_fatal(f"Write error: {exc.strerror or exc}")
                return
            rest = data[sent:] if sent < len(data) else b""
            pending = self.transport.pending
            with self._lock:
                if self.closed:
                    self._sending = False
                    return
                self._size -= sent
                if rest:
                    self._chunks.insert(0, rest)
                if rest or pending:
                    self._sending = False
                    self._waiting = True  # the writer takes over when it can send
                    break
                if not self._chunks:
                    self._sending = False
                    return
                chunks, self._chunks = self._chunks, []
        self._writer.watch(self)

    def finish(self, wait: float = 0.2) -> None:
        """Before closing: let what is queued (an ERROR line, a last QUIT) leave, if
        the socket takes it; another thread may be mid-send, so wait a moment for it."""
        stage = staging.stage
        if stage is not None:
            staged = stage.pop(self, None)
            label = staging.label
            if label is not None and label.outbox is self and not label.spent:
                staged = label.reply(staged or [])  # the client's last reply: an ERROR
            if staged:
                self.commit(staged)
            if staging.owed is not None:
                staging.owed.discard(self)  # flushed here
        deadline = time.monotonic() + wait
        while True:
            self.flush()
            with self._lock:
                done = self.closed or self._waiting or not (self._sending or self._chunks)
            if done or time.monotonic() > deadline:
                return
            time.sleep(0.001)

    def close_queue(self) -> None:
        """Stop accepting lines; what is queued is dropped."""
        with self._lock:
            self._sending = False
            self.closed = True
            self._chunks = []
            self._size = 0

    def close(self) -> None:
        """Close the queue and leave the writer (before the socket is closed)."""
        self.close_queue()
        self._writer.forget(self)
