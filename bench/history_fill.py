"""A history database of N stored messages, for the history scenarios.

Filled the way the server fills it: records go through the store's own `append` path
(`open_store`, the batching writer, the search index's triggers) in this process, into a
temporary data dir; the real server is then started on that dir. Nothing is cached:
each `make bench` run fills its own and removes it (`Filled.remove`).

What is in it, so that the figures mean something:
- 10 rooms and 200 private conversations; the measured room (`ROOM`) holds 40% of the
  rows, the other rooms 50%, private messages 10%. Only history is filled: the rooms
  themselves are made by whoever joins them.
- In rooms, 2% of the rows are JOIN/PART events (kept for event-playback; CHATHISTORY
  without it skips them) and 2% NOTICEs; the rest PRIVMSGs of 500 senders.
- Texts of 4 to 14 words drawn from a Zipf-distributed vocabulary of 5,000 made-up words,
  none a prefix of another (SEARCH matches a word's prefixes too: the counts stay exact).
  `Filled.words` are the words searched for, from common (in ~1 message in 5) to rare
  (~1 in 5,000).
- Times spread evenly over the 14 days before the fill (within the default 30-day
  --history-max-age, so nothing is pruned when the server opens it).
"""
from __future__ import annotations

import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ircish.protocol import casefold
from ircish.server.archive import open_store
from ircish.server.config import Settings
from ircish.server.events import new_msgid
from ircish.server.store import Record, Store, conversation_key

ROOM = "#history"
ROOM_KEY = casefold(ROOM)
OTHER_ROOMS = [f"#room{i}" for i in range(1, 10)]
SENDERS = [f"user{i}" for i in range(500)]
VOCABULARY = 5000
SEARCH_RANKS = (5, 50, 500, 5000)   # word ranks searched for: in ~1/5 ... ~1/5000 messages
SPAN_MS = 14 * 86400 * 1000
BACKLOG = 20_000                   # writes queued ahead of the writer, at most
MSGID_SAMPLE = 5000                # msgids of the measured room kept for BEFORE


@dataclass
class Filled:
    path: Path                     # the data dir (temporary)
    rows: int
    seconds: float                 # how long the fill took
    words: list[str]               # searched for, commonest first
    msgids: list[str] = field(default_factory=list)  # the measured room's PRIVMSGs

    @property
    def size_mib(self) -> float:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.is_file()) / 2**20

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def vocabulary(size: int = VOCABULARY, seed: int = 7) -> list[str]:
    """Made-up words of 2 to 4 syllables, none a prefix of another, in a fixed order
    (rank 1 first): the same list on every run, whatever the database."""
    rng = random.Random(seed)
    onsets, vowels = "bdfgklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size * 2:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels)
                          for _ in range(rng.randint(2, 4))))
    ordered = sorted(words)
    kept = [w for w, nxt in zip(ordered, [*ordered[1:], ""], strict=True)
            if not nxt.startswith(w)]
    rng.shuffle(kept)
    return kept[:size]


def search_words() -> list[str]:
    words = vocabulary()
    return [words[rank - 1] for rank in SEARCH_RANKS]


class _Texts:
    """Message texts, drawn in chunks (one `choices` call per chunk is what keeps
    a million of them cheap)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary()
        weights = [1 / rank for rank in range(1, len(self.words) + 1)]
        self.cum = [sum(weights[:1])]
        for w in weights[1:]:
            self.cum.append(self.cum[-1] + w)
        self.pending: list[str] = []

    def next(self) -> str:
        if not self.pending:
            lengths = [self.rng.randint(4, 14) for _ in range(10_000)]
            drawn = self.rng.choices(self.words, cum_weights=self.cum, k=sum(lengths))
            at = 0
            for n in lengths:
                self.pending.append(" ".join(drawn[at:at + n]))
                at += n
        return self.pending.pop()


def fill(rows: int, seed: int = 1, parent: Path | None = None) -> Filled:
    """Fill a new temporary data dir with `rows` records; the caller removes it."""
    path = Path(tempfile.mkdtemp(prefix="ircish-history-", dir=parent))
    rng = random.Random(seed)
    texts = _Texts(rng)
    started = time.monotonic()
    store = open_store(Settings(data_dir=path))
    msgids: list[str] = []
    try:
        now_ms = int(time.time() * 1000)
        pairs = [(rng.choice(SENDERS), rng.choice(SENDERS)) for _ in range(200)]
        first_ms = now_ms - SPAN_MS
        room_messages = 0
        for i in range(rows):
            record = _record(rng, texts, pairs, first_ms + SPAN_MS * i // max(1, rows))
            store.append(record)
            if record.target_key == ROOM_KEY and record.command == "PRIVMSG":
                _sample(rng, msgids, record.msgid, room_messages)
                room_messages += 1
            if i % 2000 == 1999:
                _keep_up(store)
    finally:
        store.close()  # commits everything queued
    stats = store.stats()
    if stats.dropped:
        raise RuntimeError(f"history fill: the store dropped {stats.dropped} of {rows} rows")
    return Filled(path, rows, time.monotonic() - started, search_words(), msgids)


def _record(rng: random.Random, texts: _Texts, pairs: list[tuple[str, str]],
            time_ms: int) -> Record:
    nick = rng.choice(SENDERS)
    source = f"{nick}!{nick}@127.0.0.1"
    draw = rng.random()
    if draw < 0.10:   # a private message
        a, b = rng.choice(pairs)
        text = texts.next()
        return Record(msgid=new_msgid(), time_ms=time_ms, target_key=conversation_key(a, b),
                      sender_key=a, source=f"{a}!{a}@127.0.0.1", command="PRIVMSG",
                      params=(b, text), text=text)
    room = ROOM if draw < 0.50 else OTHER_ROOMS[int(draw * 1000) % len(OTHER_ROOMS)]
    key = casefold(room)
    kind = rng.random()
    if kind < 0.02:
        command = "JOIN" if kind < 0.01 else "PART"
        return Record(msgid=new_msgid(), time_ms=time_ms, target_key=key, sender_key=nick,
                      source=source, command=command, params=(room,),
                      extended=("*", "bench") if command == "JOIN" else None)
    command = "NOTICE" if kind < 0.04 else "PRIVMSG"
    text = texts.next()
    return Record(msgid=new_msgid(), time_ms=time_ms, target_key=key, sender_key=nick,
                  source=source, command=command, params=(room, text), text=text)


def _sample(rng: random.Random, kept: list[str], msgid: str, seen: int) -> None:
    """Reservoir sampling (`seen`: the room's PRIVMSGs before this one): each equally
    likely to be kept, whatever its depth."""
    if len(kept) < MSGID_SAMPLE:
        kept.append(msgid)
    else:
        slot = rng.randrange(seen + 1)
        if slot < MSGID_SAMPLE:
            kept[slot] = msgid


def _keep_up(store: Store) -> None:
    """The writer drops what overflows its queue (by design: the chat never waits for
    the disk); a fill must not lose rows, so it waits while the writer is behind."""
    while True:
        s = store.stats()
        if s.queued - s.committed - s.dropped < BACKLOG:
            return
        time.sleep(0.005)
