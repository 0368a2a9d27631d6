"""Attackers for the "abuse" scenario: connections that stream junk a server must count.

Each attacker registers, then writes one kind of junk as fast as the server takes it:
empty lines, lines of spaces, over-long (600-byte) lines, or one line that never ends.
They run in their own process (the load generator's loop measures the healthy members
undisturbed), with blocking sockets, so a server that stops reading slows them through
TCP alone. The figures: how many were dropped, how much they got the server to read,
and the server's memory at the end.
"""
from __future__ import annotations

import socket
from multiprocessing.synchronize import Event as StopEvent
from types import TracebackType

from .background import Background, job
from .loadgen import proc_status

JUNK = {
    "empty": b"\r\n" * 4096,
    "spaces": b"     \r\n" * 1024,
    "overlong": (b"PRIVMSG #nowhere :" + b"x" * 600 + b"\r\n") * 16,
    "endless": b"x" * 8192,
}


def attack(host: str, port: int, kind: str, index: int, stop: StopEvent,
           results: list[tuple[int, bool]]) -> None:
    """One attacker: (bytes the kernel took, whether the server closed on it)."""
    sent, dropped = 0, False
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(f"NICK junk{kind[:3]}{index}\r\nUSER j 0 * :junk\r\n".encode())
            sock.settimeout(0.2)
            chunk = JUNK[kind]
            while not stop.is_set():
                try:
                    sent += sock.send(chunk)
                except TimeoutError:
                    dropped = _closed(sock)  # not reading: see whether it hung up
                    if dropped:
                        break
                except OSError:
                    dropped = True
                    break
    except OSError:
        dropped = True
    results.append((sent, dropped))


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (EOF or reset after its ERROR)."""
    try:
        while True:
            data = sock.recv(65536, socket.MSG_DONTWAIT)
            if not data:
                return True
    except (BlockingIOError, TimeoutError):  # nothing to read now: still open
        return False
    except OSError:
        return True


class Attack:
    """`with Attack(host, port, pid, per_kind):` junk streams while the block runs."""

    def __init__(self, host: str, port: int, pid: int, per_kind: int = 4) -> None:
        self.host, self.port, self.pid, self.per_kind = host, port, pid, per_kind
        self.figures: dict[str, float] = {}
        self._attackers = Background([job(attack, host, port, kind, i)
                                      for kind in JUNK for i in range(per_kind)])

    def __enter__(self) -> Attack:
        self._attackers.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        rss = proc_status(self.pid).get("VmRSS", 0) / 1024
        results: list[tuple[int, bool]] = self._attackers.stop(wait=15)[0]
        attackers = len(JUNK) * self.per_kind
        self.figures = {
            "attackers": attackers,
            "attackers dropped": sum(dropped for _, dropped in results),
            "junk MiB taken": sum(sent for sent, _ in results) / 2**20,
            "server RSS MiB": rss,
        }
