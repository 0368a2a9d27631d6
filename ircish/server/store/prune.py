"""Pruning history: rows older than `max_age_s`, and beyond the newest `max_per_target`
of each target. It runs on the writer's thread and connection, between batches, one
small transaction (at most `step_rows` deletions) per step, so commits never wait long
behind it; a pass is a generator the writer advances one step at a time.

A step that deletes the last messages of a private conversation also forgets the
conversation's sides (`conversations.tidy`), in the same transaction.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import conversations

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0
PRUNE_STEP_ROWS = 2000          # rows deleted per transaction: ~30-120 ms at 1M rows
LOG_EVERY_S = 60.0


class Throttled:
    """A warning logged at most once per `every` seconds; the rest are counted."""

    def __init__(self, every: float = LOG_EVERY_S) -> None:
        self._every = every
        self._last = -every
        self._suppressed = 0
        self._lock = threading.Lock()

    def warning(self, msg: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self._every:
                self._suppressed += 1
                return
            self._last, suppressed, self._suppressed = now, self._suppressed, 0
        if suppressed:
            msg += f" ({suppressed} more since the last report)"
        log.warning(msg, *args)


@dataclass(slots=True)
class Pruning:
    max_age_s: float | None
    max_per_target: int | None
    every_s: float = PRUNE_EVERY_S
    step_rows: int = PRUNE_STEP_ROWS
    deleted: int = 0


class Pruner:
    def __init__(self, conn: sqlite3.Connection, pruning: Pruning, errors: Throttled) -> None:
        self._conn = conn
        self._pruning = pruning
        self._error_log = errors

    def run(self, skew_ms: int) -> Iterator[int]:
        """One pass, a step (one transaction) per item: the rows deleted."""
        p = self._pruning
        deleted = p.deleted
        if p.max_age_s is not None:
            yield from self._by_age(int((time.time() - p.max_age_s) * 1000), skew_ms)
        if p.max_per_target is not None:
            yield from self._by_count(p.max_per_target)
        if p.deleted > deleted:
            log.info("store: pruned %d records", p.deleted - deleted)

    def _delete(self, ids: list[int], target_keys: Iterable[str]) -> int:
        """Delete rows `ids`, of the targets `target_keys`."""
        if not ids:
            return 0
        try:
            self._conn.execute("BEGIN")
            # one statement: the FTS delete trigger then shares one savepoint
            self._conn.execute("DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))",
                               (json.dumps(ids),))
            conversations.tidy(self._conn, target_keys)
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._error_log.warning("store: pruning failed: %s", exc)
            return 0
        self._pruning.deleted += len(ids)
        return len(ids)

    def _by_age(self, cutoff_ms: int, skew_ms: int) -> Iterator[int]:
        """Oldest ids first. Ids follow time up to `skew_ms`, so past a row at least
        `skew_ms` newer than the cutoff, no row is older than it: stop there."""
        last_id = 0
        while True:
            try:
                rows = self._conn.execute(
                    "SELECT id, time_ms, target_key FROM messages WHERE id > ? ORDER BY id "
                    "LIMIT ?", (last_id, self._pruning.step_rows)).fetchall()
            except sqlite3.Error as exc:
                self._error_log.warning("store: pruning failed: %s", exc)
                return
            if not rows:
                return
            last_id = rows[-1][0]
            old = [(i, key) for i, t, key in rows if t < cutoff_ms]
            deleted = self._delete([i for i, _ in old], {key for _, key in old})
            yield deleted
            if deleted < len(old) or len(rows) < self._pruning.step_rows or any(
                    t >= cutoff_ms + skew_ms for _, t, _ in rows):
                return

    def _by_count(self, keep: int) -> Iterator[int]:
        """Target by target (an index seek each), the rows beyond the newest `keep`."""
        conn, step = self._conn, self._pruning.step_rows
        key = ""
        while True:
            try:
                row = conn.execute("SELECT target_key FROM messages WHERE target_key > ? "
                                   "ORDER BY target_key LIMIT 1", (key,)).fetchone()
            except sqlite3.Error as exc:
                self._error_log.warning("store: pruning failed: %s", exc)
                return
            if row is None:
                return
            key = row[0]
            while True:
                try:
                    edge = conn.execute(
                        "SELECT time_ms, id FROM messages WHERE target_key = ? "
                        "ORDER BY time_ms DESC, id DESC LIMIT 1 OFFSET ?",
                        (key, keep)).fetchone()
                    ids = [] if edge is None else [i for (i,) in conn.execute(
                        "SELECT id FROM messages WHERE target_key = ? "
                        "AND (time_ms, id) <= (?, ?) ORDER BY time_ms, id LIMIT ?",
                        (key, edge[0], edge[1], step))]
                except sqlite3.Error as exc:
                    self._error_log.warning("store: pruning failed: %s", exc)
                    return
                deleted = self._delete(ids, [key])
                yield deleted
                if deleted < step:
                    break
