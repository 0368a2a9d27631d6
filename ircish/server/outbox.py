"""Outbound data: how a line queued for a client reaches its socket.

While a thread handles a chunk of input it opens a `delivery_batch()`, and every line
it queues is *staged* in that thread's own dict (outbox -> list of lines): a room
message to N members costs N list appends, with no lock and no flag to check. When the
batch ends, each touched outbox takes its staged lines in one locked step (`commit`)
and is flushed: the lines leave in one non-blocking `send`, made without holding the
outbox lock (the queue's state keeps one sender at a time, so lines stay in order while
other threads go on committing). Whatever the kernel will not take now stays queued and
is handed to the single `Writer` thread (`writer.py`), which flushes it again when the
socket turns writable. Labeled replies are framed in `labeled.py`.

A client whose queue passes the SendQ limit is closed and dropped through `on_fatal`,
alone: nobody else ever waits on it. A commit may run under a room lock (`put_now`), so
the overflow only closes the queue there and leaves the call to whoever flushes next:
the end of the batch, once every lock is released. The locks are ranked in `state/__init__.py`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Final, Protocol

from .staging import staging


class Socket(Protocol):
    def fileno(self) -> int: ...


class Wire(Protocol):
    """What an outbox needs of its transport (`transport.py`; the unit tests' fake)."""

    @property
    def sock(self) -> Socket: ...

    @property
    def pending(self) -> bool: ...   # bytes accepted but not yet on the wire (TLS)

    def send_nowait(self, data: bytes) -> int: ...


class Watcher(Protocol):
    """What an outbox needs of the writer thread (`writer.py`; the unit tests' fake)."""

    def watch(self, outbox: Outbox) -> None: ...

    def forget(self, outbox: Outbox) -> None: ...


class Sink(Protocol):
    """Where a user's lines go: what `User` and the delivery functions need of an
    `Outbox` (unit tests give them a fake)."""

    def put(self, data: bytes) -> None: ...

    def put_now(self, data: bytes, lead: bool = False) -> None: ...

    def commit(self, lines: list[bytes]) -> bool: ...

    def flush(self, writable: bool = False) -> None: ...




class delivery_batch:
    """Stage the lines queued in the block; commit and flush them when it ends
    (a nested block joins the outer one). The `own` outbox (the client whose input
    this is) goes last: when a client sees the replies to its command, the lines that
    command sent to others are already queued for them. The end of the outermost block
    holds no lock, so the flushes (and any SendQ drop they report) happen there."""

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


# The queue's states (`Outbox._state`). Plain ints, not an Enum: the locked regions
# compare them without a Python-level call.
IDLE: Final = 0
DUE: Final = 1
SENDING: Final = 2
WAITING: Final = 3
CLOSED: Final = 4


class Outbox:
    """One client's queue of committed lines, and the one way they leave: `flush`.

    Who may send is one state, changed only under `_lock`:

      state    what it means                       who moves it, to what
      -------  ----------------------------------  ----------------------------------------
      IDLE     no send owed or running             commit -> DUE (it returns True: the
                                                   committer owes a flush)
      DUE      a committer is about to flush       flush -> SENDING, or IDLE if nothing is
                                                   left (any flush: another may come first)
      SENDING  one thread sends, outside the lock  that thread (in _drain) -> IDLE when the
               (commits just append: the lines     queue is empty, WAITING when the socket
               ride along in its next send)        is full (then it watches the socket)
      WAITING  the writer owns the next flush      flush(writable=True), the writer's alone
                                                   -> SENDING, or IDLE if nothing is left
      CLOSED   nothing is queued or sent again     any state -> CLOSED: commit (SendQ
                                                   overflow), a send error, close_queue

    A commit in DUE, SENDING or WAITING returns False: the flush already owed or running
    takes its lines. An overflow also returns True: the next flush, whoever makes it,
    reports the reason (`_fatal`) to `on_fatal`, once.
    """

    def __init__(self, transport: Wire, writer: Watcher, limit: int,
                 on_fatal: Callable[[str], None]) -> None:
        self.transport = transport
        self.fileno = transport.sock.fileno()
        self.limit = limit
        self._writer = writer
        self._on_fatal = on_fatal
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._size = 0
        self._state = IDLE
        self._fatal: str | None = None  # why the queue closed, until a flush reports it

    @property
    def closed(self) -> bool:
        return self._state == CLOSED

    @property
    def backed_up(self) -> bool:
        """Over half its SendQ is queued or staged by this thread: its reader takes no
        new command until the client has read some. (`_size` is read without the lock:
        a hint; the staged lines are this thread's own, usually none or a few.)"""
        stage = staging.stage
        staged = stage.get(self) if stage else None
        queued = self._size + (sum(map(len, staged)) if staged else 0)
        return queued > self.limit >> 1

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
        lock, in the order they happen (see `state/__init__.py`). The flush is left to the end
        of the batch (no socket call, and no SendQ drop, under the room lock); outside
        a batch this is `put`. Inside a labeled command the client's own copy joins the
        labeled reply, unless it must `lead` it (the JOIN echo: the room's traffic may
        follow at once)."""
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
            owed.add(self)  # flushed when the batch ends, with no lock held

    # The locked regions below make no Python-level calls (no properties, no methods):
    # the GIL can then not change hands inside them, so a thread never sleeps holding
    # an outbox lock that another thread is about to need.

    def commit(self, lines: list[bytes]) -> bool:
        """Append lines to the queue in one locked step, enforcing the SendQ. True if
        the caller owes a flush: none was due, running, or left to the writer (else
        the lines leave with that one), or the queue just overflowed (the flush
        reports it)."""
        size = len(lines[0]) if len(lines) == 1 else sum(map(len, lines))
        with self._lock:
            state = self._state
            if state == CLOSED:
                return False
            self._chunks += lines
            self._size += size
            if self._size > self.limit:
                self._state = CLOSED
                self._chunks = []
                self._size = 0
                self._fatal = "SendQ exceeded"
                return True
            if state != IDLE:
                return False
            self._state = DUE
            return True

    def flush(self, writable: bool = False) -> None:
        """The one send path: send what is queued, unless another thread is sending or
        the socket is full. `writable`: the writer's call, when the socket it watched
        can take more (only that call ends WAITING). On a closed queue, report why it
        closed if that is still owed. Call it holding no lock: it sends, and a report
        ends the connection."""
        transport = self.transport
        with self._lock:
            state = self._state
            if state == (WAITING if writable else DUE):
                state = self._state = IDLE
            if state == CLOSED:
                fatal, self._fatal = self._fatal, None
            else:
                if state != IDLE or not (self._chunks or transport.pending):
                    return
                self._state = SENDING  # this thread alone sends now
                chunks, self._chunks = self._chunks, []
        if state != CLOSED:
            self._drain(chunks)
        elif fatal is not None:
            self._on_fatal(fatal)

    def _drain(self, chunks: list[bytes]) -> None:
        """Send `chunks` (taken from the queue by the claiming thread), then whatever
        was queued meanwhile, until the queue is empty or the socket is full. Only the
        sending thread gets here, so lines leave in order; the lock is not held during
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
                if self._state == CLOSED:
                    return
                self._size -= sent
                if rest:
                    self._chunks.insert(0, rest)
                full = bool(rest or pending)
                if full:
                    self._state = WAITING  # the writer takes over when it can send
                elif not self._chunks:
                    self._state = IDLE
                    return
                else:
                    chunks, self._chunks = self._chunks, []
            if full:  # (not a break inside the with: mypyc compiles no such break)
                break
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
                state = self._state
                done = state in (CLOSED, WAITING) or (state != SENDING and not self._chunks)
            if done or time.monotonic() > deadline:
                return
            time.sleep(0.001)

    def close_queue(self) -> None:
        """Stop accepting lines; what is queued is dropped (and a SendQ overflow not
        yet reported stays unreported: the connection is ending anyway)."""
        with self._lock:
            self._state = CLOSED
            self._chunks = []
            self._size = 0
            self._fatal = None

    def close(self) -> None:
        """Close the queue and leave the writer (before the socket is closed)."""
        self.close_queue()
        self._writer.forget(self)
