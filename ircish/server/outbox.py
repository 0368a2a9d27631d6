"""Outbound data: how a line queued for a client reaches its socket.

While a thread handles a chunk of input it opens a `delivery_batch()`, and every line
it queues is *staged* in that thread's own dict (outbox -> list of lines): a room
message to N members costs N list appends, with no lock and no flag to check. When the
batch ends, each touched outbox takes its staged lines in one locked step and is
flushed: the lines leave in one non-blocking `send`, made without holding the outbox
lock (a flag keeps one sender at a time, so lines stay in order while other threads go
on committing). Whatever the kernel will not take now stays queued and is handed to the
single `Writer` thread, which finishes it when the socket turns writable. A client
whose queue passes the SendQ limit is dropped through `on_fatal`, alone: nobody else
ever waits on it.
"""
from __future__ import annotations

import itertools
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from ..protocol import escape_tag_value
from .transport import Transport

log = logging.getLogger(__name__)

_local = threading.local()  # .stage: this thread's staged lines, while a batch is open;
                            # .label: the labeled_response being gathered, if any


class Sink(Protocol):
    """Where a user's lines go: what `User` and the delivery functions need of an
    `Outbox` (unit tests give them a fake)."""

    def put(self, data: bytes) -> None: ...

    def put_now(self, data: bytes, lead: bool = False) -> None: ...

    def commit(self, lines: list[bytes]) -> bool: ...

    def flush(self) -> None: ...


class delivery_batch:
    """Stage the lines queued in the block; commit and flush them when it ends
    (a nested block joins the outer one). The `own` outbox (the client whose input
    this is) goes last: when a client sees the replies to its command, the lines that
    command sent to others are already queued for them."""

    __slots__ = ("own", "outer")

    def __init__(self, own: Sink | None = None) -> None:
        self.own = own

    def __enter__(self) -> None:
        self.outer = getattr(_local, "stage", None) is not None
        if not self.outer:
            _local.stage = {}
            _local.owed = set()  # outboxes put_now committed to: their flush is ours

    def __exit__(self, *exc: object) -> None:
        if self.outer:
            return
        stage: dict[Sink, list[bytes]] = _local.stage
        owed: set[Sink] = _local.owed
        _local.stage = _local.owed = None
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


class labeled_response:
    """IRCv3 labeled-response: what one labeled command sends its own client becomes one
    labeled reply: a single line carries the `label` tag, several are wrapped in a
    `labeled-response` batch, none gets a labeled ACK. Those lines are exactly the ones
    this thread staged for that outbox while the command ran (used inside a
    `delivery_batch`); a `put_now` (the JOIN echo) opens the batch early."""

    _ids = itertools.count(1)
    __slots__ = ("outbox", "label", "source", "batch", "aside", "spent")

    def __init__(self, outbox: Outbox, label: str, server_name: str) -> None:
        self.outbox = outbox
        self.label = b"label=" + escape_tag_value(label).encode("utf-8", "replace")
        self.source = server_name.encode()
        self.batch: bytes | None = None
        self.aside: list[bytes] = []  # lines to this client that are not the reply
        self.spent = False

    def __enter__(self) -> None:
        earlier = _local.stage.pop(self.outbox, None)  # answers to earlier commands
        if earlier and self.outbox.commit(earlier):
            _local.owed.add(self.outbox)
        _local.label = self

    def __exit__(self, *exc: object) -> None:
        _local.label = None
        if not self.spent:
            _local.stage[self.outbox] = self.reply(_local.stage.pop(self.outbox, None) or [])

    def reply(self, lines: list[bytes]) -> list[bytes]:
        """The labeled form of the command's lines (once: the label is then spent)."""
        self.spent = True
        if self.batch is not None:
            reply = self._in_batch(lines)
        elif not lines:
            reply = [b"@" + self.label + b" :" + self.source + b" ACK\r\n"]
        elif len(lines) == 1:
            reply = [_tagged(lines[0], self.label)]
        else:
            reply = self._open() + self._in_batch(lines)
        return reply + self.aside

    def now(self, lines: list[bytes]) -> list[bytes]:
        """Lines committed ahead of the rest (put_now): the batch starts with them."""
        return (self._open() if self.batch is None else []) + self._in_batch(lines, end=False)

    def _open(self) -> list[bytes]:
        self.batch = f"{next(self._ids):x}".encode()
        return [b"@%s :%s BATCH +%s labeled-response\r\n" % (self.label, self.source,
                                                             self.batch)]

    def _in_batch(self, lines: list[bytes], end: bool = True) -> list[bytes]:
        assert self.batch is not None
        tag = b"batch=" + self.batch
        out = [_tagged(line, tag) for line in lines]
        if end:
            out.append(b":%s BATCH -%s\r\n" % (self.source, self.batch))
        return out


def put_aside(outbox: Sink, data: bytes) -> None:
    """A line for a client that is not part of the reply to its labeled command: its
    own message to itself arrives unlabeled (only the echo-message copy is the reply)."""
    label = getattr(_local, "label", None)
    if label is not None and label.outbox is outbox:
        label.aside.append(data)
    else:
        outbox.put(data)


def _tagged(line: bytes, tag: bytes) -> bytes:
    """A serialized line with one more tag."""
    if line.startswith(b"@"):
        return b"@" + tag + b";" + line[1:]
    return b"@" + tag + b" " + line


def put_many(outboxes: Iterable[Sink], data: bytes, skip: object = None) -> None:
    """One line for many outboxes (a room message): the hot path, kept to an append."""
    stage = getattr(_local, "stage", None)
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
        stage = getattr(_local, "stage", None)
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
        stage = getattr(_local, "stage", None)
        if stage is None:
            self.put(data)
            return
        label = getattr(_local, "label", None)
        if label is not None and label.outbox is self and not lead:
            stage.setdefault(self, []).append(data)
            return
        earlier = stage.pop(self, None)
        lines = [*earlier, data] if earlier else [data]
        if label is not None and label.outbox is self:
            lines = label.now(lines)
        if self.commit(lines):
            _local.owed.add(self)  # flushed when the batch ends (not here: no socket
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
        stage = getattr(_local, "stage", None)
        if stage is not None:
            staged = stage.pop(self, None)
            label = getattr(_local, "label", None)
            if label is not None and label.outbox is self and not label.spent:
                staged = label.reply(staged or [])  # the client's last reply: an ERROR
            if staged:
                self.commit(staged)
            _local.owed.discard(self)  # flushed here
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


class Writer:
    """The one thread that finishes writes the kernel could not take at once.

    Uses epoll in one-shot mode, so registering from any thread is safe and each
    readiness event hands the outbox back exactly once.
    """

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = os.pipe()  # written once, to stop the thread
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._lock = threading.Lock()
        self._watched: dict[int, Outbox] = {}
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2)
        self._epoll.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def watch(self, outbox: Outbox) -> None:
        mask = select.EPOLLOUT | select.EPOLLONESHOT
        with self._lock:
            if outbox.closed:
                return
            try:
                if outbox.fileno in self._watched:
                    self._epoll.modify(outbox.fileno, mask)
                else:
                    self._epoll.register(outbox.fileno, mask)
            except OSError as exc:  # the socket is already gone
                log.debug("writer: cannot watch fd %d: %s", outbox.fileno, exc)
                return
            self._watched[outbox.fileno] = outbox

    def forget(self, outbox: Outbox) -> None:
        """Must be called before the outbox's socket is closed (its fd may be reused)."""
        with self._lock:
            if self._watched.get(outbox.fileno) is outbox:
                del self._watched[outbox.fileno]
                try:
                    self._epoll.unregister(outbox.fileno)
                except OSError:
                    pass

    def _run(self) -> None:
        while not self._stop:
            try:
                events = self._epoll.poll()
            except InterruptedError:
                continue
            for fd, _ in events:
                with self._lock:
                    outbox = self._watched.get(fd)
                if outbox is not None:
                    outbox.on_writable()
