"""A thousand clients leaving at once: what a healthy client's PING round trip is
meanwhile, and how long the server takes to clean up.

    python -m bench.mass_quit [--clients 1000] [--rooms 4] [--port PORT]

Starts ircish (unless --port names a running server), connects N clients spread over a
few rooms, and one healthy client in all of them that PINGs every 10 ms; then closes the
N sockets at once. Reports the PING p50/max while they leave and the time until the
healthy client has seen every QUIT (the server has cleaned up after all of them).
"""
from __future__ import annotations

import argparse
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from .servers import free_port, wait_listening


def register(address: tuple[str, int], n: int, rooms: list[str]) -> list[socket.socket]:
    socks = []
    for i in range(n):
        sock = socket.create_connection(address)
        sock.sendall(f"NICK q{i}\r\nUSER q{i} 0 * :q\r\nJOIN {rooms[i % len(rooms)]}\r\n"
                     .encode())
        socks.append(sock)
    drain_until(socks, b" 366 ")
    return socks


def drain_until(socks: list[socket.socket], marker: bytes, wait: float = 60.0) -> None:
    """Read every socket until each has shown `marker`, then whatever else is there."""
    sel = selectors.DefaultSelector()
    pending: dict[socket.socket, bytes] = {}
    for sock in socks:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, sock)
        pending[sock] = b""
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(1.0):
            sock = key.data
            data = sock.recv(65536)
            if sock in pending:
                seen = pending[sock] + data
                if marker in seen:
                    del pending[sock]
                else:
                    pending[sock] = seen[-200:]
    for key, _ in sel.select(0.5):  # the JOINs of later joiners, once
        key.data.recv(1 << 20)
    sel.close()
    if pending:
        raise SystemExit(f"{len(pending)} clients never saw {marker!r}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mass_quit")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=4)
    parser.add_argument("--port", type=int, help="a running server (default: start one)")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds of quiet PINGs before the close (time to attach a "
                             "profiler to a --port server)")
    args = parser.parse_args()
    proc = None
    port = args.port
    scratch = tempfile.TemporaryDirectory(prefix="mass-quit-")  # its history, never ./data
    if port is None:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "ircish.server", "--port", str(port),
                                 "--max-per-ip", "0", "--no-flood-control",
                                 "--log-level", "WARNING", "--data-dir", scratch.name])
        wait_listening(port, proc)
        print(f"server pid {proc.pid}", flush=True)
    address = ("127.0.0.1", port)
    rooms = [f"#mass{r}" for r in range(args.rooms)]
    try:
        healthy = socket.create_connection(address)
        healthy.sendall(f"NICK healthy\r\nUSER h 0 * :h\r\nJOIN {','.join(rooms)}\r\n"
                        .encode())
        started = time.monotonic()
        socks = register(address, args.clients, rooms)
        print(f"{args.clients} clients in {len(rooms)} rooms: {time.monotonic() - started:.1f} s",
              flush=True)
        quits = 0
        rtts: list[tuple[float, float]] = []  # (sent at, round trip)
        sent: dict[str, float] = {}
        stop = threading.Event()
        lock = threading.Lock()

        def reader() -> None:
            nonlocal quits
            buf = b""
            healthy.settimeout(0.5)
            while not stop.is_set():
                try:
                    data = healthy.recv(1 << 20)
                except TimeoutError:
                    continue
                if not data:
                    return
                buf += data
                *lines, buf = buf.split(b"\r\n")
                now = time.monotonic()
                for line in lines:
                    if b" QUIT " in line:
                        quits += 1
                    elif b" PONG " in line:
                        token = line.rsplit(b":", 1)[1].decode()
                        with lock:
                            if token in sent:
                                at = sent.pop(token)
                                rtts.append((at, now - at))

        def pinger() -> None:
            i = 0
            while not stop.is_set():
                i += 1
                with lock:
                    sent[f"p{i}"] = time.monotonic()
                healthy.sendall(f"PING :p{i}\r\n".encode())
                time.sleep(0.01)

        threads = [threading.Thread(target=reader), threading.Thread(target=pinger)]
        for thread in threads:
            thread.start()
        time.sleep(args.settle)
        with lock:
            quiet = sorted(rtt for _, rtt in rtts)
            rtts.clear()
        cpu_before = _cpu(proc.pid) if proc is not None else None
        closing = time.monotonic()
        for sock in socks:
            sock.close()
        while quits < args.clients and time.monotonic() - closing < 60:
            time.sleep(0.005)
        cleaned = time.monotonic() - closing
        cpu = _cpu(proc.pid) if proc is not None else None
        time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join()
        with lock:
            during = sorted(rtt for at, rtt in rtts if at < closing + cleaned)
        missing = len(sent)
        print(f"PING before: p50 {_ms(statistics.median(quiet))} max {_ms(quiet[-1])} "
              f"({len(quiet)} pings)")
        print(f"PING during: p50 {_ms(statistics.median(during))} max {_ms(during[-1])} "
              f"({len(during)} pings, {missing} unanswered at the end)")
        print(f"all {quits} QUITs seen after {cleaned * 1000:.0f} ms")
        if cpu is not None and cpu_before is not None:
            print(f"server CPU meanwhile: user {cpu[0] - cpu_before[0]:.2f} s, "
                  f"system {cpu[1] - cpu_before[1]:.2f} s")
        healthy.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        scratch.cleanup()


def _cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / 100.0, int(fields[12]) / 100.0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


if __name__ == "__main__":
    main()
