"""Logins: SASL logins a second, and a storm of failed logins beside a fan-out.

- `logins`: `workers` clients log in over and over (connect, CAP, AUTHENTICATE, 903,
  QUIT) to accounts the scenario registers first. PLAIN costs the server one scrypt
  check on its one hashing thread; SCRAM-SHA-256 moves the key stretching (PBKDF2) to
  the client and leaves the server a few HMACs. A server without SASL (ngircd and
  miniircd here have no accounts) shows "no SASL".
- `LoginStorm`: connections from another loopback address (127.0.0.2, so that "one
  address" is not also the chatters') that send wrong passwords as fast as the server
  answers; `scenarios.fanout(storm=N)` runs it meanwhile, and the table shows the
  fan-out's rate against the same server's undisturbed one ("vs no storm").
Blocking sockets on threads: a login is a short dialogue, not a stream.
"""
from __future__ import annotations

import base64
import socket
import threading
import time
from multiprocessing.synchronize import Event as StopEvent
from types import TracebackType

import scramp

from .background import Background, job
from .loadgen import percentile

PASSWORD = "correct-horse-battery"
STORM_ADDRESS = "127.0.0.2"


class Dialogue:
    """One blocking connection, read line by line."""

    def __init__(self, host: str, port: int, source: str | None = None,
                 timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def line(self) -> str:
        while b"\r\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed by the server")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def until(self, *words: str) -> tuple[str, list[str]]:
        """Read until a line whose command is one of `words`; (command, params)."""
        while True:
            line = self.line()
            parts = line.split(" ")
            if parts[0].startswith(":"):
                parts = parts[1:]
            if parts and parts[0] == "PING":
                self.send(f"PONG {parts[1] if len(parts) > 1 else ''}")
                continue
            if parts and parts[0] in words:
                return parts[0], parts[1:]

    def close(self) -> None:
        try:
            self.send("QUIT")
        except OSError:
            pass
        self.sock.close()


def offers_sasl(host: str, port: int) -> str | None:
    """The server's `sasl` capability value ("" without one), or None without SASL."""
    d = Dialogue(host, port)
    try:
        d.send("CAP LS 302")
        offered = ""
        while True:
            _, params = d.until("CAP")
            offered += " " + " ".join(params[2:]).lstrip(":")
            if params[1:2] != ["*"] and (len(params) < 3 or params[2] != "*"):
                break
        for cap in offered.split():
            if cap == "sasl" or cap.startswith("sasl="):
                return cap.partition("=")[2]
        return None
    finally:
        d.close()


def register(host: str, port: int, name: str) -> None:
    d = Dialogue(host, port)
    try:
        d.send(f"NICK r{name}", f"USER {name} 0 * :bench")  # `name` may be owned already
        d.until("001")
        d.send(f"REGISTER {name} * :{PASSWORD}")
        word, params = d.until("REGISTER", "FAIL")  # `REGISTER SUCCESS <account> :…`
        if word == "FAIL" and "ACCOUNT_EXISTS" not in params:
            raise RuntimeError(f"REGISTER {name}: {' '.join(params)}")
    finally:
        d.close()


def authenticate(d: Dialogue, mechanism: str, account: str, password: str) -> bool:
    """One SASL exchange on an open connection: True on 903."""
    d.send(f"AUTHENTICATE {mechanism}")
    word, _ = d.until("AUTHENTICATE", "904", "906")
    if word != "AUTHENTICATE":  # refused at once (e.g. a throttled address)
        return False
    if mechanism == "PLAIN":
        d.send("AUTHENTICATE " + base64.b64encode(
            f"{account}\0{account}\0{password}".encode()).decode())
    else:
        client = scramp.ScramClient([mechanism], account, password)
        d.send("AUTHENTICATE " + base64.b64encode(client.get_client_first().encode()).decode())
        word, params = d.until("AUTHENTICATE", "904", "906")
        if word != "AUTHENTICATE":
            return False
        try:
            client.set_server_first(base64.b64decode(params[0]).decode())
        except scramp.ScramException:
            return False
        d.send("AUTHENTICATE " + base64.b64encode(client.get_client_final().encode()).decode())
        word, params = d.until("AUTHENTICATE", "904", "906")
        if word != "AUTHENTICATE":
            return False
        d.send("AUTHENTICATE +")
    word, _ = d.until("903", "904", "905", "906")
    return word == "903"


def login_once(host: str, port: int, mechanism: str, account: str, nick: str) -> bool:
    d = Dialogue(host, port)
    try:
        d.send("CAP LS 302", "CAP REQ sasl", f"NICK {nick}", f"USER {nick} 0 * :bench")
        d.until("CAP")
        ok = authenticate(d, mechanism, account, PASSWORD)
        d.send("CAP END")
        d.until("001")
        return ok
    finally:
        d.close()


def logins(host: str, port: int, pid: int, mechanism: str = "PLAIN", workers: int = 4,
           seconds: float = 3.0) -> dict[str, float | str]:
    """SASL logins a second with `workers` clients logging in over and over."""
    from .scenarios import Window
    mechanisms = offers_sasl(host, port)
    if mechanisms is None or (mechanisms and mechanism not in mechanisms.split(",")):
        return {"logins/s": "no SASL" if mechanisms is None else f"no {mechanism}"}
    names = [f"acct{i}" for i in range(workers)]
    for name in names:
        register(host, port, name)
    times: list[list[int]] = [[] for _ in names]
    failed = [0] * workers
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            start = time.perf_counter_ns()
            try:
                ok = login_once(host, port, mechanism, names[i], f"w{i}x{n}")
            except (OSError, ConnectionError):
                ok = False
            n += 1
            if ok:
                times[i].append(time.perf_counter_ns() - start)
            else:
                failed[i] += 1

    window = Window(pid)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timed = window.close()
    done = [t for per in times for t in per]
    return {**timed, "logins/s": len(done) / timed["seconds"], "failed": sum(failed),
            "login p50 ms": percentile(done, 0.5), "login p99 ms": percentile(done, 0.99)}


# --- the storm -----------------------------------------------------------------

def _storm_one(host: str, port: int, index: int, stop: StopEvent,
               results: list[int]) -> None:
    """Wrong passwords as fast as the server answers; reconnect when dropped."""
    attempts = 0
    while not stop.is_set():
        try:
            d = Dialogue(host, port, source=STORM_ADDRESS, timeout=5)
        except OSError:
            time.sleep(0.05)
            continue
        try:
            d.send("CAP LS 302", "CAP REQ sasl", f"NICK storm{index}",
                   "USER storm 0 * :storm")
            d.until("CAP")
            while not stop.is_set():
                authenticate(d, "PLAIN", f"acct{index % 4}", "wrong password")
                attempts += 1
        except (OSError, ConnectionError, IndexError):
            pass
        finally:
            d.sock.close()
    results.append(attempts)


class LoginStorm:
    """`with LoginStorm(host, port, connections):` failed logins while the block runs,
    from their own process (the fan-out's load generator is not disturbed)."""

    def __init__(self, host: str, port: int, connections: int) -> None:
        self.host, self.port, self.connections = host, port, connections
        self.figures: dict[str, float] = {}
        self._storm = Background([job(_storm_one, host, port, i) for i in range(connections)])

    def __enter__(self) -> LoginStorm:
        self.sasl = offers_sasl(self.host, self.port) is not None
        if not self.sasl:
            return self  # nothing to storm: the row shows "no SASL"
        for i in range(4):   # the accounts the storm guesses at exist
            register(self.host, self.port, f"acct{i}")
        self._storm.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.sasl:
            self.figures = {"storm logins failed": float("nan")}
            return
        results, seconds = self._storm.stop(wait=20)
        self.figures = {"storm logins failed": sum(results),
                        "storm attempts/s": sum(results) / seconds}
