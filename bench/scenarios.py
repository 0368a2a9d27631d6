"""The benchmark scenarios. Each takes a server's address (and PID, to read its CPU and
memory from /proc) and returns a flat dict of figures."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from .abuse import Attack
from .kernel import KernelCounts, cpus
from .loadgen import Bot, Loop, cpu_seconds, marked, percentile, proc_status
from .logins import LoginStorm

Figures = dict[str, float | str]   # numbers, and a few words (why a staller left)
TEXT_LEN = 60                 # bytes of message text, like a short chat line
SAMPLE_EVERY = 0.02           # seconds between latency marks of one sender (saturation)
IN_FLIGHT = 2000              # messages sent but not yet fanned out, at most (saturation)
BATCH = 16                    # messages a sender writes at once (saturation)


def server_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks


class Window:
    """Wall time, generator CPU and server CPU over one measured interval, and what the
    kernel saw of the server (`kernel.py`): `per_delivery` turns its counts into the
    figures per message delivered."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.kernel = KernelCounts(pid)
        self.wall = time.monotonic()
        self.cpu = cpu_seconds()
        self.server = server_cpu(pid)
        self.counts: dict[str, float] = {}

    def close(self) -> dict[str, float]:
        wall = time.monotonic() - self.wall
        figures = {"seconds": wall,
                   "gen_cpu": (cpu_seconds() - self.cpu) / wall,
                   "server_cpu": (server_cpu(self.pid) - self.server) / wall}
        self.counts = self.kernel.close()
        return figures

    def per_delivery(self, deliveries: int) -> Figures:
        """The CPUs the server ran on, and the kernel's counts per message delivered."""
        if deliveries <= 0:
            return {"cpus": cpus(self.pid)}
        return {"cpus": cpus(self.pid),
                "switches/delivery": self.counts["context switches"] / deliveries,
                "syscalls/delivery": self.counts["syscalls"] / deliveries,
                "migrations/delivery": self.counts["cpu migrations"] / deliveries}


def room_of(loop: Loop, clients: int, room: str, prefix: str) -> list[Bot]:
    bots = []
    for i in range(clients):
        bots.append(loop.open(f"{prefix}{i}", room))
        if i % 100 == 99:
            loop.wait_ready(bots, 30)
    loop.wait_ready(bots, 60)
    return bots


def settle(loop: Loop, seconds: float = 0.3) -> None:
    """Let the join bursts finish, then start counting from zero."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        loop.poll(0.05)
    loop.parse = False
    loop.reset_counters()


def drain(loop: Loop, expected: Callable[[], bool], quiet: float = 2.0,
          limit: float = 15.0) -> None:
    """Read until `expected()` holds, nothing arrives for `quiet` s, or `limit` s pass."""
    end = time.monotonic() + limit
    last = time.monotonic()
    while not expected() and time.monotonic() < end and time.monotonic() - last < quiet:
        if loop.poll(0.1):
            last = time.monotonic()


def fanout(host: str, port: int, pid: int, clients: int = 200, senders: int = 10,
           seconds: float = 5.0, rate: float | None = None, staller: bool = False,
           caps: str = "", attack: int = 0, storm: int = 0) -> Figures:
    """`senders` of `clients` members of one room talk; everyone else counts.

    With `rate` None they send as fast as the server takes it (TCP back-pressure paces
    them); with a rate, the total is paced to `rate` messages/s and every message is
    marked for latency. With `staller`, one more member stops reading once joined.
    With `caps`, every member asks for those capabilities (tags cost bytes and work).
    With `attack`, that many attackers of each kind stream junk meanwhile (`abuse.py`);
    with `storm`, that many connections from another address send wrong passwords
    (`logins.py`)."""
    loop = Loop(host, port, caps=caps)
    try:
        bots = room_of(loop, clients, "#bench", "f")
        stalled = None
        if staller:
            stalled = loop.open("staller", "#bench")
            loop.wait_ready([stalled], 10)
        settle(loop)
        if stalled is not None:
            loop.stop_reading(stalled)
            loop.watch_quit = True
        if rate is None:
            loop.min_round = 0.002
        talkers = bots[:senders]
        receivers = clients - 1  # each message goes to every member but its sender
        line_head = [b"PRIVMSG #bench :" for _ in talkers]
        sent = 0
        attackers = Attack(host, port, pid, attack) if attack else None
        stack = contextlib.ExitStack()
        if attackers is not None:
            stack.enter_context(attackers)
        storming = LoginStorm(host, port, storm) if storm else None
        if storming is not None:
            stack.enter_context(storming)
        window = Window(pid)
        start = time.monotonic()
        end = start + seconds
        next_mark = [start] * len(talkers)
        stall_drop_at = None
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if rate is None:
                for i, bot in enumerate(talkers):
                    if sent - loop.total / receivers > IN_FLIGHT:
                        break  # the server is behind: let it catch up
                    if bot.out or bot.closed:
                        continue  # the kernel has not taken the last batch: back-pressure
                    batch = [line_head[i] + b"x" * TEXT_LEN + b"\r\n"] * BATCH
                    if now >= next_mark[i]:
                        batch[0] = line_head[i] + marked(TEXT_LEN) + b"\r\n"
                        next_mark[i] = now + SAMPLE_EVERY
                    loop.send(bot, b"".join(batch))
                    sent += len(batch)
            else:
                due = int((now - start) * rate)
                while sent < due:
                    bot = talkers[sent % len(talkers)]
                    loop.send(bot, line_head[sent % len(talkers)] + marked(TEXT_LEN) + b"\r\n")
                    sent += 1
            loop.poll(0 if rate is None else 0.0005)
            if (stalled is not None and stall_drop_at is None
                    and any(b.seen_quit for b in bots[senders:senders + 5])):
                    stall_drop_at = time.monotonic() - start
        timed = window.close()
        stack.close()
        figures: Figures = {**timed}
        if attackers is not None:
            figures.update(attackers.figures)
        if storming is not None:
            figures.update(storming.figures)
        loop.min_round = 0.0
        received_in_window = sum(b.lines for b in bots)
        # with a staller, every member also gets its QUIT (when the server drops it)
        extra = clients if stalled is not None else 0
        drain(loop, lambda: sum(b.lines for b in bots) >= sent * receivers + extra)
        delivered = sum(b.lines for b in bots)
        latencies = [v for b in bots for v in b.latencies]
        figures.update(window.per_delivery(received_in_window))
        figures.update({
            "deliveries/s": received_in_window / timed["seconds"],
            "messages/s": sent / timed["seconds"],
            "lost": max(0, sent * receivers - delivered),
            "p50 ms": percentile(latencies, 0.50),
            "p99 ms": percentile(latencies, 0.99),
        })
        if stalled is not None:
            quit_line = next((b.seen_quit for b in bots if b.seen_quit), None)
            figures["staller dropped after s"] = stall_drop_at if stall_drop_at else float("nan")
            figures["staller reason"] = quit_line.decode(errors="replace") if quit_line else "-"
            # the staller's QUIT line was counted as a delivery by each healthy member
            figures["lost"] = max(0, sent * receivers - (delivered - (clients if quit_line else 0)))
        return figures
    finally:
        loop.close_all()


def privmsg(host: str, port: int, pid: int, pairs: int = 50, seconds: float = 5.0) -> Figures:
    """Pairs ping-pong private messages, one in flight each: round trips/s."""
    loop = Loop(host, port)
    try:
        left = [loop.open(f"l{i}", None) for i in range(pairs)]
        right = [loop.open(f"r{i}", None) for i in range(pairs)]
        loop.wait_ready(left + right, 60)
        settle(loop)
        partner = {}
        for a, b in zip(left, right, strict=False):
            partner[a.fd], partner[b.fd] = b, a
        lines = {a.fd: f"PRIVMSG r{i} :".encode() for i, a in enumerate(left)}
        lines.update({b.fd: f"PRIVMSG l{i} :".encode() for i, b in enumerate(right)})
        window = Window(pid)
        for a in left:
            loop.send(a, lines[a.fd] + marked(TEXT_LEN) + b"\r\n")
        seen = {bot.fd: 0 for bot in left + right}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            loop.poll(0.01)
            for bot in left + right:
                new = bot.lines - seen[bot.fd]
                if new:
                    seen[bot.fd] = bot.lines
                    loop.send(bot, (lines[bot.fd] + marked(TEXT_LEN) + b"\r\n") * new)
        timed = window.close()
        figures: Figures = {**timed}
        round_trips = sum(bot.lines for bot in left)
        figures.update(window.per_delivery(sum(bot.lines for bot in left + right)))
        latencies = [v for b in left + right for v in b.latencies]
        figures.update({"round trips/s": round_trips / timed["seconds"],
                        "p50 ms": percentile(latencies, 0.5),
                        "p99 ms": percentile(latencies, 0.99)})
        return figures
    finally:
        loop.close_all()


def connect(host: str, port: int, pid: int, clients: int = 1000,
            in_flight: int = 32, budget: float = 90.0) -> Figures:
    """Register `clients` clients (at most `in_flight` at once) and hold them all; a
    server that registers slowly gets `budget` seconds (see `registered`)."""
    loop = Loop(host, port)
    try:
        before = proc_status(pid)
        window = Window(pid)
        bots: list[Bot] = []
        give_up = time.monotonic() + budget
        while len(bots) < clients and time.monotonic() < give_up:
            batch = [loop.open(f"c{len(bots) + i}", None)
                     for i in range(min(in_flight, clients - len(bots)))]
            loop.wait_ready(batch, 120)
            bots.extend(batch)
        timed = window.close()
        figures: Figures = {**timed}
        time.sleep(0.5)
        after = proc_status(pid)
        registered = sum(1 for b in bots if b.ready and not b.closed)
        figures.update({
            "registered": registered,
            "registrations/s": registered / timed["seconds"],
            "threads": after["Threads"],
            "RSS MiB": after["VmRSS"] / 1024,
            "KiB/client": (after["VmRSS"] - before["VmRSS"]) / max(1, registered),
        })
        return figures
    finally:
        loop.close_all()
