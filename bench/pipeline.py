"""The cost of one message with no waiting in it: a sender writes `messages` private
messages to a receiver in one go, and the server's CPU time is divided by them; and the
same message sent one at a time (`one_at_a_time`), each waiting for the last to arrive.

In the other scenarios a message also pays for waking threads, for the scheduler and
for the load generator's own pace; here a reader thread finds its input already
waiting and works through it, so what is measured is the server's own work per
message: framing, parsing, relaying, rendering, queueing, sending, and history (the
ircish/ircish-nohist columns tell that part apart). It is the figure a change to the
per-message path (compiling it, say: build_native.py) moves first.

One at a time, every message arrives alone: the server's reader wakes for it, handles
it and goes back to sleep, and nothing else runs meanwhile. The difference between the
two figures is what a message costs because it arrives alone (the wake-up, a system
call or two that pipelining shares among many messages, caches gone cold): what a thread
per client pays for every private message in the ping-pong, where an event loop shares
one wake-up among all the sockets ready at once.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from .scenarios import Figures, server_cpu

TEXT = b"x" * 60


def _registered(host: str, port: int, nick: str, wait: float = 30.0) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=wait)
    sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
    seen = b""
    deadline = time.monotonic() + wait
    while b" 376 " not in seen and b" 422 " not in seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{nick}: no end of MOTD")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"{nick}: closed while registering")
        seen = seen[-512:] + chunk
    return sock


Exchange = Callable[[socket.socket, socket.socket, bytes], int]


def _measured(host: str, port: int, pid: int, prefix: str, messages: int,
              exchange: Exchange) -> Figures:
    """Register a sender and a receiver, run `exchange(sender, receiver, line)` (it
    returns the lines received) and divide the server's CPU by what arrived."""
    sender = _registered(host, port, f"{prefix}send")
    receiver = _registered(host, port, f"{prefix}recv")
    line = f"PRIVMSG {prefix}recv :".encode() + TEXT + b"\r\n"
    try:
        cpu, wall = server_cpu(pid), time.monotonic()
        got = exchange(sender, receiver, line)
        wall, cpu = time.monotonic() - wall, server_cpu(pid) - cpu
        return {"server µs/message": cpu / max(1, got) * 1e6,
                "messages/s": got / wall,
                "lost": messages - got}
    finally:
        sender.close()
        receiver.close()


def pipeline(host: str, port: int, pid: int, messages: int = 40_000,
             wait: float = 60.0) -> Figures:
    def exchange(sender: socket.socket, receiver: socket.socket, line: bytes) -> int:
        got = 0
        done = threading.Event()

        def read() -> None:
            nonlocal got
            receiver.settimeout(wait)
            try:
                while got < messages:
                    chunk = receiver.recv(1 << 20)
                    if not chunk:
                        break
                    got += chunk.count(b"\n")
            except OSError:
                pass
            done.set()

        threading.Thread(target=read, daemon=True).start()
        sender.sendall(line * messages)
        done.wait(wait)
        return got

    return _measured(host, port, pid, "pipe", messages, exchange)


def one_at_a_time(host: str, port: int, pid: int, messages: int = 10_000,
                  wait: float = 10.0) -> Figures:
    def exchange(sender: socket.socket, receiver: socket.socket, line: bytes) -> int:
        receiver.settimeout(wait)
        got = 0
        try:
            for _ in range(messages):
                sender.sendall(line)
                chunk = receiver.recv(65536)
                while chunk and not chunk.endswith(b"\n"):  # (TCP may split a line)
                    more = receiver.recv(65536)
                    if not more:
                        break
                    chunk += more
                if not chunk:
                    break
                got += chunk.count(b"\n")
        except OSError:     # a message that does not arrive in `wait`: counted as lost
            pass
        return got

    return _measured(host, port, pid, "seq", messages, exchange)
