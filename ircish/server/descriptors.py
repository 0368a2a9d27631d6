"""File descriptors as a budget: each client holds one (its socket), so the client cap
must fit under the process's limit, and a client that cannot be accepted for want of
one is still told why (a descriptor kept aside for that: the libev/nginx trick)."""
from __future__ import annotations

import errno
import logging
import os
import resource
import select
import socket
from typing import NamedTuple

log = logging.getLogger("ircish.server")

# accept() failing with these means no descriptor was free (for the process, the system)
OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE})


class Budget(NamedTuple):
    """What start-up settled on: the soft limit before and after, and the client cap."""

    soft_before: int
    soft: int
    max_clients: int    # the effective cap
    asked: int          # --max-clients
    headroom: int

    def log(self) -> None:
        raised = (f"soft limit raised {self.soft_before} -> {self.soft}"
                  if self.soft != self.soft_before else f"limit {self.soft}")
        if self.max_clients < self.asked:
            log.warning("file descriptors: %s; max clients lowered %d -> %d (%d descriptors, "
                        "%d kept for files, listeners and logs)", raised, self.asked,
                        self.max_clients, self.soft, self.headroom)
        else:
            log.info("file descriptors: %s; max clients %d", raised, self.max_clients)


def fit_clients(max_clients: int, headroom: int) -> Budget:
    """Raise the soft RLIMIT_NOFILE to what `max_clients` + `headroom` need (never past
    the hard limit, never lowering it), and lower the client cap to fit what was got.
    The caller logs the outcome (`Budget.log`)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = soft
    wanted = max_clients + headroom
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = target
            except (ValueError, OSError) as exc:  # e.g. past fs.nr_open
                log.warning("file descriptors: cannot raise the soft limit %d -> %d: %s",
                            soft, target, exc)
    room = max_clients if soft == resource.RLIM_INFINITY else max(1, soft - headroom)
    return Budget(before, soft, min(max_clients, room), max_clients, headroom)


class Spare:
    """One descriptor kept open on /dev/null so that, with none left, a waiting client
    can still be accepted, told why it cannot stay, and closed."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.reserve()

    def reserve(self) -> None:
        if self.fd is None:
            try:
                self.fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                self.fd = None  # still none free: try again next time

    def release(self) -> bool:
        """Give the descriptor back to the process; False if none was held."""
        if self.fd is None:
            return False
        os.close(self.fd)
        self.fd = None
        return True

    def close(self) -> None:
        self.release()


def waiting(listener: socket.socket, seconds: float) -> bool:
    """Whether a connection waits on `listener` (within `seconds`). accept() fails for
    want of a descriptor before it looks at the queue, so this tells an empty queue
    from a client left hanging."""
    poller = select.poll()  # poll, unlike epoll, takes no descriptor of its own
    poller.register(listener.fileno(), select.POLLIN)
    return bool(poller.poll(int(seconds * 1000)))


def turn_away(listener: socket.socket, spare: Spare, reason: str) -> bool:
    """With no descriptor free and a client waiting: free the spare, accept the client,
    tell it `reason` in an ERROR line, close it, and reserve the spare again. False if it
    could not be done (no spare held, or another thread took the freed descriptor)."""
    if not spare.release():
        spare.reserve()
        return False
    try:
        listener.setblocking(False)  # the client may have given up since: do not wait
        try:
            sock, address = listener.accept()
        finally:
            listener.setblocking(True)
    except OSError:
        spare.reserve()
        return False
    refuse(sock, closing_link(address[0], reason))
    spare.reserve()
    return True


def refuse(sock: socket.socket, line: bytes) -> None:
    """Send a just-accepted client its ERROR line (if its buffer takes it) and close."""
    try:
        sock.send(line, socket.MSG_DONTWAIT)
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def closing_link(host: str, reason: str) -> bytes:
    return f"ERROR :Closing Link: {host} ({reason})\r\n".encode()
