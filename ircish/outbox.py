"""Outbound data: how a line queued for a client reaches its socket.

Queuing a line (`Outbox.put`) is a list append under the outbox's own lock: no socket
call and no thread wake-up, so fanning a message out to N room members costs N appends.
The sending thread opens a `delivery_batch()` around each chunk of input it handles;
every outbox touched in the batch is flushed once at its end, its queued lines leaving
in one non-blocking `send`, made without holding the outbox lock (a flag keeps one
sender at a time, so lines stay in order while others go on queuing). Whatever the
kernel will not take now stays queued and is handed to the single `Writer` thread,
which finishes it when the socket turns writable; meanwhile new lines just append. A client whose queue passes the SendQ limit is
dropped through `on_fatal`, alone: nobody else ever waits on it.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .transport import Transport

log = logging.getLogger(__name__)

_batch = threading.local()
EARLY_FLUSH = 32 * 1024  # queued bytes that are flushed at once, whoever's batch has them


@contextmanager
def delivery_batch() -> Iterator[None]:
    """Defer flushes to the end of the block (nested blocks join the outer one)."""
    if getattr(_batch, "pending", None) is not None:
        yield
        return
    pending: list[Outbox] = []
    _batch.pending = pending
    try:
        yield
    finally:
        _batch.pending = None
        for outbox in pending:
            outbox.flush()


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
        self._scheduled = False   # a flush is already due (in some thread's batch)
        self._waiting = False     # the writer owns the next flush (socket was full)
        self._sending = False     # one thread is sending right now (outside the lock)
        self.closed = False

    @property
    def queued(self) -> int:
        return self._size

    def put(self, data: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            self._chunks.append(data)
            self._size += len(data)
            overflow = self._size > self.limit
            if overflow:
                self._sending = False
                self.closed = True
                self._chunks = []
                self._size = 0
            elif self._waiting:
                return  # the writer flushes when the socket can take more
            elif self._size >= EARLY_FLUSH:
                pass    # flush now: another thread's long batch must not hold it back
            elif self._scheduled:
                return  # some batch flushes it later (`_scheduled` is that promise)
            else:
                self._scheduled = True
                pending = getattr(_batch, "pending", None)
                if pending is not None:
                    pending.append(self)
                    return
        if overflow:
            self._on_fatal("SendQ exceeded")
        else:
            self.flush()

    # The locked regions below make no Python-level calls (no properties, no methods):
    # the GIL can then not change hands inside them, so a thread never sleeps holding
    # an outbox lock that another thread is about to need.

    def flush(self) -> None:
        transport = self.transport
        with self._lock:
            self._scheduled = False
            if self._sending or self._waiting or self.closed \
                    or not (self._chunks or transport.pending):
                return
            self._sending = True  # this thread alone sends now
        self._drain()

    def on_writable(self) -> None:
        """Called by the writer thread when the socket can take more."""
        transport = self.transport
        with self._lock:
            self._waiting = False
            if self._sending or self.closed or not (self._chunks or transport.pending):
                return
            self._sending = True
        self._drain()

    def _drain(self) -> None:
        """Send until the queue is empty or the socket is full. Only the claiming thread
        gets here, so lines leave in order; the lock is not held during the syscall, so
        others keep queuing meanwhile (and this loop sends what they added)."""
        while True:
            with self._lock:
                if self.closed:
                    self._sending = False
                    return
                chunks, self._chunks = self._chunks, []
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
        self._writer.watch(self)

    def finish(self, wait: float = 0.2) -> None:
        """Before closing: let what is queued (an ERROR line, a last QUIT) leave, if
        the socket takes it; another thread may be mid-send, so wait a moment for it."""
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
