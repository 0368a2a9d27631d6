"""The store's one writer: reader threads queue writes, one thread commits them in batches.

Why: SQLite has one writer at a time, and a commit costs a disk sync. With thousands of
client threads each committing its own line, they would queue on the file lock and every
PRIVMSG would wait for a disk. Here a write is an O(1) append to a deque under a lock that
is never held across I/O; the writer takes everything queued, at least every `flush_ms`,
and commits it in one transaction (a few multi-row INSERTs, see `_MAX_CHUNK`). Rooms,
accounts and read markers (`kept.py`) ride in the same batches; the private messages of
a batch update their conversations' sides (`conversations.py`) in its transaction.

Concurrency rule (the whole of it): `_lock` guards `_queue`, the sequence numbers and
the figures in `_stats`; it is held only to move items in or out, never while SQLite
runs. Two conditions share it: `_work` wakes the writer, `_done` wakes readers waiting
for their writes to be committed (read-your-writes, `wait_for_writes`).

What can go wrong degrades history, never the chat: a full queue drops new writes, a
failed commit (disk full, I/O error) drops its batch; both are counted and logged at most
once a minute, and the writer carries on. Pruning (old or surplus rows) runs here too, in
small steps between batches, so it never holds up commits for long.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from . import conversations, kept, schema
from .base import Record, WriterStats
from .kept import Kept
from .prune import Pruner, Pruning, Throttled

log = logging.getLogger(__name__)

RECENT_BATCHES = 32


@dataclass(frozen=True, slots=True)
class Redact:
    target_key: str
    msgid: str


@dataclass(frozen=True, slots=True)
class OnWriter:
    """Run a function on the writer's connection (tests: simulate a full disk)."""

    fn: Callable[[sqlite3.Connection], object]


# A Record waiting for the writer is queued as a plain tuple of these fields. Why: a
# record waits up to `flush_ms` (longer when the writer is behind), long enough to
# survive young collections; as an object it would then be scanned by every older
# collection too, and measured (50 pairs of clients exchanging private messages) full
# collections with ~9,000 queued records took 98 ms, holding the interpreter lock while
# every client waited. A tuple that holds only strings, numbers and tuples of them is
# untracked by the collector at its first collection, and costs nothing after.
Pending = tuple[int, str, str, str, str, str, tuple[str, ...], str | None,
                tuple[tuple[str, str], ...], str | None, tuple[str, ...] | None]
_TIME: Final = 0
_MSGID: Final = 1
_TARGET: Final = 2
_SENDER: Final = 3
_SOURCE: Final = 4
_COMMAND: Final = 5
_PARAMS: Final = 6
_TEXT: Final = 7
_TAGS: Final = 8
_ACCOUNT: Final = 9
_EXTENDED: Final = 10


def pending(r: Record) -> Pending:
    """The queued form of a record (same fields, in `Pending`'s order)."""
    return (r.time_ms, r.msgid, r.target_key, r.sender_key, r.source, r.command, r.params,
            r.text, r.tags, r.account, r.extended)


def _time_of(p: Pending) -> int:
    return p[_TIME]


Op = Pending | Redact | OnWriter | Kept

# Many rows per INSERT statement, and few statements per batch: the sqlite3 module lets
# go of the GIL around each statement step, and every time it takes it back it may wait
# a whole switch interval (5 ms) while busy client threads run. `executemany` steps once
# per row, and under load ran ten times slower than this. Chunk sizes are powers of two,
# so a handful of statement texts, all cached, cover every batch size.
_MAX_CHUNK = 4096
_INSERT = """INSERT INTO messages (id, msgid, time_ms, target_key, sender_key, source,
                                   command, params, text, tags, account, extended) VALUES """
_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


_quote = json.encoder.encode_basestring   # a str as a JSON string (C, no escaping of UTF-8)


def _strings(values: tuple[str, ...]) -> str:
    """A JSON array of strings, the cheap way (json.dumps costs ~10x for two strings,
    and the writer runs this for every record)."""
    return "[" + ",".join(map(_quote, values)) + "]"


def _row(row_id: int, p: Pending) -> tuple[object, ...]:
    tags, extended = p[_TAGS], p[_EXTENDED]
    return (row_id, p[_MSGID], p[_TIME], p[_TARGET], p[_SENDER], p[_SOURCE], p[_COMMAND],
            _strings(p[_PARAMS]), p[_TEXT],
            "[" + ",".join(_strings(pair) for pair in tags) + "]" if tags else None,
            p[_ACCOUNT], None if extended is None else _strings(extended))


def _chunk_limit(conn: sqlite3.Connection) -> int:
    most = min(_MAX_CHUNK, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 12)
    return 1 << (most.bit_length() - 1)


def _insert_rows(conn: sqlite3.Connection, rows: list[tuple[object, ...]], chunk: int) -> int:
    """Insert `rows`; the number left out because SQLite cannot take them (text that
    is not UTF-8: parameters are bound before a statement runs, so a chunk that fails
    there has inserted nothing, and is retried without them)."""
    left_out = start = 0
    while start < len(rows):
        size = min(chunk, 1 << ((len(rows) - start).bit_length() - 1))
        part = rows[start:start + size]
        start += size
        try:
            conn.execute(_INSERT + ",".join([_VALUES] * size), [v for row in part for v in row])
        except UnicodeError:
            good = [row for row in part if _storable(row)]
            if len(good) == len(part):
                raise
            left_out += len(part) - len(good) + _insert_rows(conn, good, chunk)
    return left_out


def _storable(row: tuple[object, ...]) -> bool:
    """Whether SQLite can take the row (its text is valid UTF-8: no lone surrogates)."""
    try:
        for value in row:
            if isinstance(value, str):
                value.encode()
    except UnicodeError:
        return False
    return True


class Batcher:
    """The writer thread and its queue."""

    def __init__(self, conn: sqlite3.Connection, *, flush_ms: int, queue_limit: int,
                 pruning: Pruning) -> None:
        self._conn = conn
        self._flush_s = max(flush_ms, 0) / 1000
        self._queue_limit = queue_limit
        self._pruning = pruning
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._done = threading.Condition(self._lock)
        self._queue: deque[Op] = deque()
        self._queued_seq = 0       # writes accepted into the queue, ever
        self._done_seq = 0         # ... of them committed or given up on
        self._urgent = False       # a reader waits: commit now
        self._prune_now = False
        self._prune_waiters: list[threading.Event] = []
        self._stopping = False
        self._closed = False
        self._stats = WriterStats()
        self._recent: deque[int] = deque(maxlen=RECENT_BATCHES)
        self._bad_records = 0      # in the batch being committed
        self._overflow_log = Throttled()
        self._error_log = Throttled()
        self._pruner = Pruner(conn, pruning, self._error_log)
        high, skew = conn.execute("SELECT high_ms, skew_ms FROM meta").fetchone()
        # Ids are given here, never reused (even after the newest row is deleted), so
        # "the rows of this batch" is "ids above the last one before it".
        self._next_id: int = conn.execute(
            "SELECT coalesce(max(id), 0) + 1 FROM messages").fetchone()[0]
        self._chunk = _chunk_limit(conn)
        self._high_ms: int = high
        self._skew_ms: int = skew
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    # --- reader threads ---------------------------------------------------------------

    def put(self, op: Op) -> None:
        """Queue one write: O(1), never blocks on I/O, never raises."""
        with self._lock:
            if self._stopping:
                return
            self._stats.queued += 1
            depth = len(self._queue)
            if depth >= self._queue_limit:
                self._stats.dropped += 1
                overflowing = True
            else:
                overflowing = False
                self._queue.append(op)
                self._queued_seq += 1
                if depth + 1 > self._stats.deepest_queue:
                    self._stats.deepest_queue = depth + 1
                if depth == 0:
                    self._work.notify()
        if overflowing:
            self._overflow_log.warning(
                "store: write queue full (%d); history is losing writes", self._queue_limit)

    def wait_for_writes(self, timeout: float) -> bool:
        """Return once every write queued before this call is committed (or given up
        on); at once if none is pending. False if `timeout` ran out first."""
        with self._lock:
            target = self._queued_seq
            if self._done_seq >= target:
                return True
            self._urgent = True
            self._work.notify()
            deadline = time.monotonic() + timeout
            while self._done_seq < target:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._done.wait(left)
            return True

    def prune_soon(self) -> threading.Event:
        """Start a pruning pass now; the event is set when it has ended."""
        ended = threading.Event()
        with self._lock:
            if self._stopping:
                ended.set()
                return ended
            self._prune_now = True
            self._prune_waiters.append(ended)
            self._work.notify()
        return ended

    def stats(self) -> WriterStats:
        with self._lock:
            s = self._stats
            return WriterStats(queued=s.queued, committed=s.committed, dropped=s.dropped,
                               batches=s.batches, largest_batch=s.largest_batch,
                               deepest_queue=s.deepest_queue, batch_sizes=list(self._recent))

    def close(self) -> None:
        """Commit everything queued, stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stopping = True
            self._work.notify()
        self._thread.join()
        self._conn.close()

    # --- the writer thread ------------------------------------------------------------

    def _take(self, pruning: bool, next_prune: float) -> tuple[list[Op], int, bool]:
        with self._lock:
            if not pruning:
                while not (self._queue or self._stopping or self._urgent or self._prune_now):
                    left = next_prune - time.monotonic()
                    if left <= 0:
                        break
                    self._work.wait(left)
                if self._queue and not (self._stopping or self._urgent):
                    # gather: the rest of the batch arrives while we wait
                    self._work.wait_for(lambda: self._stopping or self._urgent,
                                        self._flush_s)
            batch = list(self._queue)
            self._queue.clear()
            self._urgent = False
            return batch, self._queued_seq, self._stopping

    def _run(self) -> None:
        while True:
            try:
                self._loop()
                return
            except Exception:     # a bug, not a database error: log it, keep writing
                log.exception("store: the writer failed; carrying on")
                time.sleep(1.0)

    def _loop(self) -> None:
        next_prune = time.monotonic() + self._pruning.every_s
        pruner: Iterator[int] | None = None
        ending: list[threading.Event] = []    # set when the running pass ends
        while True:
            batch, upto, stopping = self._take(pruner is not None, next_prune)
            committed = self._commit(batch) if batch else 0
            with self._lock:
                self._done_seq = upto
                if batch:
                    self._stats.batches += 1
                    self._stats.committed += committed
                    self._stats.dropped += len(batch) - committed
                    self._stats.largest_batch = max(self._stats.largest_batch, len(batch))
                    self._recent.append(len(batch))
                self._done.notify_all()
                if stopping and not self._queue:
                    break
                if pruner is None and (self._prune_now or time.monotonic() >= next_prune):
                    pruner = self._pruner.run(self._skew_ms)
                    ending, self._prune_waiters = self._prune_waiters, []
                    self._prune_now = False
            if pruner is not None and next(pruner, None) is None:
                pruner = None
                next_prune = time.monotonic() + self._pruning.every_s
                for event in ending:
                    event.set()
        with self._lock:
            ending += self._prune_waiters
        for event in ending:
            event.set()

    def _commit(self, batch: list[Op]) -> int:
        """One transaction for the whole batch; the number of writes committed."""
        conn = self._conn
        high, skew = self._high_ms, self._skew_ms
        next_id = self._next_id
        try:
            conn.execute("BEGIN")
            run: list[Pending] = []
            for op in batch:
                if isinstance(op, tuple):
                    run.append(op)
                elif isinstance(op, kept.KEPT_TYPES):
                    self._keep(op)            # independent of messages: the run goes on
                else:
                    if run:                   # a redaction follows what it redacts
                        high, skew = self._insert(run, high, skew)
                        run = []
                    self._apply(op)
            if run:
                high, skew = self._insert(run, high, skew)
            if (high, skew) != (self._high_ms, self._skew_ms):
                conn.execute("UPDATE meta SET high_ms = ?, skew_ms = ?", (high, skew))
            conn.execute("COMMIT")
        except Exception as exc:    # whatever it is, the writer carries on
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._error_log.warning("store: a batch of %d writes was lost: %s",
                                    len(batch), exc)
            self._bad_records = 0
            self._next_id = next_id
            return 0
        self._high_ms, self._skew_ms = high, skew
        committed, self._bad_records = len(batch) - self._bad_records, 0
        return committed

    def _insert(self, run: list[Pending], high: int, skew: int) -> tuple[int, int]:
        # Stored in time order (stable: equal times keep their queue order), so ids
        # follow time as closely as possible and `skew` stays small.
        run.sort(key=_time_of)
        for p in run:
            when = p[_TIME]
            if when < high:
                skew = max(skew, high - when)
            else:
                high = when
        conn = self._conn
        first = self._next_id
        rows = [_row(i, r) for i, r in enumerate(run, first)]
        self._next_id += len(rows)
        left_out = _insert_rows(conn, rows, self._chunk)
        if left_out:
            self._bad_records += left_out
            self._error_log.warning("store: %d record(s) could not be stored (not UTF-8)",
                                    left_out)
        conn.execute(schema.INDEX_NEW, (first - 1,))
        conversations.note(conn, [(p[_TARGET], p[_COMMAND], p[_TIME]) for p in run])
        return high, skew

    def _keep(self, op: Kept) -> None:
        try:
            kept.apply(self._conn, op)
        except UnicodeError:    # raised while binding: that statement wrote nothing
            self._bad_records += 1
            self._error_log.warning("store: a %s could not be stored (not UTF-8)",
                                    type(op).__name__)

    def _apply(self, op: Redact | OnWriter) -> None:
        conn = self._conn
        if isinstance(op, Redact):
            conn.execute("DELETE FROM messages WHERE target_key = ? AND msgid = ?",
                         (op.target_key, op.msgid))
            conversations.tidy(conn, [op.target_key])
        else:
            op.fn(conn)
