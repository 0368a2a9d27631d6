"""SqliteStore's accounts part (schema v4), on real files with real restarts (close,
then open the same data dir): accounts, read markers, registered rooms, private
conversations by party, and a version-3 file brought to version 4."""
from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircish.server.store import (
    AccountRecord,
    NullStore,
    Record,
    RoomRecord,
    SavedBan,
    SearchQuery,
    SqliteStore,
    Store,
    conversation_key,
    schema,
)

from .test_store import ROOM, ids, rec

DB = schema.FILE_NAME

ALICE = AccountRecord(name="Alice", created=1_700_000_000, password="$scrypt$hash",
                      scram="scram-keys", email="alice@example.org",
                      certfps=("ab" * 32, "cd" * 32))
BOB = AccountRecord(name="bob", created=1_700_000_100, password="h", scram="s")
GONE = AccountRecord(name="Gone", created=1_600_000_000, dropped_at=1_700_000_200)

# `Store` is the interface both stores implement (mypy checks these lines).
_null: Store = NullStore()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data: Path) -> Iterator[SqliteStore]:
    s = SqliteStore.open(data, flush_ms=5, max_age_s=None)
    yield s
    s.close()


def reopen(store: SqliteStore, **kw: object) -> SqliteStore:
    """A restart: everything queued is committed, the file closed, then opened again."""
    store.close()
    return SqliteStore.open(store.path.parent, flush_ms=5, **kw)  # type: ignore[arg-type]


def pm(msgid: str, time_ms: int, a: str, b: str, *, command: str = "PRIVMSG",
       sender: str | None = None) -> Record:
    return rec(msgid, time_ms, key=conversation_key(a, b), command=command,
               sender=sender or a.lstrip("!"))


# --- accounts ---------------------------------------------------------------------------

def test_accounts_round_trip_across_a_restart(store: SqliteStore) -> None:
    for account in (ALICE, BOB, GONE):
        store.save_account(account)
    assert store.accounts() == [ALICE, BOB, GONE]          # read-your-writes, by key
    store = reopen(store)
    try:
        assert store.accounts() == [ALICE, BOB, GONE]
        changed = AccountRecord(name="ALICE", created=ALICE.created, password="new",
                                scram="new-scram", certfps=("ef" * 32,))
        store.save_account(changed)                        # the same key: replaced
        store = reopen(store)
        assert store.accounts() == [changed, BOB, GONE]
    finally:
        store.close()


def test_forget_account_removes_it_and_its_read_markers(store: SqliteStore) -> None:
    store.save_account(ALICE)
    store.save_account(BOB)
    store.save_read_marker("alice", ROOM, 100)
    store.save_read_marker("alice", "!carol alice", 200)
    store.save_read_marker("bob", ROOM, 300)
    store.forget_account("alice")
    assert store.accounts() == [BOB]
    assert store.read_markers("alice") == {}
    store = reopen(store)
    try:
        assert store.accounts() == [BOB]
        assert store.read_markers("alice") == {}
        assert store.read_markers("bob") == {ROOM: 300}    # another account's are kept
        store.forget_account("nobody")                     # nothing to forget: no harm
        assert store.accounts() == [BOB]
    finally:
        store.close()


# --- read markers -----------------------------------------------------------------------

def test_read_markers_round_trip_and_only_move_forward(store: SqliteStore) -> None:
    store.save_read_marker("alice", ROOM, 100)
    store.save_read_marker("alice", "alice bob", 50)
    store.save_read_marker("alice", ROOM, 150)
    # Two MARKREADs may reach the queue in the other order than the account book
    # took them: an earlier time queued later does not move the marker back.
    store.save_read_marker("alice", ROOM, 120)
    assert store.read_markers("alice") == {ROOM: 150, "alice bob": 50}
    assert store.read_markers("bob") == {}
    store = reopen(store)
    try:
        assert store.read_markers("alice") == {ROOM: 150, "alice bob": 50}
    finally:
        store.close()


def test_a_read_sees_a_marker_queued_just_before(data: Path) -> None:
    """Read-your-writes with a writer that would otherwise wait ten seconds."""
    store = SqliteStore.open(data, flush_ms=10_000)
    try:
        store.append(rec("first", 1))                      # the writer is now gathering
        store.save_read_marker("alice", ROOM, 1)
        assert store.read_markers("alice") == {ROOM: 1}
        store.save_read_marker("alice", ROOM, 2)
        assert store.read_markers("alice") == {ROOM: 2}
        store.save_account(BOB)
        assert store.accounts() == [BOB]
    finally:
        store.close()


def test_markers_commit_in_the_messages_batch(data: Path) -> None:
    """A MARKREAD costs no commit of its own: interleaved with messages, the lot is
    one batch (one transaction), and the messages keep their order."""
    store = SqliteStore.open(data, flush_ms=10_000)
    try:
        for i in range(100):
            store.append(rec(f"m{i}", 1000 + i))
            store.save_read_marker("alice", ROOM, 1000 + i)
        store.redact(ROOM, "m50")                          # a redaction still follows it
        store.append(rec("m100", 1100))
        assert store.read_markers("alice") == {ROOM: 1099}
        assert ids(store.latest(ROOM, None, 1000, True)) == [
            f"m{i}" for i in range(101) if i != 50]
        stats = store.stats()
        assert (stats.batches, stats.committed, stats.dropped) == (1, 202, 0)
    finally:
        store.close()


# --- registered rooms -------------------------------------------------------------------

def test_a_registered_room_round_trips(store: SqliteStore) -> None:
    registered = RoomRecord(name="#Dev", created=100, modes="nt", topic="t",
                            bans=(SavedBan("*!*@bad", "alice", 5),), founder="alice",
                            registered_at=200, access=(("bob", "o"), ("carol", "v"),
                                                       ("dave", "o")))
    plain = RoomRecord(name="#plain", created=300)
    store.save_room(registered)
    store.save_room(plain)
    assert store.rooms() == [registered, plain]
    store = reopen(store)
    try:
        assert store.rooms() == [registered, plain]
        dropped = RoomRecord(name="#Dev", created=100, modes="nt")
        store.save_room(dropped)                           # unregistered: replaced whole
        store = reopen(store)
        assert store.rooms() == [dropped, plain]
    finally:
        store.close()


# --- conversations ----------------------------------------------------------------------

def test_conversations_from_either_side(store: SqliteStore) -> None:
    store.append(pm("a1", 10, "alice", "bob"))
    store.append(pm("a2", 40, "bob", "alice", sender="bob"))
    store.append(pm("c1", 20, "alice", "!carol"))
    store.append(pm("d1", 30, "dave", "alice"))
    store.append(pm("s1", 25, "alice", "alice"))           # a note to oneself
    store.append(pm("t1", 50, "alice", "!carol", command="TAGMSG"))   # not a message
    store.append(pm("j1", 60, "dave", "alice", command="JOIN"))
    store.append(pm("e1", 35, "erin", "bob"))
    store.append(rec("r1", 70, key=ROOM, sender="alice"))  # rooms are never listed
    ab, ac, ad, aa = (conversation_key("alice", "bob"), conversation_key("alice", "!carol"),
                      conversation_key("alice", "dave"), conversation_key("alice", "alice"))
    assert store.conversations("alice", 0, 1000, 10) == [
        (ac, 20), (aa, 25), (ad, 30), (ab, 40)]
    assert store.conversations("bob", 0, 1000, 10) == [
        (conversation_key("bob", "erin"), 35), (ab, 40)]
    assert store.conversations("!carol", 0, 1000, 10) == [(ac, 20)]
    assert store.conversations("carol", 0, 1000, 10) == []  # a nick is not the account
    assert store.conversations("alice", 1000, 0, 2) == [(ad, 30), (ab, 40)]  # either order
    assert store.conversations("alice", 10, 40, 10) == [(ac, 20), (aa, 25), (ad, 30)]
    assert store.conversations("alice", 0, 40, 10) == [(ab, 10), (ac, 20), (aa, 25), (ad, 30)]
    assert store.conversations("alice", 20, 25, 10) == []   # both ends exclusive
    assert store.conversations("alice", 0, 1000, 0) == []
    assert store.conversations("nobody", 0, 1000, 10) == []
    store = reopen(store)
    try:
        assert store.conversations("alice", 0, 1000, 10) == [
            (ac, 20), (aa, 25), (ad, 30), (ab, 40)]
    finally:
        store.close()


def test_conversations_at_equal_times_sort_as_targets_do(store: SqliteStore) -> None:
    for peer in ("zed", "amy", "kim"):
        store.append(pm(peer, 50, "alice", peer))
    keys = [conversation_key("alice", p) for p in ("amy", "kim", "zed")]
    assert store.conversations("alice", 0, 100, 2) == [(keys[1], 50), (keys[2], 50)]
    assert store.conversations("alice", 0, 100, 2) == store.targets(keys, 0, 100, 2)
    # A conversation active later than the window is read first; one of equal time in
    # the window, read after it, still wins the tie by its key.
    store.append(pm("amy2", 60, "alice", "amy"))
    assert store.conversations("alice", 0, 55, 1) == [(keys[2], 50)]
    assert store.conversations("alice", 0, 55, 1) == store.targets(keys, 0, 55, 1)


def test_redaction_keeps_conversations_right(store: SqliteStore) -> None:
    store.append(pm("x1", 10, "alice", "bob"))
    store.append(pm("x2", 20, "alice", "bob"))
    store.append(pm("y1", 30, "alice", "carol"))
    ab, ac = conversation_key("alice", "bob"), conversation_key("alice", "carol")
    store.redact(ab, "x2")
    assert store.conversations("alice", 0, 100, 10) == [(ab, 10), (ac, 30)]
    store.redact(ac, "y1")                                 # its only message
    assert store.conversations("alice", 0, 100, 10) == [(ab, 10)]
    assert store.conversations("carol", 0, 100, 10) == []
    store.close()
    with sqlite3.connect(store.path) as conn:              # and nothing is left of it
        assert conn.execute("SELECT party, target_key FROM conversation_sides ORDER BY 1"
                            ).fetchall() == [("alice", ab), ("bob", ab)]
    conn.close()


def test_pruning_keeps_conversations_right(data: Path) -> None:
    now = int(time.time() * 1000)
    store = SqliteStore.open(data, flush_ms=5, max_age_s=3600)
    try:
        store._batcher._pruning.step_rows = 3              # several steps
        for i in range(5):
            store.append(pm(f"old{i}", now - 7200_000 + i, "alice", "bob"))
        store.append(pm("new", now - 60_000, "alice", "carol"))
        store.append(pm("kept", now - 60_000, "alice", "dave"))
        store.append(pm("gone", now - 7200_000, "alice", "dave"))
        assert len(store.conversations("alice", 0, now, 10)) == 3
        assert store._prune_now()
        ac, ad = conversation_key("alice", "carol"), conversation_key("alice", "dave")
        assert store.conversations("alice", 0, now, 10) == [(ac, now - 60_000),
                                                            (ad, now - 60_000)]
        assert store.conversations("bob", 0, now, 10) == []
    finally:
        store.close()
    with sqlite3.connect(data / DB) as conn:
        assert {k for (k,) in conn.execute("SELECT target_key FROM conversation_sides")} == {
            ac, ad}
    conn.close()


def test_pruning_by_count_keeps_conversations_right(data: Path) -> None:
    store = SqliteStore.open(data, flush_ms=5, max_age_s=None, max_per_target=2)
    try:
        for i in range(4):
            store.append(pm(f"m{i}", 10 + i, "alice", "bob"))
        store.append(pm("t", 5, "alice", "carol"))
        store.append(pm("u", 6, "alice", "carol", command="TAGMSG"))
        store.append(pm("v", 7, "alice", "carol", command="TAGMSG"))
        assert store._prune_now()                          # carol's message is pruned
        assert store.conversations("alice", 0, 100, 10) == [
            (conversation_key("alice", "bob"), 13)]
        assert store.conversations("alice", 0, 13, 10) == [
            (conversation_key("alice", "bob"), 12)]
        assert store.conversations("alice", 0, 12, 10) == []    # 10 and 11 are gone
    finally:
        store.close()


def test_conversations_agree_with_a_plain_model(data: Path) -> None:
    """Random private messages (stored late, equal times, events, redactions) against
    the interface's rule computed by hand, from every side, for random windows."""
    rng = random.Random(11)
    parties = ["alice", "bob", "carol", "!dave", "!erin", "frank"]
    store = SqliteStore.open(data, flush_ms=10_000, max_age_s=None)
    model: list[Record] = []
    try:
        for batch in range(8):
            for i in range(60):
                a, b = rng.choice(parties), rng.choice(parties)
                command = rng.choice(["PRIVMSG", "PRIVMSG", "NOTICE", "TAGMSG"])
                r = pm(f"m{len(model)}", 1000 + batch * 300 + rng.randrange(-500, 300) // 10,
                       a, b, command=command)
                store.append(r)
                model.append(r)
            for r in rng.sample(model, 5):
                store.redact(r.target_key, r.msgid)
                model.remove(r)
            store.latest(ROOM, None, 1, True)              # commit: the next batch is later
        for _ in range(200):
            party = rng.choice([*parties, "nobody"])
            start, end = rng.randrange(0, 4000), rng.randrange(0, 4000)
            limit = rng.randrange(1, 8)
            low, high = min(start, end), max(start, end)
            latest: dict[str, int] = {}
            for r in model:
                if (party in r.target_key.split(" ") and r.is_message
                        and low < r.time_ms < high):
                    latest[r.target_key] = max(latest.get(r.target_key, 0), r.time_ms)
            expected = sorted(latest.items(), key=lambda kt: (kt[1], kt[0]))[-limit:]
            assert store.conversations(party, start, end, limit) == expected, (party, start,
                                                                                end, limit)
    finally:
        store.close()


# --- a version-3 file -------------------------------------------------------------------

def test_a_version_3_file_comes_to_version_4_with_everything(data: Path) -> None:
    """Made by the migrations up to 3 only (the layout of the previous release), with
    rows as its writer left them; opened by this store, it keeps every message and room,
    its conversations (between nicks then) become conversations between "!" nicks,
    searchable and listed from either side."""
    conn = schema.open_database(data, migrations=schema.MIGRATIONS[:3])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    rows = [("r1", 100, "#room", "bob", "PRIVMSG", "hello room"),
            ("p1", 200, "alice bob", "alice", "PRIVMSG", "hello private"),
            ("p2", 300, "alice bob", "bob", "NOTICE", "a notice"),
            ("p3", 400, "alice bob", "bob", "TAGMSG", None),
            ("q1", 250, "carol dave", "dave", "PRIVMSG", "another one"),
            ("r2", 500, "#room", "bob", "JOIN", None)]
    conn.executemany(
        "INSERT INTO messages (msgid, time_ms, target_key, sender_key, source, command, "
        "params, text) VALUES (?, ?, ?, ?, 'x!u@h', ?, '[\"t\"]', ?)", rows)
    conn.execute(schema.INDEX_NEW, (0,))
    conn.execute("UPDATE meta SET high_ms = 500")
    conn.execute("INSERT INTO rooms VALUES ('#room', '#Room', 1, 'nt', 'key', 5, 'topic', "
                 "'bob!u@h', 2, '[[\"*!*@bad\", \"bob\", 3]]')")
    conn.close()

    store = SqliteStore.open(data, flush_ms=5, max_age_s=None)
    try:
        private = conversation_key("!alice", "!bob")
        assert ids(store.latest(ROOM, None, 10, True)) == ["r1", "r2"]
        assert ids(store.latest(private, None, 10, True)) == ["p1", "p2", "p3"]
        assert ids(store.latest("!carol !dave", None, 10, True)) == ["q1"]
        assert store.latest("alice bob", None, 10, True) == []
        assert store.find(private, "p2") is not None
        assert ids(store.search(SearchQuery(keys=[private], text="hello"))) == ["p1"]
        assert ids(store.search(SearchQuery(keys=["alice bob"], text="hello"))) == []
        assert store.rooms() == [RoomRecord(
            name="#Room", created=1, modes="nt", key="key", limit=5, topic="topic",
            topic_setter="bob!u@h", topic_set_at=2, bans=(SavedBan("*!*@bad", "bob", 3),))]
        assert store.conversations("!alice", 0, 1000, 10) == [(private, 300)]
        assert store.conversations("!bob", 0, 1000, 10) == [(private, 300)]
        assert store.conversations("!dave", 0, 1000, 10) == [("!carol !dave", 250)]
        assert store.conversations("alice", 0, 1000, 10) == []   # no account "alice"
        assert store.accounts() == []
        store.append(pm("p4", 600, "!alice", "!bob"))       # the new writer carries on
        assert store.conversations("!alice", 0, 1000, 10) == [(private, 600)]
    finally:
        store.close()
    with sqlite3.connect(data / DB) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST == 4
        assert check.execute("SELECT count(*) FROM messages").fetchone()[0] == len(rows) + 1
    check.close()


def test_an_account_that_cannot_be_stored_does_not_take_the_batch_with_it(
        data: Path) -> None:
    store = SqliteStore.open(data, flush_ms=10_000)
    try:
        store.append(rec("m1", 1))
        store.save_account(AccountRecord(name="bad", created=1, email="lone \udcff"))
        store.save_account(BOB)
        store.append(rec("m2", 2))
        assert store.accounts() == [BOB]
        assert ids(store.latest(ROOM, None, 10, True)) == ["m1", "m2"]
        stats = store.stats()
        assert (stats.committed, stats.dropped) == (3, 1)
    finally:
        store.close()


def test_writes_after_close_are_ignored(data: Path) -> None:
    store = SqliteStore.open(data)
    store.close()
    store.save_account(ALICE)
    store.save_read_marker("alice", ROOM, 1)
    store.forget_account("alice")
    assert store.accounts() == []
    assert store.read_markers("alice") == {}
    assert store.conversations("alice", 0, 10, 10) == []
    store = SqliteStore.open(data)
    try:
        assert store.accounts() == []
    finally:
        store.close()
