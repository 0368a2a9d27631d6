"""SqliteStore and its file: what start-up refuses (one line naming the file), what a
clean stop and a kill keep, migration from the previous schema, a full disk, pruning."""
from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ircish.server.store import (
    Record,
    Ref,
    RoomRecord,
    SearchQuery,
    SqliteStore,
    StoreError,
    schema,
)

from .test_store import ROOM, ids, rec

DB = schema.FILE_NAME


def fill(data: Path, n: int, *, text: str = "hello") -> None:
    store = SqliteStore.open(data, flush_ms=60_000)
    for i in range(n):
        store.append(rec(f"m{i}", 1000 + i, text=f"{text} {i}"))
    store.close()


def open_error(data: Path) -> str:
    with pytest.raises(StoreError) as err:
        SqliteStore.open(data).close()
    message = str(err.value)
    assert "\n" not in message
    return message


def test_close_commits_everything_queued(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, flush_ms=60_000)
    for i in range(1000):
        store.append(rec(f"m{i}", i))
    store.save_room(RoomRecord(name="#kept", created=1, topic="still here"))
    store.close()
    store = SqliteStore.open(tmp_path)
    try:
        assert len(store.latest(ROOM, None, 5000, True)) == 1000
        assert store.find(ROOM, "m999") is not None
        assert [r.topic for r in store.rooms()] == ["still here"]
    finally:
        store.close()
    with sqlite3.connect(tmp_path / DB) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


_CHILD = """
import sys, time
from pathlib import Path
from ircish.server.store import SqliteStore, Record
store = SqliteStore.open(Path(sys.argv[1]), flush_ms=20)
for i in range(100):
    store.append(Record(msgid=f"k{i}", time_ms=i, target_key="#room", sender_key="bob",
                        source="bob!u@h", command="PRIVMSG", params=("#room", "hi"), text="hi"))
while store.stats().committed < 100:     # the writer's own timer, no read forcing it
    time.sleep(0.01)
print("committed", flush=True)
time.sleep(60)
"""


def test_committed_writes_survive_a_kill(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = SqliteStore.open(tmp_path)
    try:
        assert len(store.latest(ROOM, None, 1000, True)) == 100
    finally:
        store.close()


def test_migration_from_version_1(tmp_path: Path) -> None:
    """A file made by the first schema (no search index) gets it, with its rows in it."""
    conn = schema.open_database(tmp_path, migrations=schema.MIGRATIONS[:1])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    rows = [(f"m{i}", t, ROOM, "bob", "bob!u@h", "PRIVMSG", '["#room", "x"]', f"old words {i}")
            for i, t in enumerate([100, 300, 200, 400])]     # stored out of order by 100
    conn.executemany("INSERT INTO messages (msgid, time_ms, target_key, sender_key, source, "
                     "command, params, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO rooms VALUES ('#a', '#A', 1, 'nt', NULL, NULL, 'topic', NULL, "
                 "NULL, '[]')")
    conn.close()
    store = SqliteStore.open(tmp_path)
    try:
        assert ids(store.search(SearchQuery(keys=[ROOM], text="old", limit=2))) == ["m1", "m3"]
        assert ids(store.latest(ROOM, None, 10, True)) == ["m0", "m2", "m1", "m3"]
        assert [r.name for r in store.rooms()] == ["#A"]
        store.append(rec("new", 500, text="old new"))
        assert ids(store.search(SearchQuery(keys=[ROOM], text="old", limit=2))) == ["m3", "new"]
    finally:
        store.close()
    with sqlite3.connect(tmp_path / DB) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
        assert check.execute("SELECT skew_ms FROM meta").fetchone()[0] == 100


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    schema.open_database(tmp_path, migrations=schema.MIGRATIONS[:1]).close()
    broken = [*schema.MIGRATIONS, ["CREATE TABLE oops (", ]]
    with pytest.raises(StoreError, match=r"cannot bring .*ircish.db from schema version 1"):
        schema.open_database(tmp_path, migrations=broken)
    with sqlite3.connect(tmp_path / DB) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'"
                            ).fetchone()[0] == 0


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert open_error(tmp_path / "file" / "data").startswith(
        f"cannot create data directory {tmp_path / 'file' / 'data'}")
    assert "is not a directory" in open_error(tmp_path / "file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o500)
    try:
        assert open_error(data).startswith(f"data directory {data} is not writable")
    finally:
        data.chmod(0o700)


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / DB).write_bytes(b"this is not a database\n" * 100)
    assert open_error(tmp_path) == f"{tmp_path / DB} is not a SQLite database"


def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    (tmp_path / DB).write_bytes(b"")
    SqliteStore.open(tmp_path).close()


def test_another_programs_database(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.close()
    message = open_error(tmp_path)
    assert message.startswith(f"{tmp_path / DB} is not an ircish database")
    assert "invoices" in message
    with sqlite3.connect(tmp_path / DB) as conn:
        conn.execute("PRAGMA application_id = 1234")
    conn.close()
    assert "is not an ircish database (application id 0x4d2)" in open_error(tmp_path)


def test_a_database_from_a_newer_ircish(tmp_path: Path) -> None:
    SqliteStore.open(tmp_path).close()
    with sqlite3.connect(tmp_path / DB) as conn:
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    conn.close()
    assert open_error(tmp_path) == (f"{tmp_path / DB} was written by a newer ircish (schema "
                                    f"version {schema.LATEST + 1}; this one knows up to "
                                    f"{schema.LATEST})")


def test_a_truncated_database(tmp_path: Path) -> None:
    fill(tmp_path, 3000)
    path = tmp_path / DB
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    assert open_error(tmp_path).startswith(f"{path} is truncated")


def test_a_damaged_database(tmp_path: Path) -> None:
    fill(tmp_path, 3000)
    path = tmp_path / DB
    page = int.from_bytes(path.read_bytes()[16:18], "big")
    with path.open("r+b") as f:
        for n in range(3, path.stat().st_size // page, 7):   # every 7th page from the 4th
            f.seek(n * page)
            f.write(os.urandom(page))
    assert open_error(tmp_path).startswith(f"{path} is damaged")


def test_a_full_disk_degrades_history_then_recovers(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ircish.server.store")
    store = SqliteStore.open(tmp_path, flush_ms=5)
    try:
        store.append(rec("before", 1))
        assert ids(store.latest(ROOM, None, 10, True)) == ["before"]

        def fill_the_disk(conn: sqlite3.Connection) -> None:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        store._on_writer(fill_the_disk)
        store.latest(ROOM, None, 1, True)
        for batch in range(3):
            for i in range(50):
                store.append(rec(f"lost{batch}-{i}", 10 + i, text="x" * 5000))
            assert ids(store.latest(ROOM, None, 10, True)) == ["before"]   # reads still work
        stats = store.stats()
        assert stats.dropped == 150
        full = [r for r in caplog.records if "lost" in r.getMessage()]
        assert len(full) == 1                                 # once a minute, not per batch
        assert "database or disk is full" in full[0].getMessage()

        store._on_writer(lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))
        store.append(rec("after", 100, text="y" * 5000))
        assert ids(store.latest(ROOM, None, 10, True)) == ["before", "after"]
        assert store.stats().dropped == 150
    finally:
        store.close()


def test_prune_by_age(tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    store = SqliteStore.open(tmp_path, flush_ms=5, max_age_s=3600)
    try:
        store._batcher._pruning.step_rows = 7      # several steps
        for i in range(40):
            store.append(rec(f"old{i}", now - 7200_000 + i, text=f"old {i}"))
        for i in range(10):
            store.append(rec(f"new{i}", now - 60_000 + i, key="#other"))
        store.append(rec("old-late", now - 7200_000, key="#other"))   # stored late
        store.latest(ROOM, None, 1, True)
        assert store._prune_now()
        assert store.latest(ROOM, None, 100, True) == []
        assert ids(store.latest("#other", None, 100, True)) == [f"new{i}" for i in range(10)]
        assert store.search(SearchQuery(keys=[ROOM], text="old")) == []
    finally:
        store.close()


def test_prune_by_count(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, flush_ms=5, max_age_s=None, max_per_target=5)
    try:
        store._batcher._pruning.step_rows = 3
        for i in range(20):
            store.append(rec(f"a{i}", 100 + i // 2))          # pairs share a millisecond
        for i in range(3):
            store.append(rec(f"b{i}", 100 + i, key="#b"))
        for i in range(12):
            store.append(rec(f"c{i}", 100 + i, key="alice bob"))
        store.latest(ROOM, None, 1, True)
        assert store._prune_now()
        assert ids(store.latest(ROOM, None, 100, True)) == [f"a{i}" for i in range(15, 20)]
        assert ids(store.latest("#b", None, 100, True)) == ["b0", "b1", "b2"]
        assert ids(store.latest("alice bob", None, 100, True)) == [f"c{i}" for i in range(7, 12)]
        assert ids(store.search(SearchQuery(keys=[ROOM], text="line", limit=100))) == [
            f"a{i}" for i in range(15, 20)]
        with pytest.raises(Exception, match="a0"):
            store.before(ROOM, Ref(msgid="a0"), 1, True)
    finally:
        store.close()


def test_readers_are_pooled(tmp_path: Path) -> None:
    import threading
    store = SqliteStore.open(tmp_path, flush_ms=5)
    try:
        store.append(rec("m", 1))
        barrier = threading.Barrier(20)
        errors: list[BaseException] = []

        def read() -> None:
            try:
                barrier.wait()
                for _ in range(20):
                    assert ids(store.latest(ROOM, None, 5, True)) == ["m"]
            except BaseException as exc:
                errors.append(exc)
        threads = [threading.Thread(target=read) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(store._opened) <= 4
    finally:
        store.close()


def test_record_type_is_the_interface_one() -> None:
    assert Record.__module__ == "ircish.server.store.base"


def test_one_server_per_data_dir(tmp_path: Path) -> None:
    first = SqliteStore.open(tmp_path)
    try:
        assert open_error(tmp_path) == (f"{tmp_path} is in use by another ircish server "
                                        f"(it holds {tmp_path / 'ircish.lock'})")
    finally:
        first.close()
    SqliteStore.open(tmp_path).close()


def test_a_big_file_gets_its_rooms_checked_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fill(tmp_path, 10)
    monkeypatch.setattr(schema, "FULL_CHECK_BYTES", 1000)
    SqliteStore.open(tmp_path).close()
    assert "checked the rooms and accounts only" in caplog.text


def test_migrating_rows_in_time_order_gives_no_skew(tmp_path: Path) -> None:
    conn = schema.open_database(tmp_path, migrations=schema.MIGRATIONS[:1])
    conn.executemany("INSERT INTO messages (msgid, time_ms, target_key, sender_key, source, "
                     "command, params, text) VALUES (?, ?, '#room', 'b', 'b', 'PRIVMSG', "
                     "'[]', 'x')", [(f"m{i}", 100 + i) for i in range(5)])
    conn.close()
    SqliteStore.open(tmp_path).close()
    with sqlite3.connect(tmp_path / DB) as check:
        assert check.execute("SELECT high_ms, skew_ms FROM meta").fetchone() == (104, 0)
