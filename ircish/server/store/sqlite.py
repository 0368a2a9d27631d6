"""The embedded store: one SQLite file in the data dir, in WAL mode.

Writes go to the one writer thread (`batcher.py`) and return at once. Reads run on the
calling thread with a connection borrowed from a small pool (a server may have ten
thousand client threads; it has a handful of read connections), after making sure that
every write queued before the read is committed: read-your-writes costs nothing when
nothing is pending, and one early commit when something is.

Every query walks the (target_key, time_ms, id) index, which is the one total order of
the interface: time, then insertion order. A `Ref` becomes a point in that order: a
msgid is its record's (time_ms, id); a timestamp is the edge of its millisecond on the
side the query needs, so that bounds stay exclusive.

A read that fails on a damaged file degrades history (an empty answer, logged), never
the chat.
"""
from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from . import conversations, kept, schema
from .base import (
    AccountRecord,
    Record,
    Ref,
    RoomRecord,
    SearchQuery,
    Store,
    StoreError,
    UnknownMessage,
    WriterStats,
)
from .batcher import Batcher, OnWriter, Redact, pending
from .kept import ForgetAccount, ForgetRoom, ReadMarker
from .prune import Pruning, Throttled
from .search import search as fts_search

log = logging.getLogger(__name__)

READERS = 4                 # read connections at most
READ_WAIT_S = 2.0           # how long a read waits for pending writes before reading anyway
POOL_WAIT_S = 5.0           # how long a read waits for a read connection
COLUMNS = ("id, time_ms, msgid, target_key, sender_key, source, command, params, text, "
           "tags, account, extended")
_MESSAGES_ONLY = " AND command IN ('PRIVMSG', 'NOTICE')"
_FIRST = -1                 # below every id: (t, _FIRST) is the start of millisecond t
_LAST = 2 ** 63 - 1         # above every id: (t, _LAST) is its end

Point = tuple[int, int]     # (time_ms, id)
Rows = list[tuple[Any, ...]]
T = TypeVar("T")


def _record(row: tuple[Any, ...]) -> Record:
    (_, time_ms, msgid, target_key, sender_key, source, command, params, text, tags,
     account, extended) = row
    return Record(
        msgid=msgid, time_ms=time_ms, target_key=target_key, sender_key=sender_key,
        source=source, command=command, params=tuple(json.loads(params)), text=text,
        tags=() if tags is None else tuple((k, v) for k, v in json.loads(tags)),
        account=account, extended=None if extended is None else tuple(json.loads(extended)))


class SqliteStore:
    """History, rooms and accounts in `data_dir/ircish.db`. Open with `SqliteStore.open`."""

    enabled = True

    def __init__(self, path: Path, writer: sqlite3.Connection, *, flush_ms: int,
                 pruning: Pruning, queue_limit: int) -> None:
        self.path = path
        self._batcher = Batcher(writer, flush_ms=flush_ms, queue_limit=queue_limit,
                                pruning=pruning)
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._opened: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._read_errors = Throttled()
        self._slow_writes = Throttled()
        self._lock_file: IO[bytes] | None = None

    @classmethod
    def open(cls, data_dir: Path, *, flush_ms: int = 100,
             max_age_s: float | None = 30 * 86400, max_per_target: int | None = None,
             queue_limit: int = 200_000) -> SqliteStore:
        """Open (creating if need be) the store in `data_dir`. Raises StoreError with one
        line naming the file or directory when it cannot be used."""
        lock = schema.lock_dir(data_dir)
        try:
            writer = schema.open_database(data_dir)
            try:
                store = cls(data_dir / schema.FILE_NAME, writer, flush_ms=flush_ms,
                            pruning=Pruning(max_age_s, max_per_target),
                            queue_limit=queue_limit)
            except sqlite3.Error as exc:
                writer.close()
                raise StoreError(f"cannot use {data_dir / schema.FILE_NAME}: {exc}") from None
        except BaseException:
            lock.close()
            raise
        store._lock_file = lock
        return store

    def close(self) -> None:
        with self._pool_lock:
            if self._closed:
                return
            self._closed = True
        self._batcher.close()
        with self._pool_lock:
            opened, self._opened = self._opened, []
        for _ in opened:     # wait for reads in progress to hand theirs back
            try:
                self._pool.get(timeout=POOL_WAIT_S)
            except queue.Empty:
                break
        for conn in opened:
            conn.close()
        if self._lock_file is not None:
            self._lock_file.close()

    # --- writes: queued -----------------------------------------------------------------

    def append(self, record: Record) -> None:
        self._batcher.put(pending(record))

    def redact(self, target_key: str, msgid: str) -> None:
        self._batcher.put(Redact(target_key, msgid))

    def save_room(self, room: RoomRecord) -> None:
        self._batcher.put(room)

    def forget_room(self, key: str) -> None:
        self._batcher.put(ForgetRoom(key))

    def save_account(self, account: AccountRecord) -> None:
        self._batcher.put(account)

    def forget_account(self, key: str) -> None:
        self._batcher.put(ForgetAccount(key))

    def save_read_marker(self, account_key: str, target_key: str, time_ms: int) -> None:
        self._batcher.put(ReadMarker(account_key, target_key, time_ms))

    def stats(self) -> WriterStats:
        return self._batcher.stats()

    # test hooks: run on the writer's connection (e.g. a low max_page_count is a full
    # disk); start a pruning pass now
    def _on_writer(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        self._batcher.put(OnWriter(fn))

    def _prune_now(self, timeout: float = 10.0) -> bool:
        return self._batcher.prune_soon().wait(timeout)

    # --- reads ----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection, after every write queued so far is committed."""
        if not self._batcher.wait_for_writes(READ_WAIT_S):
            self._slow_writes.warning("store: a read waited %.0f s for the writer and went "
                                      "ahead without its latest writes", READ_WAIT_S)
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._new_reader() or self._borrow()
        try:
            # One snapshot for the read's several statements (a msgid's place, then
            # the rows around it; the search bound, then the index).
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("BEGIN")
            yield conn
        finally:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")    # read only: nothing to keep
            finally:
                self._pool.put(conn)

    def _borrow(self) -> sqlite3.Connection:
        if self._closed:
            raise sqlite3.ProgrammingError("the store is closed")
        try:
            return self._pool.get(timeout=POOL_WAIT_S)
        except queue.Empty:
            raise sqlite3.OperationalError("no read connection came free") from None

    def _new_reader(self) -> sqlite3.Connection | None:
        with self._pool_lock:
            if len(self._opened) >= READERS or self._closed:
                return None
            conn = schema.connect(self.path)
            schema.configure(conn, cache_kib=schema.READER_CACHE_KIB, reader=True)
            self._opened.append(conn)
            return conn

    def _read(self, what: str, query: Callable[[sqlite3.Connection], T]) -> T | None:
        """`query` on a read connection; None if the store is closed or the read
        fails (logged, as `what`)."""
        if self._closed:
            return None
        try:
            with self._reading() as conn:
                return query(conn)
        except sqlite3.Error as exc:
            self._read_errors.warning("store: %s failed: %s", what, exc)
            return None

    def rooms(self) -> list[RoomRecord]:
        return self._read("reading rooms", kept.rooms) or []

    def accounts(self) -> list[AccountRecord]:
        return self._read("reading accounts", kept.accounts) or []

    def read_markers(self, account_key: str) -> dict[str, int]:
        return self._read("reading read markers",
                          lambda c: kept.read_markers(c, account_key)) or {}

    def conversations(self, party: str, start_ms: int, end_ms: int,
                      limit: int) -> list[tuple[str, int]]:
        return self._read("a history read", lambda c: conversations.query(
            c, party, start_ms, end_ms, limit)) or []

    def find(self, target_key: str, msgid: str) -> Record | None:
        row = self._read("a history read", lambda c: c.execute(
            f"SELECT {COLUMNS} FROM messages WHERE target_key = ? AND msgid = ? "
            "ORDER BY id LIMIT 1", (target_key, msgid)).fetchone())
        return None if row is None else _record(row)

    def latest(self, target_key: str, after: Ref | None, limit: int,
               events: bool) -> list[Record]:
        return self._history(target_key, limit, events, lambda c: (
            self._newest(c, target_key, limit, events,
                         low=None if after is None else _point(c, target_key, after, _LAST))))

    def before(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        return self._history(target_key, limit, events, lambda c: self._newest(
            c, target_key, limit, events, high=_point(c, target_key, ref, _FIRST)))

    def after(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        return self._history(target_key, limit, events, lambda c: self._oldest(
            c, target_key, limit, events, low=_point(c, target_key, ref, _LAST)))

    def around(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        def query(c: sqlite3.Connection) -> Rows:
            # One point splits both halves: a msgid's record starts the later half.
            split = _point(c, target_key, ref, _FIRST)
            earlier = self._newest(c, target_key, limit // 2, events, high=split)
            later = self._oldest(c, target_key, limit - limit // 2, events, low=split,
                                 inclusive=True)
            return earlier + later
        return self._history(target_key, limit, events, query)

    def between(self, target_key: str, start: Ref, end: Ref, limit: int,
                events: bool) -> list[Record]:
        def query(c: sqlite3.Connection) -> Rows:
            a_low, a_high = _point(c, target_key, start, _LAST), _point(c, target_key, start,
                                                                         _FIRST)
            b_low, b_high = _point(c, target_key, end, _LAST), _point(c, target_key, end,
                                                                       _FIRST)
            if a_high <= b_high:     # forward from start
                return self._oldest(c, target_key, limit, events, low=a_low, high=b_high)
            return self._newest(c, target_key, limit, events, low=b_low, high=a_high)
        return self._history(target_key, limit, events, query)

    def targets(self, keys: Collection[str], start_ms: int, end_ms: int,
                limit: int) -> list[tuple[str, int]]:
        if limit <= 0:
            return []
        low, high = min(start_ms, end_ms), max(start_ms, end_ms)

        def query(conn: sqlite3.Connection) -> list[tuple[str, int]]:
            found: list[tuple[str, int]] = []
            for key in set(keys):
                row = conn.execute(
                    "SELECT time_ms FROM messages WHERE target_key = ? AND time_ms > ? "
                    f"AND time_ms < ?{_MESSAGES_ONLY} ORDER BY time_ms DESC LIMIT 1",
                    (key, low, high)).fetchone()
                if row is not None:
                    found.append((key, row[0]))
            return found
        found = self._read("a history read", query) or []
        found.sort(key=lambda kt: (kt[1], kt[0]))
        return found[-limit:]

    def search(self, query: SearchQuery) -> list[Record]:
        def run(conn: sqlite3.Connection) -> Rows:
            skew = conn.execute("SELECT skew_ms FROM meta").fetchone()[0]
            return fts_search(conn, query, skew, COLUMNS)
        return [_record(row) for row in self._read("a search", run) or []]

    # --- query helpers ------------------------------------------------------------------

    def _history(self, target_key: str, limit: int, events: bool,
                 query: Callable[[sqlite3.Connection], Rows]) -> list[Record]:
        if limit <= 0:
            return []
        return [_record(row) for row in self._read("a history read", query) or []]

    @staticmethod
    def _newest(conn: sqlite3.Connection, key: str, limit: int, events: bool, *,
                low: Point | None = None, high: Point | None = None) -> Rows:
        """The newest `limit` rows strictly between `low` and `high`, oldest first."""
        if limit <= 0:
            return []
        sql, args = _where(key, events, low, high, inclusive=False)
        rows = conn.execute(f"SELECT {COLUMNS} FROM messages WHERE {sql} "
                            "ORDER BY time_ms DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
        rows.reverse()
        return rows

    @staticmethod
    def _oldest(conn: sqlite3.Connection, key: str, limit: int, events: bool, *,
                low: Point | None = None, high: Point | None = None,
                inclusive: bool = False) -> Rows:
        """The oldest `limit` rows after `low` (from it, if `inclusive`), before `high`."""
        if limit <= 0:
            return []
        sql, args = _where(key, events, low, high, inclusive=inclusive)
        return conn.execute(f"SELECT {COLUMNS} FROM messages WHERE {sql} "
                            "ORDER BY time_ms, id LIMIT ?", (*args, limit)).fetchall()


def _where(key: str, events: bool, low: Point | None, high: Point | None, *,
           inclusive: bool) -> tuple[str, list[object]]:
    sql = "target_key = ?"
    args: list[object] = [key]
    if low is not None:
        sql += f" AND (time_ms, id) {'>=' if inclusive else '>'} (?, ?)"
        args += low
    if high is not None:
        sql += " AND (time_ms, id) < (?, ?)"
        args += high
    if not events:
        sql += _MESSAGES_ONLY
    return sql, args


def _point(conn: sqlite3.Connection, key: str, ref: Ref, edge: int) -> Point:
    """Where `ref` sits in the target's order. A timestamp is the start (`_FIRST`) or
    the end (`_LAST`) of its millisecond; a msgid is its record's exact place."""
    if ref.msgid is not None:
        row = conn.execute("SELECT time_ms, id FROM messages WHERE target_key = ? AND msgid = ? "
                           "ORDER BY id LIMIT 1", (key, ref.msgid)).fetchone()
        if row is None:
            raise UnknownMessage(ref.msgid)
        return (row[0], row[1])
    if ref.time_ms is None:
        raise ValueError("a Ref needs a timestamp or a msgid")
    return (ref.time_ms, edge)


def _conforms(store: SqliteStore) -> Store:
    return store  # mypy checks SqliteStore against the interface here

