"""`make bench`: ircish side by side with ircish --no-history, ngircd and miniircd, in one run.

Servers alternate within each repetition (so drift in the machine hits all alike);
the table shows each figure's median and minimum, the ratio of medians to ngircd, and
"history on/off" (ircish over ircish-nohist: what keeping history costs).

The history scenarios need a database: it is filled once per run (`--history-rows`,
through the store's own append path, into a temporary dir removed at the end) and each
server that keeps history is started on it; the others only show their memory.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from . import history, logins, pipeline, scenarios
from .history_fill import Filled, fill
from .loadgen import raise_fd_limit
from .servers import PEERS, IrcishAt, Peer


class Scenario(NamedTuple):
    title: str
    run: Callable[..., dict[str, Any]] | None  # None: shows the figures of the run `of`
    kwargs: dict[str, Any]
    keys: list[str]
    of: str | None = None          # that run's title (its figures under this title too)
    filled: bool = False           # servers keeping history start on the filled database
    needs: tuple[str, ...] = ()    # runs it is compared with, run with it under --only


# The history writer's figures over the run, from the server's log (history on only).
WRITER = ["writer dropped", "writer deepest queue", "writer batch median", "writer batch max"]
# what the kernel saw of the server, per message delivered (bench/kernel.py)
KERNEL = ["cpus", "switches/delivery", "syscalls/delivery", "migrations/delivery"]
FANOUT = ["deliveries/s", "messages/s", "lost", "p50 ms", "p99 ms", "server_cpu", "gen_cpu",
          *KERNEL, *WRITER]
RATED = ["p50 ms", "p99 ms", "lost", "server_cpu", "gen_cpu", *KERNEL, *WRITER]
PIPELINE = ["server µs/message", "messages/s", "lost"]
PRIVMSG = ["round trips/s", "p50 ms", "p99 ms", "server_cpu", "gen_cpu", *KERNEL, *WRITER]
CONNECT = ["registered", "registrations/s", "threads", "RSS MiB", "KiB/client"]
ABUSE = ["deliveries/s", "vs no attack", "p99 ms", "attackers", "attackers dropped",
         "junk MiB taken", "server RSS MiB", "server_cpu"]
LOGINS = ["logins/s", "login p50 ms", "login p99 ms", "failed", "server_cpu", "gen_cpu"]
STORM = ["deliveries/s", "vs no storm", "lost", "p99 ms", "storm attempts/s",
         "storm logins failed", "server_cpu"]
STALL = ["deliveries/s", "vs no staller", "lost", "staller dropped after s", "staller reason",
         "gen_cpu"]
HISTORY_EMPTY = ["latest p99 ms", "search p99 ms", "RSS MiB", "start-up s"]
CHATHISTORY = ["latest p50 ms", "latest p99 ms", "before p50 ms", "before p99 ms",
               "latest msgs/reply", "before msgs/reply", "failed", "start-up s"]
SEARCH = ["search p50 ms", "search p99 ms", "search max ms", "search msgs/reply", "RSS MiB",
          "RSS growth MiB", "db MiB"]
BASELINE = "history empty"
# shown on each run's progress line
PROGRESS = ("deliveries/s", "server µs/message", "logins/s", "storm attempts/s",
            "round trips/s", "p99 ms", "attackers dropped", "registrations/s",
            "KiB/client", "lost", "writer deepest queue", "latest p99 ms", "before p99 ms",
            "search p99 ms", "RSS MiB", "RSS growth MiB")


def plan(full: bool, history_rows: int = 0, history_queries: int = 300) -> list[Scenario]:
    secs = 5.0 if full else 3.0
    out: list[Scenario] = []
    for clients in ([200, 500] if full else [200]):
        out.append(Scenario(f"fanout {clients}", scenarios.fanout,
                            {"clients": clients, "seconds": secs}, FANOUT))
    out.append(Scenario("fanout 200, tagged", scenarios.fanout,
                        {"clients": 200, "seconds": secs, "caps": "server-time message-tags"},
                        FANOUT))
    for rate in ([500, 2000] if full else [2000]):
        out.append(Scenario(f"fanout 200 @{rate}/s", scenarios.fanout,
                            {"clients": 200, "seconds": secs, "rate": rate}, RATED))
    out.append(Scenario("privmsg 50 pairs", scenarios.privmsg,
                        {"pairs": 50, "seconds": secs}, PRIVMSG))
    out.append(Scenario("privmsg pipelined", pipeline.pipeline, {}, PIPELINE))
    out.append(Scenario("privmsg one at a time", pipeline.one_at_a_time, {}, PIPELINE))
    for clients in ([1000, 5000, 10000] if full else [1000]):
        out.append(Scenario(f"connect {clients}", scenarios.connect,
                            {"clients": clients}, CONNECT))
    out.append(Scenario("abuse (fanout 200)", scenarios.fanout,
                        {"clients": 200, "seconds": secs + 2, "attack": 4}, ABUSE))
    out.append(Scenario("stall (fanout 200)", scenarios.fanout,
                        {"clients": 200, "seconds": secs + 2, "staller": True}, STALL))
    for mechanism in ("PLAIN", "SCRAM-SHA-256"):
        out.append(Scenario(f"logins {mechanism}", logins.logins,
                            {"mechanism": mechanism, "seconds": secs}, LOGINS))
    out.append(Scenario("login storm (fanout 200)", scenarios.fanout,
                        {"clients": 200, "seconds": secs + 2, "storm": 8}, STORM,
                        needs=("fanout 200",)))
    if history_rows:
        asked = {"count": history_queries}
        label = f"history {rows_label(history_rows)}"
        out.append(Scenario(BASELINE, history.queries, asked, HISTORY_EMPTY))
        out.append(Scenario(f"{label}: chathistory", history.queries, asked, CHATHISTORY,
                            filled=True, needs=(BASELINE,)))
        out.append(Scenario(f"{label}: search", None, {}, SEARCH,
                            of=f"{label}: chathistory"))
    return out


def choose(every: list[Scenario], only: str | None) -> list[Scenario]:
    """The scenarios whose title contains `only` (or one of its comma-separated parts:
    `privmsg,@2000`), with the runs they show or compare with."""
    parts = [part for part in (only or "").split(",") if part]
    picked = [s for s in every if not parts or any(part in s.title for part in parts)]
    wanted = {t for s in picked for t in (*s.needs, *([s.of] if s.of else []))}
    wanted |= {t for s in every if s.title in wanted for t in s.needs}
    return [s for s in every if s in picked or s.title in wanted]


def rows_label(rows: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1000)):
        if rows >= size:
            return f"{rows / size:g}{unit}"
    return str(rows)


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
    p.add_argument("--servers", default="ircish,ircish-nohist,ngircd,miniircd",
                   help=f"comma-separated, of {', '.join(PEERS)}")
    p.add_argument("--only", help="run only scenarios whose name contains this (or one "
                   "of these, comma-separated)")
    p.add_argument("--against", metavar="REF",
                   help="also run ircish as of this commit (e.g. main~5), side by side")
    p.add_argument("--history-rows", type=int, default=1_000_000, metavar="N",
                   help="messages in the history scenarios' database (filled once per run; "
                        "0: no history scenarios)")
    p.add_argument("--history-queries", type=int, default=300, metavar="N",
                   help="timed requests of each kind (LATEST, BEFORE, SEARCH) per run")
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


class Database:
    """The history scenarios' database: filled when first needed, removed at the end."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.filled: Filled | None = None

    def get(self) -> Filled:
        if self.filled is None:
            print(f"# history: filling {self.rows:,} rows through the store...",
                  file=sys.stderr, flush=True)
            self.filled = fill(self.rows)
            print(f"# history: {self.note()}", file=sys.stderr, flush=True)
        return self.filled

    def note(self) -> str:
        f = self.filled
        return "" if f is None else (
            f"{f.rows:,} rows filled in {f.seconds:.0f} s ({f.rows / f.seconds:,.0f}/s, "
            f"{f.size_mib:.0f} MiB on disk)")

    def remove(self) -> None:
        if self.filled is not None:
            self.filled.remove()


def run_all(args: argparse.Namespace, peers: list[Peer], reps: int) -> int:
    chosen = choose(plan(args.full, args.history_rows, args.history_queries), args.only)
    results: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    database = Database(args.history_rows)
    started = time.monotonic()
    try:
        for rep in range(reps):
            for scenario in chosen:
                if scenario.run is None:
                    continue
                order = peers if rep % 2 == 0 else list(reversed(peers))
                for peer in order:
                    figures = run_one(scenario, peer, database)
                    compare(scenario, peer.name, figures, results)
                    for key, value in figures.items():
                        results[(scenario.title, key, peer.name)].append(value)
                    print(f"# rep {rep + 1}/{reps} {scenario.title:<24} {peer.name:<13} " +
                          " ".join(f"{k}={fmt(v)}" for k, v in figures.items()
                                   if k in PROGRESS), file=sys.stderr, flush=True)
        print_table(chosen, [peer.name for peer in peers], results, reps,
                    time.monotonic() - started, database.note())
    finally:
        database.remove()
    return 0


def run_one(scenario: Scenario, peer: Peer, database: Database) -> dict[str, Any]:
    """Start the server, run the scenario against it, stop it; its figures (with those
    the server logged, and, for the history scenarios, its start-up time)."""
    assert scenario.run is not None
    kwargs = dict(scenario.kwargs)
    data = database.get() if scenario.filled and peer.keeps_history else None
    if data is not None:
        kwargs["data"] = data
    peer.start(data.path if data is not None else None)
    try:
        figures = scenario.run("127.0.0.1", peer.port, peer.pid, **kwargs)
    except Exception as exc:
        print(f"# {scenario.title} / {peer.name}: {exc}", file=sys.stderr)
        figures = {}
    finally:
        peer.stop()
    figures.update(peer.figures_after_stop())
    if scenario.run is history.queries:
        figures["start-up s"] = peer.started_in
    if data is not None:
        figures["db MiB"] = data.size_mib
    return figures


def compare(scenario: Scenario, peer: str, figures: dict[str, Any],
            results: dict[tuple[str, str, str], list[Any]]) -> None:
    """Figures relative to this repetition's run of the same server in another scenario."""
    kwargs = scenario.kwargs
    plain = results.get(("fanout 200", "deliveries/s", peer))
    versus = ("vs no staller" if kwargs.get("staller")
              else "vs no attack" if kwargs.get("attack")
              else "vs no storm" if kwargs.get("storm") else None)
    if versus and plain and isinstance(figures.get("deliveries/s"), float):
        # against this repetition's run of the same server, undisturbed
        figures[versus] = float(figures["deliveries/s"]) / plain[-1]
    empty = results.get((BASELINE, "RSS MiB", peer))
    if scenario.filled and "db MiB" in figures and empty and "RSS MiB" in figures:
        # the store's memory: the same requests on an empty data dir are the baseline
        figures["RSS growth MiB"] = float(figures["RSS MiB"]) - empty[-1]


def ratio_columns(names: list[str]) -> list[tuple[str, str, str]]:
    """(numerator, denominator, heading) of each ratio column."""
    out = []
    if "ircish" in names and "ircish-nohist" in names:
        out.append(("ircish", "ircish-nohist", "history on/off"))
    if "ngircd" in names:
        out += [(n, "ngircd", f"{n}/ngircd") for n in names if n != "ngircd"]
    return out


def print_table(chosen: list[Scenario], names: list[str],
                results: dict[tuple[str, str, str], list[Any]], reps: int,
                seconds: float, note: str) -> None:
    ratios = ratio_columns(names)
    width = max([24, *(len(n) + 12 for n in names)])          # "<name> med (min)"
    ratio_width = max([22, *(len(h) + 2 for _, _, h in ratios)])
    head = f"{'scenario':<24} {'figure':<22}" + "".join(f"{n + ' med (min)':>{width}}"
                                                        for n in names)
    head += "".join(f"{heading:>{ratio_width}}" for _, _, heading in ratios)
    print(f"\nircish benchmark, {reps} repetitions, {seconds:.0f} s "
          f"(gen_cpu/server_cpu: cores used by the load generator / the server)")
    if note:
        print(f"history database: {note}")
    print(head)
    print("-" * len(head))
    for scenario in chosen:
        source = scenario.of or scenario.title
        for key in scenario.keys:
            row = f"{scenario.title:<24} {key:<22}"
            medians = {}
            for name in names:
                med, low = summarize(results.get((source, key, name), []))
                medians[name] = med
                row += f"{fmt(med) + ' (' + fmt(low) + ')':>{width}}"
            for top, bottom, _ in ratios:
                value, base = medians[top], medians[bottom]
                ok = (isinstance(value, (int, float)) and isinstance(base, (int, float))
                      and base and not math.isnan(value) and not math.isnan(base))
                row += f"{(fmt(value / base) + 'x') if ok else '-':>{ratio_width}}"
            print(row)


if __name__ == "__main__":
    sys.exit(main())
