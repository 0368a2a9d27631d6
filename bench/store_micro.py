"""The store alone, at a million messages: `python -m bench.store_micro [--messages N]`.

Fills a temporary data dir through `SqliteStore.append` (the path the server uses),
then prints: the writer's sustained rate and queue depth (paced at 1M appends/min, and
flat out), the p50/p99 of `latest` and `before` (100 records) and of a one-word search
in one room, what start-up's `PRAGMA quick_check` costs on that file, and how much the
process's RSS grew. The figures the store is held to: latest/before p99 <= 5 ms, search
p99 <= 50 ms, no unbounded queue at 1M/min, RSS growth <= 50 MiB.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ircish.server.store import Record, Ref, SearchQuery, SqliteStore, schema

from .loadgen import proc_status

ROOMS = 50
VOCAB = 5000
NICKS = 400


def _words(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out: set[str] = set()
    while len(out) < VOCAB:
        out.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(out)


class Generator:
    """Chat-like records: rooms by Zipf popularity (the busiest has ~22%), words by Zipf
    frequency, one in ten an event (JOIN/PART)."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.vocab = _words(self.rng)
        self.word_weights = [1 / (i + 1) for i in range(VOCAB)]
        self.rooms = [f"#room{i}" for i in range(ROOMS)]
        self.room_weights = [1 / (i + 1) for i in range(ROOMS)]
        self.nicks = [f"nick{i}" for i in range(NICKS)]
        self.n = 0
        self.lock = threading.Lock()

    def batch(self, count: int) -> list[Record]:
        with self.lock:
            start, self.n = self.n, self.n + count
        rng = random.Random(start)
        rooms = rng.choices(self.rooms, self.room_weights, k=count)
        words = rng.choices(self.vocab, self.word_weights, k=count * 8)
        out = []
        base = 1_600_000_000_000
        for i in range(count):
            n = start + i
            nick = self.nicks[(n * 7919) % NICKS]
            room = rooms[i]
            if n % 10 == 9:
                out.append(Record(msgid=f"id{n}", time_ms=base + n, target_key=room,
                                  sender_key=nick, source=f"{nick}!u@host", command="JOIN",
                                  params=(room,)))
                continue
            text = " ".join(words[i * 8:(i + 1) * 8])
            out.append(Record(msgid=f"id{n}", time_ms=base + n, target_key=room,
                              sender_key=nick, source=f"{nick}!u@host", command="PRIVMSG",
                              params=(room, text), text=text))
        return out


def _pending(store: SqliteStore) -> int:
    s = store.stats()
    return s.queued - s.committed - s.dropped


def paced(store: SqliteStore, gen: Generator, per_min: int, seconds: float) -> dict[str, float]:
    """Append at `per_min` for `seconds`, in 10 ms slices (records made beforehand, so
    the producer is cheap); report depth, drops, and the CPU the process spent."""
    records = gen.batch(int(per_min / 60 * seconds))
    before = store.stats()
    per_slice = per_min / 60 / 100
    cpu = time.process_time()
    start = time.perf_counter()
    sent = 0
    deepest = 0
    while sent < len(records):
        elapsed = time.perf_counter() - start
        due = min(int(elapsed * 100 * per_slice), len(records)) - sent
        for r in records[sent:sent + due]:
            store.append(r)
        sent += max(due, 0)
        deepest = max(deepest, _pending(store))
        time.sleep(0.005)
    store.latest("#room0", None, 1, True)      # everything committed
    while _pending(store):
        time.sleep(0.01)
    took = time.perf_counter() - start
    after = store.stats()
    return {"appends/min": sent / took * 60, "deepest queue": deepest,
            "dropped": after.dropped - before.dropped,
            "batches": after.batches - before.batches,
            "cpu us/append": (time.process_time() - cpu) / sent * 1e6}


def flat_out(store: SqliteStore, gen: Generator, total: int) -> float:
    """Append `total` as fast as the writer takes them (the producer backs off above
    100k pending, below the queue limit): appends per minute."""
    start = time.perf_counter()
    done = 0
    while done < total:
        n = min(5000, total - done)
        for r in gen.batch(n):
            store.append(r)
        done += n
        while _pending(store) > 100_000:
            time.sleep(0.01)
        if done % 100_000 < n:
            print(f"  {done:>9,} appended, {time.perf_counter() - start:5.1f} s", flush=True)
    store.latest("#room0", None, 1, True)
    return total / (time.perf_counter() - start) * 60


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def fill(data: Path, gen: Generator, messages: int) -> None:
    store = SqliteStore.open(data, max_age_s=None)
    try:
        p = paced(store, gen, 1_000_000, 10.0)
        print(f"empty file, paced 10 s at 1M/min: {p['appends/min']:,.0f} appends/min, "
              f"deepest queue {p['deepest queue']:,.0f}, dropped {p['dropped']:,.0f}, "
              f"{p['batches']:,.0f} batches, {p['cpu us/append']:.0f} us CPU per append")
        rate = flat_out(store, gen, messages - gen.n)
        print(f"flat out to {messages:,}: {rate:,.0f} appends/min (this process makes the "
              "records too)")
    finally:
        store.close()
        s = store.stats()
        print(f"writer: queued {s.queued:,} committed {s.committed:,} dropped {s.dropped:,} "
              f"batches {s.batches:,} largest {s.largest_batch:,} deepest {s.deepest_queue:,}")


def measure(data: Path, runs: int, seed_n: int) -> None:
    """On a filled file, in a fresh process: paced writes at 1M/min, read latencies, RSS."""
    rss0 = proc_status_kib()
    t = time.perf_counter()
    store = SqliteStore.open(data, max_age_s=None)
    print(f"SqliteStore.open on the filled file: {time.perf_counter() - t:.2f} s "
          "(PRAGMA quick_check included)")
    gen = Generator()
    gen.n = seed_n
    rng = random.Random(2)
    try:
        p = paced(store, gen, 1_000_000, 10.0)
        print(f"filled file, paced 10 s at 1M/min: {p['appends/min']:,.0f} appends/min, "
              f"deepest queue {p['deepest queue']:,.0f}, dropped {p['dropped']:,.0f}, "
              f"{p['batches']:,.0f} batches, {p['cpu us/append']:.0f} us CPU per append")
        with sqlite3.connect(data / schema.FILE_NAME) as conn:
            top = max(gen.rooms, key=lambda k: conn.execute(
                "SELECT count(*) FROM messages WHERE target_key = ?", (k,)).fetchone()[0])
            busiest = conn.execute("SELECT count(*) FROM messages WHERE target_key = ?",
                                   (top,)).fetchone()[0]
            refs = conn.execute("SELECT msgid, target_key FROM messages WHERE id IN "
                                f"({','.join(str(rng.randrange(1, gen.n)) for _ in range(runs))})"
                                ).fetchall()
        conn.close()
        print(f"busiest room {top}: {busiest:,} records")
        i = iter(range(10**9))
        rooms = gen.rooms

        def latest() -> object:
            return store.latest(rooms[next(i) % len(rooms)], None, 100, True)

        def before() -> object:
            mid, key = refs[next(i) % len(refs)]
            return store.before(key, Ref(msgid=mid), 100, True)

        def before_time() -> object:
            return store.before(top, Ref(time_ms=1_600_000_000_000 + rng.randrange(gen.n)),
                                100, False)

        words = gen.vocab
        common, middle, rare = words[:20], words[100:400], words[2000:]

        def search(pool: list[str]) -> Callable[[], object]:
            return lambda: store.search(SearchQuery(keys=[top], text=rng.choice(pool),
                                                    limit=100))

        for name, fn in [("latest 100 (any room)", latest),
                         ("before msgid 100 (any room)", before),
                         ("before time 100, messages only, busiest", before_time),
                         ("search common word, busiest room", search(common)),
                         ("search mid word, busiest room", search(middle)),
                         ("search rare word, busiest room", search(rare)),
                         ("search 2-letter prefix, busiest room",
                          search([w[:2] for w in middle]))]:
            p50, p99 = timed(fn, runs)
            print(f"{name:<42} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    finally:
        store.close()
    rss1 = proc_status_kib()
    print(f"RSS: {rss0 / 1024:.0f} MiB before opening, {rss1 / 1024:.0f} MiB at the end "
          f"(+{(rss1 - rss0) / 1024:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--measure", type=Path, help="(internal) measure this filled dir")
    parser.add_argument("--seed-n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.runs, args.seed_n)
        return
    data = Path(tempfile.mkdtemp(prefix="ircish-store-"))
    print(f"data dir {data}; sqlite {sqlite3.sqlite_version}")
    try:
        gen = Generator()
        fill(data, gen, args.messages)
        size = (data / schema.FILE_NAME).stat().st_size
        conn = sqlite3.connect(data / schema.FILE_NAME)
        t = time.perf_counter()
        conn.execute("PRAGMA quick_check(5)").fetchall()
        print(f"file {size / 2**20:,.0f} MiB; PRAGMA quick_check {time.perf_counter() - t:.2f} s")
        conn.close()
        subprocess.run([sys.executable, "-m", "bench.store_micro", "--measure", str(data),
                        "--runs", str(args.runs), "--seed-n", str(gen.n)], check=True)
    finally:
        if args.keep:
            print(f"kept {data}")
        else:
            shutil.rmtree(data)


def proc_status_kib() -> int:
    import os
    return proc_status(os.getpid()).get("VmRSS", 0)


if __name__ == "__main__":
    main()
