"""Soak: a million random and mutated lines from many connections at one ircish server.

Not part of `make test` (`make soak`). Reports lines sent, reconnections, crashes (server
tracebacks or error logs, or a server that stops answering: must be 0) and the server's
memory before and after.
"""
from __future__ import annotations

import argparse
import random
import select
import socket
import sys
import time
from pathlib import Path

from ircish.server.opers import make_hash

from .loadgen import proc_status, raise_fd_limit
from .servers import Ircish

CORPUS = [
    "PRIVMSG #soak :hello there {r}", "PRIVMSG {n} :private {r}", "NOTICE #soak :note {r}",
    "JOIN #soak", "JOIN #soak{d},#other{d}", "PART #soak :bye", "JOIN 0", "NICK {n}",
    "TOPIC #soak :topic {r}", "TOPIC #soak", "MODE #soak +o {n}", "MODE #soak -o {n}",
    "MODE {n} +i", "KICK #soak {n} :out", "WHO #soak", "WHOIS {n}", "WHOWAS {n}", "LIST",
    "NAMES #soak", "AWAY :gone {r}", "AWAY", "PING :{r}", "CAP LS 302", "CAP REQ :{r}",
    "CAP END", "USER u 0 * :real", "ISON {n} x y", "USERHOST {n}", "LUSERS", "MOTD",
    "VERSION", "HELP {r}", "/msg #soak slash {r}", "@tag=v;+c=x PRIVMSG #soak :tagged",
    ":fake!u@h PRIVMSG #soak :spoof", "PRIVMSG #soak :\x01ACTION dances\x01", "QUIT :{r}",
    # modes, moderation, capabilities, queries
    "MODE #soak +ov-b {n} {n} *!*@{r}", "MODE #soak +bbb a{r} {n} *", "MODE #soak b",
    "MODE #soak +kl key{d} {d}", "MODE #soak -kl *", "MODE #soak +imnst", "MODE #soak -imnst",
    "MODE #soak +v {n}", "MODE {n} +B", "MODE {n} -o", "INVITE {n} #soak", "INVITE",
    "KICK #soak,#other{d} {n},{n} :out", "OPER admin soak", "KILL {n} :bye", "CHGHOST {n} u h",
    "CAP REQ :server-time message-tags echo-message labeled-response batch",
    "CAP REQ :multi-prefix userhost-in-names extended-join away-notify setname",
    "CAP REQ :-echo-message", "@label=l{r} WHOIS {n}", "@label=j{r} JOIN #soak{d}",
    "@+typing=active TAGMSG #soak", "@+r={r} PRIVMSG {n} :tag", "SETNAME :new {r}",
    "MONITOR + {n},s{d}", "MONITOR - {n}", "MONITOR L", "MONITOR S", "MONITOR C",
    "WHO #soak %tcuihsnfdlaor,{d}", "WHO {n} %na", "LIST >{d}", "LIST #so*,!#o*",
    "TIME", "INFO", "ADMIN", "PRIVMSG @#soak :ops {r}", "NAMES #soak{d}",
]


class OperatedIrcish(Ircish):
    """ircish with a server operator (admin / soak), so OPER, KILL, CHGHOST and the
    operators' overrides are soaked too."""

    def command(self, port: int, data_dir: Path | None = None) -> list[str]:
        config = self.tmp / "soak.yaml"
        config.write_text(f'opers:\n  - name: admin\n    password: "{make_hash("soak")}"\n')
        return [*super().command(port, data_dir), "--config", str(config)]


NASTY = [b"\x00", b"\r", b"\xff", b"\xc3", b" ", b":", b"@", b",", b"#", b"\x01", b"*"]


def mutate(rng: random.Random, line: bytes) -> bytes:
    """One of: as is, flipped bytes, inserted nasties, cut short, blown up, shuffled."""
    kind = rng.random()
    data = bytearray(line)
    if kind < 0.35:
        return line
    if kind < 0.5 and data:
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind < 0.65:
        for _ in range(rng.randint(1, 3)):
            data[rng.randint(0, len(data)):0] = rng.choice(NASTY)
    elif kind < 0.75:
        del data[rng.randint(0, len(data)):]
    elif kind < 0.85:
        data += b" " + bytes(rng.randrange(33, 127) for _ in range(rng.randint(100, 700)))
    elif kind < 0.95:
        words = bytes(data).split(b" ")
        rng.shuffle(words)
        data = bytearray(b" ".join(words))
    else:
        data = bytearray(rng.randbytes(rng.randint(1, 200)))
    return bytes(data).replace(b"\n", b"")


def line_from(rng: random.Random) -> bytes:
    text = rng.choice(CORPUS).format(n=f"s{rng.randrange(64)}", r=rng.randrange(10**6),
                                     d=rng.randrange(8))
    return mutate(rng, text.encode())


class Soaker:
    def __init__(self, port: int, index: int, rng: random.Random) -> None:
        self.port, self.index, self.rng = port, index, rng
        self.sock: socket.socket | None = None
        self.reconnects = -1

    def ensure(self) -> socket.socket:
        if self.sock is None:
            self.reconnects += 1
            sock = socket.create_connection(("127.0.0.1", self.port))
            sock.setblocking(False)
            nick = f"s{self.index}x{self.reconnects}"
            sock.send(f"NICK {nick}\r\nUSER s 0 * :soak\r\nJOIN #soak\r\n".encode())
            self.sock = sock
        return self.sock

    def pump(self, lines: int) -> int:
        """Send up to `lines` lines (what the socket takes), read what came back."""
        sock = self.ensure()
        batch = b"".join(line_from(self.rng) + b"\r\n" for _ in range(lines))
        try:
            while True:  # discard replies: the server must not wait on us
                if not sock.recv(1 << 18):
                    raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            self.drop()
            return 0
        try:
            sent = sock.send(batch)
        except BlockingIOError:
            return 0
        except OSError:
            self.drop()
            return 0
        return batch[:sent].count(b"\n")

    def drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"PING :still-there\r\n")
            deadline = time.monotonic() + 5
            data = b""
            while b"still-there" not in data and time.monotonic() < deadline:
                select.select([sock], [], [], 0.5)
                data += sock.recv(65536)
            return b"PONG" in data and b"still-there" in data
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    raise_fd_limit()
    peer = OperatedIrcish("ircish")
    peer.start()
    rng = random.Random(args.seed)
    soakers = [Soaker(peer.port, i, random.Random(rng.random())) for i in range(args.connections)]
    before = proc_status(peer.pid)
    sent = 0
    started = time.monotonic()
    try:
        while sent < args.lines:
            for soaker in soakers:
                sent += soaker.pump(min(200, args.lines - sent))
                if sent >= args.lines:
                    break
            if peer.proc is not None and peer.proc.poll() is not None:
                break
        elapsed = time.monotonic() - started
        time.sleep(1.0)
        after = proc_status(peer.pid)
        answering = alive(peer.port)
    finally:
        for soaker in soakers:
            soaker.drop()
        exited = peer.proc.poll() if peer.proc is not None else None
        peer.stop()
    log = (peer.tmp / "ircish.log").read_text(errors="replace")
    crashes = log.count("Traceback") + log.count(" ERROR ") + (0 if answering else 1) \
        + (1 if exited is not None else 0)
    print(f"soak: {sent:,} lines from {args.connections} connections in {elapsed:.0f} s "
          f"({sent / elapsed:,.0f} lines/s), {sum(s.reconnects for s in soakers)} reconnects")
    print(f"soak: crashes {crashes} (tracebacks/error logs {log.count('Traceback')}/"
          f"{log.count(' ERROR ')}, still answering PING: {answering})")
    print(f"soak: server RSS {before['VmRSS'] / 1024:.1f} MiB before, "
          f"{after['VmRSS'] / 1024:.1f} MiB after; threads {before['Threads']} -> "
          f"{after['Threads']}")
    if crashes:
        print(log[-3000:], file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())

