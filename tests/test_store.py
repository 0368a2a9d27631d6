"""SqliteStore's reads, on a real file: the one total order (time, then insertion),
exclusive bounds, limits, refs by time and by msgid, search, rooms, read-your-writes."""
from __future__ import annotations

import gc
import random
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircish.server.store import (
    Record,
    Ref,
    RoomRecord,
    SavedBan,
    SearchQuery,
    SqliteStore,
    UnknownMessage,
)

ROOM = "#room"


def rec(msgid: str, time_ms: int, *, key: str = ROOM, command: str = "PRIVMSG",
        text: str | None = None, sender: str = "bob") -> Record:
    if text is None and command in ("PRIVMSG", "NOTICE"):
        text = f"line {msgid}"
    params = (key, text) if text is not None else (key,)
    return Record(msgid=msgid, time_ms=time_ms, target_key=key, sender_key=sender,
                  source=f"{sender}!u@h", command=command, params=params, text=text)


def ids(records: list[Record]) -> list[str]:
    return [r.msgid for r in records]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore.open(tmp_path / "data", flush_ms=5)
    yield s
    s.close()


@pytest.fixture
def history(store: SqliteStore) -> SqliteStore:
    """a..j in ROOM; b c d share a millisecond (their order is the order they came in);
    e is a JOIN; another room's lines interleave."""
    times = {"a": 10, "b": 20, "c": 20, "d": 20, "e": 30, "f": 40, "g": 50, "h": 60,
             "i": 70, "j": 80}
    for msgid, t in times.items():
        store.append(rec(msgid, t, command="JOIN" if msgid == "e" else "PRIVMSG"))
        store.append(rec("x" + msgid, t, key="#other"))
    return store


def test_a_record_comes_back_whole(store: SqliteStore) -> None:
    r = Record(msgid="m1", time_ms=5, target_key=ROOM, sender_key="bob", source="Bob!u@h",
               command="PRIVMSG", params=(ROOM, "hé ☃ \"quoted\""), text="hé ☃ \"quoted\"",
               tags=(("+draft/react", "x"), ("bot", "")), account="bobacct",
               extended=("bobacct", "Bob Realname"))
    store.append(r)
    assert store.find(ROOM, "m1") == r
    assert store.latest(ROOM, None, 10, True) == [r]
    assert store.find(ROOM, "nope") is None
    assert store.find("#other", "m1") is None


def test_latest(history: SqliteStore) -> None:
    assert ids(history.latest(ROOM, None, 3, True)) == ["h", "i", "j"]
    assert ids(history.latest(ROOM, None, 100, True)) == list("abcdefghij")
    assert ids(history.latest(ROOM, Ref(time_ms=60), 100, True)) == ["i", "j"]   # exclusive
    assert ids(history.latest(ROOM, Ref(msgid="c"), 100, True)) == list("defghij")
    assert ids(history.latest(ROOM, Ref(msgid="c"), 2, True)) == ["i", "j"]      # the newest
    assert history.latest(ROOM, Ref(time_ms=80), 10, True) == []
    assert history.latest("#nobody", None, 10, True) == []
    assert history.latest(ROOM, None, 0, True) == []


def test_equal_times_keep_insertion_order(history: SqliteStore) -> None:
    assert ids(history.after(ROOM, Ref(msgid="b"), 2, True)) == ["c", "d"]
    assert ids(history.before(ROOM, Ref(msgid="d"), 2, True)) == ["b", "c"]
    assert ids(history.after(ROOM, Ref(time_ms=19), 3, True)) == ["b", "c", "d"]
    assert ids(history.after(ROOM, Ref(time_ms=20), 1, True)) == ["e"]
    assert ids(history.before(ROOM, Ref(time_ms=20), 5, True)) == ["a"]


def test_before_and_after(history: SqliteStore) -> None:
    assert ids(history.before(ROOM, Ref(msgid="g"), 3, True)) == ["d", "e", "f"]
    assert ids(history.before(ROOM, Ref(msgid="a"), 3, True)) == []
    assert ids(history.after(ROOM, Ref(msgid="g"), 2, True)) == ["h", "i"]
    assert ids(history.after(ROOM, Ref(msgid="j"), 2, True)) == []
    assert ids(history.before(ROOM, Ref(time_ms=1000), 2, True)) == ["i", "j"]
    assert ids(history.after(ROOM, Ref(time_ms=0), 2, True)) == ["a", "b"]


def test_events_false_keeps_messages_only(history: SqliteStore) -> None:
    assert ids(history.before(ROOM, Ref(msgid="g"), 3, False)) == ["c", "d", "f"]
    assert ids(history.after(ROOM, Ref(msgid="d"), 1, False)) == ["f"]
    assert "e" in ids(history.latest(ROOM, None, 10, True))
    assert "e" not in ids(history.latest(ROOM, None, 10, False))


def test_unknown_msgid(history: SqliteStore) -> None:
    for call in (lambda: history.before(ROOM, Ref(msgid="zz"), 5, True),
                 lambda: history.after(ROOM, Ref(msgid="zz"), 5, True),
                 lambda: history.around(ROOM, Ref(msgid="zz"), 5, True),
                 lambda: history.latest(ROOM, Ref(msgid="zz"), 5, True),
                 lambda: history.between(ROOM, Ref(msgid="a"), Ref(msgid="zz"), 5, True),
                 # a msgid of another target is unknown here
                 lambda: history.before(ROOM, Ref(msgid="xa"), 5, True)):
        with pytest.raises(UnknownMessage):
            call()


def test_around(history: SqliteStore) -> None:
    assert ids(history.around(ROOM, Ref(msgid="g"), 4, True)) == ["e", "f", "g", "h"]
    assert ids(history.around(ROOM, Ref(msgid="g"), 5, True)) == ["e", "f", "g", "h", "i"]
    assert ids(history.around(ROOM, Ref(msgid="g"), 1, True)) == ["g"]
    assert ids(history.around(ROOM, Ref(msgid="a"), 4, True)) == ["a", "b"]
    assert ids(history.around(ROOM, Ref(msgid="g"), 4, False)) == ["d", "f", "g", "h"]
    # a time: the later half starts at that millisecond
    assert ids(history.around(ROOM, Ref(time_ms=20), 4, True)) == ["a", "b", "c"]
    assert ids(history.around(ROOM, Ref(time_ms=25), 4, True)) == ["c", "d", "e", "f"]


def test_between_both_directions(history: SqliteStore) -> None:
    assert ids(history.between(ROOM, Ref(msgid="b"), Ref(msgid="h"), 3, True)) == ["c", "d", "e"]
    assert ids(history.between(ROOM, Ref(msgid="h"), Ref(msgid="b"), 3, True)) == ["e", "f", "g"]
    assert ids(history.between(ROOM, Ref(msgid="b"), Ref(msgid="h"), 100, False)) == [
        "c", "d", "f", "g"]
    assert ids(history.between(ROOM, Ref(time_ms=20), Ref(time_ms=60), 100, True)) == [
        "e", "f", "g"]
    assert ids(history.between(ROOM, Ref(time_ms=60), Ref(time_ms=20), 2, True)) == ["f", "g"]
    assert ids(history.between(ROOM, Ref(time_ms=10), Ref(msgid="c"), 100, True)) == ["b"]
    assert history.between(ROOM, Ref(msgid="c"), Ref(msgid="c"), 10, True) == []
    assert history.between(ROOM, Ref(time_ms=20), Ref(time_ms=20), 10, True) == []
    assert history.between(ROOM, Ref(msgid="c"), Ref(msgid="d"), 10, True) == []


def test_targets(history: SqliteStore) -> None:
    history.append(rec("dm1", 55, key="alice bob"))
    history.append(rec("dmjoin", 65, key="bob carol", command="JOIN"))   # not a message
    keys = [ROOM, "#other", "alice bob", "bob carol", "#empty"]
    assert history.targets(keys, 0, 1000, 10) == [("alice bob", 55), ("#other", 80),
                                                  (ROOM, 80)]
    assert history.targets(keys, 1000, 0, 1) == [(ROOM, 80)]       # either order; newest
    assert history.targets(keys, 40, 80, 10) == [("alice bob", 55), ("#other", 70),
                                                 (ROOM, 70)]        # exclusive
    assert history.targets(keys, 55, 56, 10) == []
    assert history.targets([], 0, 1000, 10) == []


def test_redact(history: SqliteStore) -> None:
    history.redact(ROOM, "f")
    history.redact(ROOM, "xg")        # not this room's: nothing happens
    assert history.find(ROOM, "f") is None
    assert ids(history.latest(ROOM, None, 4, True)) == ["g", "h", "i", "j"]
    assert ids(history.before(ROOM, Ref(msgid="g"), 2, True)) == ["d", "e"]
    assert history.search(SearchQuery(keys=[ROOM], text="f")) == []
    assert ids(history.search(SearchQuery(keys=["#other"], text="xg"))) == ["xg"]


def test_search(store: SqliteStore) -> None:
    lines = {
        "m1": (10, ROOM, "bob", "Hello world"),
        "m2": (20, ROOM, "alice", "help wanted: the world is flat"),
        "m3": (30, "#other", "bob", "hello from elsewhere"),
        "m4": (40, ROOM, "bob", "Привет мир, café"),
        "m5": (50, ROOM, "bob", "Γειά σου κόσμε"),
        "m6": (60, ROOM, "bob", 'a "quoted" OR NOT AND NEAR(x y) * column:thing'),
        "m7": (70, ROOM, "carol", "hello again"),
    }
    for msgid, (t, key, sender, text) in lines.items():
        store.append(rec(msgid, t, key=key, sender=sender, text=text))
    store.append(rec("n1", 80, command="NOTICE", text="hello notice"))
    store.append(rec("t1", 90, command="TOPIC", text="hello topic"))   # not searchable

    def find(text: str | None, keys: tuple[str, ...] = (ROOM,), **kw: object) -> list[str]:
        return ids(store.search(SearchQuery(keys=keys, text=text, **kw)))  # type: ignore[arg-type]

    assert find("hello") == ["m1", "m7", "n1"]
    assert find("hel") == ["m1", "m2", "m7", "n1"]                 # a prefix
    assert find("HELLO WOR") == ["m1"]                             # words AND-ed
    assert find("hello", keys=(ROOM, "#other")) == ["m1", "m3", "m7", "n1"]
    assert find("hello", keys=()) == []
    assert find("hello", limit=2) == ["m7", "n1"]                  # the newest, oldest first
    assert find("hello", sender_key="bob") == ["m1", "n1"]
    assert find("hello", sender_key="carol") == ["m7"]
    assert find(None, sender_key="alice") == ["m2"]
    assert find("hello", after_ms=10) == ["m7", "n1"]              # exclusive
    assert find("hello", before_ms=70) == ["m1"]
    assert find("hello", after_ms=10, before_ms=80) == ["m7"]
    assert find("привет") == ["m4"]
    assert find("МИР") == ["m4"]
    assert find("cafe") == ["m4"]                                  # diacritics ignored
    assert find("κόσμ") == ["m5"]
    assert find('"quoted"') == ["m6"]                              # FTS syntax is literal
    assert find('OR') == ["m6"]
    assert find('NEAR(x') == ["m6"]
    assert find("column:thing") == ["m6"]
    assert find('"') == []
    assert find("*") == []
    assert find("nothing") == []
    assert find(None) == ["m1", "m2", "m4", "m5", "m6", "m7", "n1"]


def test_search_finds_the_newest_even_when_stored_late(store: SqliteStore) -> None:
    """Rows stored out of time order (a late writer) still come back in time order,
    and the newest by time win, not the newest stored."""
    for i in range(300):
        store.append(rec(f"m{i}", 1000 + i, text=f"word {i}"))
    store.stats()
    store.latest(ROOM, None, 1, True)      # committed: the next ones are a later batch
    store.append(rec("late-new", 5000, text="word late new"))
    store.latest(ROOM, None, 1, True)
    store.append(rec("late-old", 10, text="word late old"))
    got = ids(store.search(SearchQuery(keys=[ROOM], text="word", limit=3)))
    assert got == ["m298", "m299", "late-new"]
    got = ids(store.search(SearchQuery(keys=[ROOM], text="word", limit=2, before_ms=1001)))
    assert got == ["late-old", "m0"]
    assert ids(store.latest(ROOM, None, 2, True)) == ["m299", "late-new"]
    assert ids(store.after(ROOM, Ref(time_ms=0), 2, True)) == ["late-old", "m0"]


def test_rooms(store: SqliteStore) -> None:
    general = RoomRecord(name="#General", created=100, modes="nt", key="sesame", limit=10,
                         topic="Welcome ☃", topic_setter="alice!u@h", topic_set_at=101,
                         bans=(SavedBan("*!*@bad", "alice", 102), SavedBan("x!*@*", "bob", 103)))
    dev = RoomRecord(name="#dev", created=200)
    store.save_room(general)
    store.save_room(dev)
    assert sorted(store.rooms(), key=lambda r: r.name) == [general, dev]
    renamed = RoomRecord(name="#GENERAL", created=100, modes="n")
    store.save_room(renamed)                     # the same room: replaced
    assert sorted(store.rooms(), key=lambda r: r.name) == [renamed, dev]
    store.forget_room("#general")
    assert store.rooms() == [dev]
    store.forget_room("#nothing")
    assert store.rooms() == [dev]


def test_reads_see_writes_queued_by_other_threads(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, flush_ms=10_000)    # the timer alone would be slow
    try:
        def write(n: int) -> None:
            for i in range(50):
                store.append(rec(f"t{n}-{i}", n * 1000 + i))
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(store.latest(ROOM, None, 1000, True)) == 200
        store.save_room(RoomRecord(name="#new", created=1))
        assert [r.name for r in store.rooms()] == ["#new"]
        stats = store.stats()
        assert stats.queued == stats.committed == 201
        assert stats.dropped == 0
    finally:
        store.close()


def test_stats_and_queue_limit(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, flush_ms=10_000, queue_limit=10)
    try:
        store.append(rec("first", 1))      # wakes the writer, which then waits 10 s
        for i in range(30):
            store.append(rec(f"m{i}", 2 + i))
        got = store.latest(ROOM, None, 100, True)
        stats = store.stats()
        assert len(got) == 10
        assert stats.queued == 31
        assert stats.dropped == 21
        assert stats.committed == 10
        assert stats.deepest_queue == 10
        assert stats.largest_batch == 10
        assert stats.batch_sizes[-1] == 10
    finally:
        store.close()


def test_queued_records_cost_the_garbage_collector_nothing(tmp_path: Path) -> None:
    """Records waiting for the writer are left alone by the cyclic collector once it
    has seen them (`batcher.Pending`): thousands queued do not lengthen the collections
    that hold the interpreter lock (as objects they made full collections of ~100 ms)."""
    store = SqliteStore.open(tmp_path, flush_ms=10_000)
    try:
        store.append(rec("first", 1))      # wakes the writer, which then waits 10 s
        gc.collect()
        before = len(gc.get_objects())
        for i in range(5000):
            store.append(rec(f"m{i}", 2 + i, sender=f"nick{i % 50}"))
        gc.collect()
        tracked = len(gc.get_objects()) - before
        assert store.stats().committed == 0             # all of them still queued
        assert tracked < 500                            # as objects: one per record
        assert len(store.latest(ROOM, None, 10_000, True)) == 5001
    finally:
        store.close()


def test_writes_after_close_are_ignored(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path)
    store.close()
    store.append(rec("late", 1))
    store.save_room(RoomRecord(name="#x", created=1))
    store.close()
    assert store.latest(ROOM, None, 10, True) == []
    reopened = SqliteStore.open(tmp_path)
    try:
        assert reopened.latest(ROOM, None, 10, True) == []
        assert reopened.rooms() == []
    finally:
        reopened.close()


def test_a_record_that_cannot_be_stored_does_not_take_others_with_it(store: SqliteStore) -> None:
    store.append(rec("good1", 1))
    store.append(rec("bad", 2, text="lone surrogate \udcff"))
    store.append(rec("good2", 3))
    assert ids(store.latest(ROOM, None, 10, True)) == ["good1", "good2"]
    stats = store.stats()
    assert (stats.committed, stats.dropped) == (2, 1)
    store.append(rec("good3", 4))       # the writer carries on
    assert ids(store.latest(ROOM, None, 10, True)) == ["good1", "good2", "good3"]


def test_search_words_as_the_index_splits_them(store: SqliteStore) -> None:
    store.append(rec("m1", 1, text="the foo-bar thing, naïve"))
    store.append(rec("m2", 2, text="foo and bar apart"))
    for i in range(300):             # more words beginning "zq" than a lookup expands
        store.append(rec(f"z{i}", 10 + i, text=f"zq{i:03d}x"))

    def find(text: str, limit: int = 100) -> list[str]:
        return ids(store.search(SearchQuery(keys=[ROOM], text=text, limit=limit)))

    assert find("foo-bar") == ["m1", "m2"]          # two words, each a prefix, AND-ed
    assert find("NAÏVE") == ["m1"]
    assert find("naive") == ["m1"]
    assert find("zq", limit=3) == ["z297", "z298", "z299"]   # FTS5's own prefix expansion
    assert find("zq150") == ["z150"]
    assert find("zq15") == [f"z{i}" for i in range(150, 160)]
    assert find("zq999") == []


def test_reads_racing_close_get_answers_or_nothing(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, flush_ms=5)
    store.append(rec("m", 1))
    errors: list[BaseException] = []
    answers: list[int] = []
    go = threading.Event()

    def read() -> None:
        go.set()
        try:
            for _ in range(2000):
                answers.append(len(store.latest(ROOM, None, 5, True)))
                store.append(rec("more", 2))
        except BaseException as exc:
            errors.append(exc)
    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    go.wait()
    store.close()
    for t in threads:
        t.join()
    assert not errors
    assert answers[-1] == 0                      # after close: nothing, quietly
    assert set(answers) <= set(range(6))


def model_matches(r: Record, q: SearchQuery) -> bool:
    """What a search must find, by hand: every word begins one of the text's words."""
    tokens = re.findall(r"[^\W_]+", (r.text or "").lower())
    return (r.target_key in q.keys and r.is_message
            and all(any(tok.startswith(w) for tok in tokens) for w in (q.text or "").split())
            and (q.sender_key is None or r.sender_key == q.sender_key)
            and (q.after_ms is None or r.time_ms > q.after_ms)
            and (q.before_ms is None or r.time_ms < q.before_ms))


def test_reads_agree_with_a_plain_model(tmp_path: Path) -> None:
    """Random history (rows stored late by up to a second, equal times, events, three
    targets) against the interface's rules computed by hand."""
    rng = random.Random(7)
    vocab = ["alpha", "alpine", "beta", "bet", "gamma", "γάμμα", "дельта", "epsilon"]
    keys = ["#a", "#b", "x y"]
    store = SqliteStore.open(tmp_path, flush_ms=10_000, max_age_s=None)
    model: list[Record] = []
    try:
        for batch in range(12):
            base = 10_000 + batch * 400
            for i in range(40):
                n = len(model)
                command = rng.choice(["PRIVMSG", "PRIVMSG", "NOTICE", "JOIN"])
                t = base + rng.randrange(-1000, 400) // 10 * 10      # late rows, ties
                r = rec(f"m{n}", t, key=rng.choice(keys), command=command,
                        sender=rng.choice(["ann", "bob"]),
                        text=" ".join(rng.choices(vocab, k=3)) if command != "JOIN" else None)
                store.append(r)
                model.append(r)
            store.latest("#a", None, 1, True)          # commit: the next batch comes later
        order = {r.msgid: i for i, r in enumerate(model)}

        def sort(rs: list[Record]) -> list[Record]:
            return sorted(rs, key=lambda r: (r.time_ms, order[r.msgid]))

        def in_key(key: str, events: bool) -> list[Record]:
            return sort([r for r in model if r.target_key == key and (events or r.is_message)])

        for _ in range(60):
            key = rng.choice(keys)
            events = rng.random() < 0.5
            limit = rng.randrange(1, 30)
            rows = in_key(key, events)
            every = in_key(key, True)
            pivot = rng.choice(every)
            place = (pivot.time_ms, order[pivot.msgid])
            earlier = [r for r in rows if (r.time_ms, order[r.msgid]) < place]
            later = [r for r in rows if (r.time_ms, order[r.msgid]) > place]
            ref = Ref(msgid=pivot.msgid)
            assert store.before(key, ref, limit, events) == earlier[-limit:]
            assert store.after(key, ref, limit, events) == later[:limit]
            assert store.latest(key, ref, limit, events) == later[-limit:]
            assert store.latest(key, None, limit, events) == rows[-limit:]
            at = [r for r in rows if (r.time_ms, order[r.msgid]) >= place]
            assert store.around(key, ref, limit, events) == (
                earlier[-(limit // 2):] if limit // 2 else []) + at[:limit - limit // 2]
            t = rng.randrange(9_000, 15_000)
            assert store.before(key, Ref(time_ms=t), limit, events) == [
                r for r in rows if r.time_ms < t][-limit:]
            assert store.after(key, Ref(time_ms=t), limit, events) == [
                r for r in rows if r.time_ms > t][:limit]
            other = rng.choice(every)
            o_place = (other.time_ms, order[other.msgid])
            inside = [r for r in rows if min(place, o_place) < (r.time_ms, order[r.msgid])
                      < max(place, o_place)]
            expected = inside[:limit] if place <= o_place else inside[-limit:]
            assert store.between(key, ref, Ref(msgid=other.msgid), limit, events) == expected

            words = rng.sample(["al", "alp", "be", "bet", "gam", "γά", "дел", "eps", "zz"],
                               rng.randrange(0, 3))
            allowed = rng.sample(keys, rng.randrange(1, 4))
            sender = rng.choice([None, "ann", "bob"])
            after = rng.choice([None, rng.randrange(9_000, 15_000)])
            before = rng.choice([None, rng.randrange(9_000, 15_000)])

            query = SearchQuery(keys=allowed, text=" ".join(words) if words else None,
                                sender_key=sender, after_ms=after, before_ms=before,
                                limit=limit)
            assert store.search(query) == sort([r for r in model
                                                if model_matches(r, query)])[-limit:], query
        targets = store.targets(keys, 0, 100_000, 2)
        newest = {k: max(r.time_ms for r in model if r.target_key == k and r.is_message)
                  for k in keys}
        assert targets == sorted(newest.items(), key=lambda kv: (kv[1], kv[0]))[-2:]
    finally:
        store.close()
