"""The one thread that finishes writes the kernel could not take at once.

An outbox whose socket is full (its state WAITING, see `outbox.py`) asks to be watched;
when the socket turns writable the writer calls its `flush(writable=True)`, the same
send path every other thread uses. `Writer._lock` guards the fd map and the epoll
registrations and nothing else (its rank is in `state/__init__.py`); the flush is called after
it is released.
"""
from __future__ import annotations

import logging
import os
import select
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .outbox import Outbox

log = logging.getLogger(__name__)


class Writer:
    """Uses epoll in one-shot mode, so registering from any thread is safe and each
    readiness event hands the outbox back exactly once."""

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
        """Flush `outbox` once its socket can take more (called by its sending thread)."""
        mask = select.EPOLLOUT | select.EPOLLONESHOT
        with self._lock:
            if outbox.closed:  # under the lock: close() forgets it after closing it
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
                    outbox.flush(writable=True)
