"""`make bench`: ircish side by side with ngircd and miniircd, in one run.

Servers alternate within each repetition (so drift in the machine hits all alike);
the table shows each figure's median and minimum, and the ratio of medians to ngircd.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from . import scenarios
from .loadgen import raise_fd_limit
from .servers import PEERS, IrcishAt, Peer

Scenario = tuple[str, Callable[..., dict[str, Any]], dict[str, Any], list[str]]

FANOUT = ["deliveries/s", "lost", "p50 ms", "p99 ms", "server_cpu", "gen_cpu"]
RATED = ["p50 ms", "p99 ms", "lost", "server_cpu", "gen_cpu"]
PRIVMSG = ["round trips/s", "p50 ms", "p99 ms", "server_cpu", "gen_cpu"]
CONNECT = ["registered", "registrations/s", "threads", "RSS MiB", "KiB/client"]
ABUSE = ["deliveries/s", "vs no attack", "p99 ms", "attackers", "attackers dropped",
         "junk MiB taken", "server RSS MiB", "server_cpu"]
STALL = ["deliveries/s", "vs no staller", "lost", "staller dropped after s", "staller reason",
         "gen_cpu"]


def plan(full: bool) -> list[Scenario]:
    secs = 5.0 if full else 3.0
    out: list[Scenario] = []
    for clients in ([200, 500] if full else [200]):
        out.append((f"fanout {clients}", scenarios.fanout,
                    {"clients": clients, "seconds": secs}, FANOUT))
    out.append(("fanout 200, tagged", scenarios.fanout,
                {"clients": 200, "seconds": secs, "caps": "server-time message-tags"}, FANOUT))
    for rate in ([500, 2000] if full else [2000]):
        out.append((f"fanout 200 @{rate}/s", scenarios.fanout,
                    {"clients": 200, "seconds": secs, "rate": rate}, RATED))
    out.append(("privmsg 50 pairs", scenarios.privmsg, {"pairs": 50, "seconds": secs}, PRIVMSG))
    for clients in ([1000, 5000, 10000] if full else [1000]):
        out.append((f"connect {clients}", scenarios.connect, {"clients": clients}, CONNECT))
    out.append(("abuse (fanout 200)", scenarios.fanout,
                {"clients": 200, "seconds": secs + 2, "attack": 4}, ABUSE))
    out.append(("stall (fanout 200)", scenarios.fanout,
                {"clients": 200, "seconds": secs + 2, "staller": True}, STALL))
    return out


def fmt(value: Any) -> str:
    if isinstance(value, str):
        return value[:38]
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def summarize(values: list[Any]) -> tuple[Any, Any]:
    numbers = [v for v in values if not isinstance(v, str) and not math.isnan(v)]
    if not numbers:
        return (values[-1] if values else "-"), "-"
    return statistics.median(numbers), min(numbers)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--full", action="store_true", help="all sizes, 5 repetitions (slow)")
    p.add_argument("--reps", type=int, help="repetitions (default 2 quick, 5 full)")
    p.add_argument("--servers", default="ircish,ngircd,miniircd")
    p.add_argument("--only", help="run only scenarios whose name contains this")
    p.add_argument("--against", metavar="REF",
                   help="also run ircish as of this commit (e.g. main~5), side by side")
    args = p.parse_args(argv)
    raise_fd_limit()
    reps = args.reps or (5 if args.full else 2)
    peers: list[Peer] = []
    for name in args.servers.split(","):
        peer = PEERS[name](name)
        try:
            peer.install()
        except Exception as exc:  # a missing peer should not stop the others
            print(f"# {name}: cannot install ({exc}); skipped", file=sys.stderr)
            continue
        peers.append(peer)
    if args.against:
        base = IrcishAt(f"ircish@{args.against}", ref=args.against)
        base.install()
        peers.insert(1, base)
    try:
        return run_all(args, peers, reps)
    finally:
        for peer in peers:
            peer.cleanup()


def run_all(args: argparse.Namespace, peers: list[Peer], reps: int) -> int:
    chosen = [s for s in plan(args.full) if not args.only or args.only in s[0]]
    results: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    started = time.monotonic()
    for rep in range(reps):
        for title, run, kwargs, _ in chosen:
            order = peers if rep % 2 == 0 else list(reversed(peers))
            for peer in order:
                peer.start()
                try:
                    figures = run("127.0.0.1", peer.port, peer.pid, **kwargs)
                except Exception as exc:
                    print(f"# {title} / {peer.name}: {exc}", file=sys.stderr)
                    figures = {}
                finally:
                    peer.stop()
                plain = results.get(("fanout 200", "deliveries/s", peer.name))
                versus = ("vs no staller" if kwargs.get("staller")
                          else "vs no attack" if kwargs.get("attack") else None)
                if versus and plain and isinstance(figures.get("deliveries/s"), float):
                    # against this repetition's run of the same server, undisturbed
                    figures[versus] = float(figures["deliveries/s"]) / plain[-1]
                for key, value in figures.items():
                    results[(title, key, peer.name)].append(value)
                print(f"# rep {rep + 1}/{reps} {title:<22} {peer.name:<9} " +
                      " ".join(f"{k}={fmt(v)}" for k, v in figures.items()
                               if k in ("deliveries/s", "round trips/s", "p99 ms",
                                        "attackers dropped", "registrations/s", "KiB/client",
                                        "lost")),
                      file=sys.stderr, flush=True)
    names = [peer.name for peer in peers]
    head = f"{'scenario':<22} {'figure':<24}" + "".join(f"{n + ' med (min)':>26}" for n in names)
    head += "".join(f"{n + '/ngircd':>24}" for n in names if n != "ngircd")
    print(f"\nircish benchmark, {reps} repetitions, {time.monotonic() - started:.0f} s "
          f"(gen_cpu/server_cpu: cores used by the load generator / the server)")
    print(head)
    print("-" * len(head))
    for title, _, _, keys in chosen:
        for key in keys:
            row = f"{title:<22} {key:<24}"
            medians = {}
            for name in names:
                med, low = summarize(results.get((title, key, name), []))
                medians[name] = med
                row += f"{fmt(med) + ' (' + fmt(low) + ')':>26}"
            base = medians.get("ngircd")
            for name in names:
                if name == "ngircd":
                    continue
                value = medians[name]
                ok = isinstance(value, (int, float)) and isinstance(base, (int, float)) and base
                row += f"{(fmt(value / base) + 'x') if ok else '-':>24}"
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
