"""File descriptors are a budget: the server raises its soft limit, fits its client cap
under it, and a client it cannot take is told so (`Server is full`), never left hanging,
even when the descriptors ran out before the cap (the reserved descriptor). Each test
runs the server as a subprocess with a lowered RLIMIT_NOFILE."""
from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .ircclient import Client

FULL = "ERROR :Closing Link: 127.0.0.1 (Server is full)"


@dataclass
class Process:
    proc: subprocess.Popen[str]
    address: tuple[str, int] = ("127.0.0.1", 0)
    log: list[str] = field(default_factory=list)

    def logged(self, text: str) -> list[str]:
        return [line for line in self.log if text in line]


@contextmanager
def server_process(tmp_path: Path, soft: int, hard: int, *args: str) -> Iterator[Process]:
    """The server with RLIMIT_NOFILE (soft, hard), its stderr collected in `log`."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    proc = subprocess.Popen([sys.executable, "-m", "ircish.server", "--port", "0",
                             "--max-per-ip", "0", "--log-level", "INFO", *args],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            preexec_fn=limit)
    server = Process(proc)
    listening = threading.Event()

    def read_log() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            server.log.append(line.rstrip("\n"))
            if " listening on " in line:
                server.address = ("127.0.0.1", int(line.rsplit(":", 1)[1]))
            elif " file descriptors: " in line:  # logged next
                listening.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        assert listening.wait(10), server.log
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        reader.join(timeout=5)


def test_the_soft_limit_is_raised_to_what_the_cap_needs(tmp_path: Path) -> None:
    with server_process(tmp_path, 64, 4096, "--max-clients", "100",
                        "--fd-headroom", "30") as server:
        assert [line.split(" ", 2)[2] for line in server.logged("file descriptors:")] == [
            "INFO ircish.server: file descriptors: soft limit raised 64 -> 130; "
            "max clients 100"]  # after the date and time
        with open(f"/proc/{server.proc.pid}/limits") as limits:
            assert [line.split()[3:5] for line in limits
                    if line.startswith("Max open files")] == [["130", "4096"]]


def test_the_cap_is_lowered_to_fit_and_the_client_past_it_is_told(tmp_path: Path) -> None:
    clients: list[Client] = []
    with server_process(tmp_path, 64, 64, "--fd-headroom", "54") as server:
        assert [line.split(": ", 1)[1] for line in server.logged("file descriptors:")] == [
            "file descriptors: limit 64; max clients lowered 16000 -> 10 "
            "(64 descriptors, 54 kept for files, listeners and logs)"]
        try:
            for i in range(10):
                clients.append(Client(server.address, f"c{i}"))
                clients[-1].register(f"c{i}")
            for attempt in range(3):  # and again: refusing costs it no descriptor
                extra = Client(server.address, f"extra{attempt}")
                extra.expect_exact(FULL)
                extra.assert_closed()
                extra.close()
            for client in clients:
                client.send("PING :still-here")
            for client in clients:
                client.expect(r" PONG \S+ :still-here$")
            clients.pop().close()  # one leaves: one may come in
            clients.append(_admitted(server.address, "late"))
        finally:
            for client in clients:
                client.close()


def test_out_of_descriptors_below_the_cap_the_spare_one_tells_the_client(
        tmp_path: Path) -> None:
    """No headroom: the cap (64) is above what the process can hold, since its own files
    count too, so accept() runs out first. The extra clients are told and closed by way
    of the reserved descriptor; the accept loop does not spin; once some leave, new
    clients are served again."""
    clients: list[Client] = []
    with server_process(tmp_path, 64, 64, "--fd-headroom", "0") as server:
        assert server.logged("max clients lowered 16000 -> 64 (64 descriptors, 0 kept")
        try:
            for i in range(64):  # the kernel completes the handshakes; accept() runs dry
                clients.append(Client(server.address, f"c{i}"))
                _send_registration(clients[-1])
            told = [c for c in clients if _first_answer(c) == FULL]
            served = [c for c in clients if c not in told]
            assert 40 < len(served) < 64 and len(told) == 64 - len(served)
            for client in told:
                client.assert_closed()
            assert server.logged("accept failed: [Errno 24] Too many open files")
            cpu_before = _cpu_seconds(server.proc.pid)
            time.sleep(1.0)  # the period over which CPU use is measured: the point
            assert _cpu_seconds(server.proc.pid) - cpu_before < 0.3  # no spinning
            for client in served:
                client.send("PING :still-here")
            for client in served:
                client.expect(r" PONG \S+ :still-here$")
            for client in served[:10]:
                client.close()
            clients.append(_admitted(server.address, "newcomer"))
            assert server.proc.poll() is None
        finally:
            for client in clients:
                client.close()


def _send_registration(client: Client) -> None:
    try:  # one write: a refused client's socket may be closed by the time of a second
        client.send_raw(f"NICK {client.name}\r\nUSER {client.name} 0 * :Test User\r\n"
                        .encode())
    except OSError:
        pass  # refused already: its ERROR line is waiting to be read


def _first_answer(client: Client) -> str:
    """The ERROR line, or "welcome" (the end of it)."""
    line = client.expect(r"^ERROR .*| (376|422) .*").string
    return line if line.startswith("ERROR") else "welcome"


def _admitted(address: tuple[str, int], nick: str, wait: float = 5.0) -> Client:
    """A client registered as `nick`, connecting again while the server answers that
    it is full (it frees a departed client's place a moment after the close)."""
    deadline = time.monotonic() + wait
    while True:
        client = Client(address, nick)
        _send_registration(client)
        if _first_answer(client) != FULL:
            return client
        client.close()
        assert time.monotonic() < deadline, f"{nick}: still refused after {wait}s"
        time.sleep(0.05)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0
