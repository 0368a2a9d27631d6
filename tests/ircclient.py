"""A tiny line-oriented IRC test client: send a line, expect a reply, with bounded waits.

Modelled on miniircd's tests: a test reads like the session it checks.
"""
from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable

DEFAULT_WAIT = 3.0


class Client:
    def __init__(self, address: tuple[str, int], name: str = "?",
                 tls: ssl.SSLContext | None = None, source: str | None = None) -> None:
        """`source`: the local address to connect from (any of 127.0.0.0/8 reaches a
        server on 127.0.0.1, so a test can be several clients' addresses)."""
        self.name = name
        self.sock = socket.create_connection(address, timeout=DEFAULT_WAIT,
                                             source_address=(source, 0) if source else None)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self._buf = b""
        self.lines: list[str] = []  # received, not yet consumed
        self.auto_pong = False      # answer server PINGs as a real client would
        self.closed = False

    # --- sending ----------------------------------------------------------------

    def send(self, line: str) -> None:
        self.send_raw(line.encode() + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    # --- receiving --------------------------------------------------------------

    def _fill(self, deadline: float) -> bool:
        """Read what arrives before `deadline`; False on timeout or EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return False
        self._buf += data
        *complete, self._buf = self._buf.split(b"\r\n")
        for raw in complete:
            line = raw.decode("utf-8", "replace")
            if self.auto_pong and line.startswith("PING "):
                self.send("PONG " + line[5:])
            self.lines.append(line)
        return True

    def next_line(self, wait: float = DEFAULT_WAIT) -> str:
        """The very next line received (fails if none arrives)."""
        deadline = time.monotonic() + wait
        while not self.lines:
            if not self._fill(deadline):
                raise AssertionError(f"{self.name}: no line within {wait}s")
        return self.lines.pop(0)

    def expect(self, pattern: str, wait: float = DEFAULT_WAIT) -> re.Match[str]:
        """Skip lines until one matches `pattern` (re.search); fail after `wait`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + wait
        seen: list[str] = []
        while True:
            while self.lines:
                line = self.lines.pop(0)
                match = regex.search(line)
                if match:
                    return match
                seen.append(line)
            if not self._fill(deadline):
                raise AssertionError(f"{self.name}: nothing matched {pattern!r}; got {seen!r}")

    def expect_exact(self, *expected: str, wait: float = DEFAULT_WAIT) -> None:
        """The next lines are exactly these, in this order."""
        for want in expected:
            got = self.next_line(wait)
            assert got == want, f"{self.name}: got {got!r}, expected {want!r}"

    def collect(self, until: str, wait: float = DEFAULT_WAIT) -> list[str]:
        """Every line up to and including the first matching `until`."""
        regex = re.compile(until)
        out: list[str] = []
        while True:
            line = self.next_line(wait)
            out.append(line)
            if regex.search(line):
                return out

    def drain(self) -> list[str]:
        """Consume everything up to a PING/PONG round trip: all that the server had
        queued for us before it read our PING."""
        self._syncs = getattr(self, "_syncs", 0) + 1
        token = f"drain-{self._syncs}"
        self.send(f"PING {token}")
        lines = self.collect(rf" PONG \S+ :{token}$")
        return lines[:-1]

    def assert_silent(self) -> None:
        """Nothing arrived: a PING round trip (see `drain`) brought back nothing but its
        PONG. Bounded by the server's answer, not by a guess at how long it takes; the
        caller makes sure the event whose absence it checks has happened first (its
        author got its reply, or the author's own `drain()`)."""
        got = self.drain()
        assert got == [], f"{self.name}: expected nothing, got {got!r}"

    def assert_closed(self, wait: float = DEFAULT_WAIT) -> None:
        deadline = time.monotonic() + wait
        self.closed = False
        while not self.closed:
            if (not self._fill(deadline) and not self.closed
                    and time.monotonic() >= deadline):
                raise AssertionError(f"{self.name}: connection still open")

    # --- conveniences -------------------------------------------------------------

    def register(self, nick: str, user: str | None = None, realname: str = "Test User") -> None:
        self.name = nick
        self.send(f"NICK {nick}")
        self.send(f"USER {user or nick} 0 * :{realname}")
        self.expect(r" (376|422) ")

    def join(self, room: str) -> None:
        self.send(f"JOIN {room}")
        self.expect(rf" 366 \S+ {re.escape(room)} ")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def wait_until(condition: Callable[[], bool], wait: float = DEFAULT_WAIT) -> None:
    """Poll `condition` (server-side state settles just after a socket closes)."""
    deadline = time.monotonic() + wait
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {wait}s")
        time.sleep(0.01)
