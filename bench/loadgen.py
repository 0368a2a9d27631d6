"""A cheap IRC load generator: one epoll loop drives every simulated client.

It never parses lines once a scenario runs. Receivers count deliveries with
`bytes.count(b"\\n")` over each chunk, and latency is taken from a sample of marked
messages (a fixed-width timestamp after `MARK`) found with `bytes.find`. It reports
its own CPU use, since on 2 cores a saturated generator makes any server look slow.
"""
from __future__ import annotations

import os
import random
import resource
import select
import socket
import time
from dataclasses import dataclass, field

MARK = b"~T"                 # followed by a 19-digit monotonic_ns timestamp
MARK_LEN = len(MARK) + 19
RECV = 262144


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Bot:
    """One simulated client: a non-blocking socket and counters, no line parsing."""

    __slots__ = ("sock", "fd", "nick", "joins", "inbuf", "out", "lines", "ready", "closed",
                 "latencies", "seen_quit")

    def __init__(self, sock: socket.socket, nick: str, joins: bool) -> None:
        self.sock = sock
        self.joins = joins        # ready after the room's names (366), else after the MOTD
        self.fd = sock.fileno()
        self.nick = nick
        self.inbuf = b""          # only used while setting up
        self.out = b""            # bytes not yet accepted by the kernel
        self.lines = 0            # lines received since the counters were reset
        self.ready = False        # set-up done (registered, joined)
        self.closed = False
        self.latencies: list[int] = []
        self.seen_quit: bytes | None = None


@dataclass
class Loop:
    """The event loop shared by every bot of a scenario."""
    host: str
    port: int
    bots: dict[int, Bot] = field(default_factory=dict)
    caps: str = ""  # IRCv3 capabilities each bot asks for (a server without them ignores it)

    def __post_init__(self) -> None:
        self.epoll = select.epoll()
        self.parse = True         # set-up phase: look for the end of the join burst
        self.watch_quit = False   # look for QUIT lines (the stall scenario)
        self.total = 0            # lines received by all bots since the counters were reset
        self.min_round = 0.0      # seconds between read rounds (saturation: big chunks)
        self._round_start = 0.0

    # --- connections -----------------------------------------------------------

    def open(self, nick: str, room: str | None) -> Bot:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((self.host, self.port))
        sock.setblocking(False)
        bot = Bot(sock, nick, joins=room is not None)
        self.bots[bot.fd] = bot
        self.epoll.register(bot.fd, select.EPOLLIN)
        burst = f"NICK {nick}\r\nUSER {nick} 0 * :bench\r\n"
        if self.caps:
            burst = f"CAP REQ :{self.caps}\r\n{burst}CAP END\r\n"
        if room:
            burst += f"JOIN {room}\r\n"
        self.send(bot, burst.encode())
        return bot

    def close_all(self) -> None:
        for bot in list(self.bots.values()):
            self.drop(bot)
        self.epoll.close()

    def drop(self, bot: Bot) -> None:
        if bot.closed:
            return
        bot.closed = True
        try:
            self.epoll.unregister(bot.fd)
        except (OSError, ValueError):
            pass
        bot.sock.close()
        self.bots.pop(bot.fd, None)

    def stop_reading(self, bot: Bot) -> None:
        """The staller: never read again (its kernel buffers fill up)."""
        self.epoll.modify(bot.fd, 0)

    # --- I/O -------------------------------------------------------------------

    def send(self, bot: Bot, data: bytes) -> None:
        if bot.out:
            bot.out += data
            return
        try:
            sent = bot.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.drop(bot)
            return
        if sent < len(data):
            bot.out = data[sent:]
            self.epoll.modify(bot.fd, select.EPOLLIN | select.EPOLLOUT)

    def _flush(self, bot: Bot) -> None:
        try:
            sent = bot.sock.send(bot.out)
        except BlockingIOError:
            return
        except OSError:
            self.drop(bot)
            return
        bot.out = bot.out[sent:]
        if not bot.out:
            self.epoll.modify(bot.fd, select.EPOLLIN)

    def poll(self, timeout: float) -> int:
        """Run one round of events; returns the number of lines received. With
        `min_round`, rounds are spaced so that each recv takes a large chunk: reading
        every socket the moment it turns readable costs a recv per line or two, and
        the generator, not the server, would set the pace."""
        if self.min_round:
            idle = self._round_start + self.min_round - time.monotonic()
            if idle > 0:
                time.sleep(idle)
            self._round_start = time.monotonic()
        total = 0
        for fd, events in self.epoll.poll(timeout):
            bot = self.bots.get(fd)
            if bot is None:
                continue
            if events & select.EPOLLOUT:
                self._flush(bot)
            if events & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                total += self._read(bot)
        return total

    def _read(self, bot: Bot) -> int:
        try:
            chunk = bot.sock.recv(RECV)
        except BlockingIOError:
            return 0
        except OSError:
            chunk = b""
        if not chunk:
            self.drop(bot)
            return 0
        count = chunk.count(b"\n")
        bot.lines += count
        self.total += count
        if self.parse:
            self._setup_input(bot, chunk)
            return count
        pos = chunk.find(MARK)
        while pos >= 0:
            stamp = chunk[pos + 2:pos + MARK_LEN]
            if len(stamp) == 19 and stamp.isdigit():
                bot.latencies.append(time.monotonic_ns() - int(stamp))
            pos = chunk.find(MARK, pos + MARK_LEN)
        if self.watch_quit and bot.seen_quit is None and b" QUIT " in chunk:
            line_start = chunk.rfind(b"\n", 0, chunk.find(b" QUIT ")) + 1
            bot.seen_quit = chunk[line_start:chunk.find(b"\n", line_start)]
        return count

    def _setup_input(self, bot: Bot, chunk: bytes) -> None:
        """Answer PINGs and notice the end of registration/join (376/422/366)."""
        bot.inbuf += chunk
        *lines, bot.inbuf = bot.inbuf.split(b"\n")
        for line in lines:
            if line.startswith(b"PING "):
                self.send(bot, b"PONG " + line[5:].rstrip(b"\r") + b"\r\n")
            parts = line.split(b" ", 3)
            if len(parts) > 1 and parts[1] in (b"366", b"376", b"422"):
                if parts[1] == b"366" or not bot.joins:
                    bot.ready = True
            elif len(parts) > 1 and parts[1] in (b"433", b"432", b"451", b"465", b"ERROR"):
                raise RuntimeError(f"{bot.nick}: set-up failed: {line!r}")

    def wait_ready(self, bots: list[Bot], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(b.ready for b in bots):
            if time.monotonic() > deadline:
                waiting = sum(1 for b in bots if not b.ready)
                raise RuntimeError(f"{waiting} of {len(bots)} clients not set up in {timeout}s")
            self.poll(0.05)

    def reset_counters(self) -> None:
        self.total = 0
        for bot in self.bots.values():
            bot.lines = 0
            bot.latencies = []


def marked(text_len: int) -> bytes:
    """A message body carrying a timestamp mark, padded to `text_len` bytes."""
    stamp = MARK + b"%019d" % time.monotonic_ns()
    return stamp + b"x" * max(0, text_len - len(stamp))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[int], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6  # ns -> ms


def nick_for(prefix: str, i: int) -> str:
    return f"{prefix}{i}{random.choice('abcdefghij')}"


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS (KiB) and Threads of a process, from /proc."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "Threads"):
                out[key] = int(value.split()[0])
    return out


def open_files_ok(n: int) -> bool:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] > n + 64 and os.name == "posix"
