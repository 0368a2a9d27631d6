"""The history scenarios: one member of a room asks CHATHISTORY and SEARCH over a real
socket, one request at a time, and times each from its send to the end of its batch.

A server that does not offer the capabilities (`draft/chathistory soju.im/search`; the
peers, ircish --no-history) is only connected to: its memory is reported, its query
figures are "-". Against a filled database (`history_fill.py`), BEFORE anchors on
msgids of random depth in the room and SEARCH cycles through words from common to
rare; on an empty data dir (the baseline the store's memory is measured against) the
same LATEST and SEARCH requests run, and BEFORE has nothing to anchor on.
"""
from __future__ import annotations

import random
import socket
import sys
import time
from collections import deque

from .history_fill import ROOM, Filled, search_words
from .loadgen import proc_status

Figures = dict[str, float | str]
CAPS = "draft/chathistory soju.im/search batch message-tags server-time"
WARM_UP = 5             # requests of each kind before the timed ones (not counted)


class Refused(Exception):
    """The server answered a request with an error (FAIL or an error numeric)."""


class Member:
    """A blocking client that reads whole lines: the registration, then one reply
    batch at a time."""

    def __init__(self, host: str, port: int, nick: str, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending: deque[bytes] = deque()   # whole lines read, not yet looked at
        self.tail = b""                          # the start of an unfinished line
        self.nick = nick
        self.limit = 100          # CHATHISTORY=<n> in 005 lowers it
        self.offered: set[str] = set()

    def close(self) -> None:
        self.sock.close()

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def raw_line(self) -> bytes:
        """The next line as read (each chunk is split once: a 100-line reply costs the
        client little next to the server)."""
        while not self.pending:
            data = self.sock.recv(262144)
            if not data:
                raise ConnectionError("the server closed the connection")
            *lines, self.tail = (self.tail + data).split(b"\n")
            self.pending.extend(lines)
        return self.pending.popleft()

    def line(self) -> tuple[str, list[str]]:
        """The next line's command and parameters (tags and source dropped); PINGs are
        answered on the way."""
        while True:
            raw = self.raw_line()
            if raw.startswith(b"@batch="):   # a message of the reply: counted, not parsed
                return ("PRIVMSG" if b" PRIVMSG " in raw or b" NOTICE " in raw else "-"), []
            command, params = parse(raw.rstrip(b"\r").decode(errors="replace"))
            if command == "PING":
                self.send(f"PONG :{params[-1] if params else ''}")
                continue
            return command, params

    def register(self, room: str) -> bool:
        """Register and join `room`; True if history was offered and acknowledged."""
        self.send("CAP LS 302")
        self.send(f"NICK {self.nick}")
        self.send(f"USER {self.nick} 0 * :bench")
        wanted = set(CAPS.split())
        acked = False
        while True:
            command, params = self.line()
            if command == "CAP" and len(params) > 2 and params[1] == "LS":
                self.offered.update(c.split("=", 1)[0] for c in params[-1].split())
                if params[2] == "*":
                    continue  # more LS lines follow
                if wanted <= self.offered:
                    self.send(f"CAP REQ :{CAPS}")
                else:
                    self.send("CAP END")
            elif command == "CAP" and len(params) > 1 and params[1] in ("ACK", "NAK"):
                acked = params[1] == "ACK"
                self.send("CAP END")
            elif command == "005":
                for token in params[1:-1]:
                    if token.startswith("CHATHISTORY="):
                        self.limit = min(self.limit, int(token.split("=", 1)[1]))
            elif command in ("376", "422"):
                break
            elif command in ("421", "451") and not self.offered:
                continue  # a server without CAP
            elif command in ("432", "433", "465", "ERROR"):
                raise RuntimeError(f"history client: {command} {params}")
        self.send(f"JOIN {room}")
        while self.line()[0] != "366":
            pass
        return acked

    def ask(self, request: str) -> tuple[float, int]:
        """Send one request; (milliseconds to the end of its reply batch, messages in it).
        Raises Refused if the server answers with an error instead."""
        started = time.perf_counter_ns()
        self.send(request)
        opened: str | None = None
        messages = 0
        while True:
            command, params = self.line()
            if command == "BATCH" and params:
                ref = params[0]
                if ref.startswith("+") and opened is None:
                    opened = ref[1:]
                elif ref == f"-{opened}":
                    return (time.perf_counter_ns() - started) / 1e6, messages
            elif command == "PRIVMSG" and opened is not None:
                messages += 1  # or a NOTICE
            elif command == "FAIL" or (command.isdigit() and command[0] == "4"):
                raise Refused(f"{request!r}: {command} {' '.join(params)}")


def parse(line: str) -> tuple[str, list[str]]:
    """Command and parameters of an IRC line (tags and source dropped)."""
    if line.startswith("@"):
        line = line.split(" ", 1)[1] if " " in line else ""
    if line.startswith(":"):
        line = line.split(" ", 1)[1] if " " in line else ""
    head, colon, trailing = line.partition(" :")
    parts = head.split()
    if not parts:
        return "", []
    return parts[0].upper(), parts[1:] + ([trailing] if colon else [])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries(host: str, port: int, pid: int, data: Filled | None = None,
            count: int = 300, seed: int = 3) -> Figures:
    """`count` rounds of LATEST, BEFORE (with `data` only) and SEARCH, interleaved, after
    a few untimed ones; then the server's RSS."""
    member = Member(host, port, "historian")
    try:
        figures: Figures = {}
        if member.register(ROOM):
            figures = _ask_all(member, data, count, random.Random(seed))
        figures["RSS MiB"] = proc_status(pid)["VmRSS"] / 1024
        return figures
    finally:
        member.close()


def _requests(member: Member, data: Filled | None, i: int,
              rng: random.Random) -> list[tuple[str, str]]:
    """Round `i`'s requests, by kind."""
    words = data.words if data is not None else search_words()
    out = [("latest", f"CHATHISTORY LATEST {ROOM} * {member.limit}")]
    if data is not None and data.msgids:
        out.append(("before", f"CHATHISTORY BEFORE {ROOM} msgid={rng.choice(data.msgids)} "
                              f"{member.limit}"))
    out.append(("search", f"SEARCH in={ROOM};text={words[i % len(words)]};limit=100"))
    return out


def _ask_all(member: Member, data: Filled | None, count: int,
             rng: random.Random) -> Figures:
    kinds = ("latest", "before", "search")
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, list[int]] = {kind: [] for kind in kinds}
    failed = 0
    for i in range(-WARM_UP, count):
        for kind, request in _requests(member, data, i, rng):
            try:
                ms, messages = member.ask(request)
            except Refused as exc:
                failed += 1
                if failed == 1:
                    print(f"# history: {exc}", file=sys.stderr, flush=True)
                continue
            if i >= 0:
                times[kind].append(ms)
                sizes[kind].append(messages)
    figures: Figures = {"failed": failed}
    for kind in kinds:
        figures[f"{kind} p50 ms"] = percentile(times[kind], 0.50)
        figures[f"{kind} p99 ms"] = percentile(times[kind], 0.99)
        figures[f"{kind} max ms"] = max(times[kind], default=float("nan"))
        figures[f"{kind} msgs/reply"] = (sum(sizes[kind]) / len(sizes[kind])
                                        if sizes[kind] else float("nan"))
    return figures
