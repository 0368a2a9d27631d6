"""Private conversations by party: which conversations a party is a side of.

A conversation's target key is `base.conversation_key(a, b)`, "a b", each side a party
key (an account key, or "!" and a nick; neither holds a space). The messages index,
(target_key, time_ms, id), finds a conversation's latest message at once, but "every
conversation bob is a side of" would be a `LIKE '% bob'`: a scan of every key. So the
writer keeps `conversation_sides(party, target_key, latest_ms)`, one row per side of
each conversation with messages (PRIVMSG/NOTICE, what `targets()` counts), upserted in
the batch's own transaction: a handful of rows per batch, one statement.

`latest_ms` is an upper bound only: pruning and redaction delete messages without
lowering it. The answer itself comes from the messages index, one seek per conversation
(as `targets()` does for rooms), so a conversation whose messages are all gone is never
listed, whatever its row says; the writer also deletes such rows (`tidy`) when it
prunes or redacts, so they do not pile up. The bound orders the seeks: the party's
conversations are read most recently active first (an index on (party, latest_ms)), and
reading stops once `limit` are found that no unread one can beat. Asked up to now, that
is after about `limit` seeks however many conversations the party has.
"""
from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterable

from .base import MESSAGE_COMMANDS

_MESSAGES_ONLY = "command IN ('PRIVMSG', 'NOTICE')"
_CHUNK = 256          # rows per upsert statement (3 parameters each)
_UPSERT = ("INSERT INTO conversation_sides (party, target_key, latest_ms) VALUES {} "
           "ON CONFLICT (party, target_key) DO UPDATE "
           "SET latest_ms = max(latest_ms, excluded.latest_ms)")


def is_conversation(target_key: str) -> bool:
    """A private conversation's key, as opposed to a room's."""
    return bool(target_key) and target_key[0] not in "#&" and " " in target_key


def sides(target_key: str) -> set[str]:
    """The parties of a conversation (one, when someone talks to themself)."""
    a, _, b = target_key.partition(" ")
    return {a, b}


def note(conn: sqlite3.Connection, records: Iterable[tuple[str, str, int]]) -> None:
    """The writer, in the transaction that inserts records (given as their target key,
    command and time): their conversations' sides, with the latest message time of each."""
    latest: dict[str, int] = {}
    for key, command, when in records:
        if key[:1] in "#&" or command not in MESSAGE_COMMANDS or " " not in key:
            continue
        if latest.get(key, -1) < when:
            latest[key] = when
    rows = [(party, key, t) for key, t in latest.items() if _storable(key)
            for party in sides(key)]
    for start in range(0, len(rows), _CHUNK):
        part = rows[start:start + _CHUNK]
        conn.execute(_UPSERT.format(",".join(["(?, ?, ?)"] * len(part))),
                     [v for row in part for v in row])


def tidy(conn: sqlite3.Connection, target_keys: Iterable[str]) -> None:
    """The writer, after deleting messages of these targets: forget the sides of the
    conversations among them that have no message left."""
    for key in {k for k in target_keys if is_conversation(k)}:
        left = conn.execute(f"SELECT 1 FROM messages WHERE target_key = ? AND {_MESSAGES_ONLY} "
                            "LIMIT 1", (key,)).fetchone()
        if left is None:
            for party in sides(key):
                conn.execute("DELETE FROM conversation_sides WHERE party = ? AND target_key = ?",
                             (party, key))


def query(conn: sqlite3.Connection, party: str, start_ms: int, end_ms: int,
          limit: int) -> list[tuple[str, int]]:
    """`Store.conversations`: the `limit` most recently active conversations of `party`
    with messages strictly between the two times (either order), as (key, latest
    message time in that window), oldest first; ties by key, as `targets()` sorts."""
    if limit <= 0:
        return []
    low, high = min(start_ms, end_ms), max(start_ms, end_ms)
    best: list[tuple[int, str]] = []       # a min-heap of (time, key): the `limit` best
    for key, bound in conn.execute(
            "SELECT target_key, latest_ms FROM conversation_sides WHERE party = ? "
            "AND latest_ms > ? ORDER BY latest_ms DESC", (party, low)):
        if len(best) == limit and bound < best[0][0]:
            break       # this one and every later one is quieter than all of `best`
        row = conn.execute(
            "SELECT time_ms FROM messages WHERE target_key = ? AND time_ms > ? AND time_ms < ? "
            f"AND {_MESSAGES_ONLY} ORDER BY time_ms DESC LIMIT 1", (key, low, high)).fetchone()
        if row is None:
            continue
        if len(best) < limit:
            heapq.heappush(best, (row[0], key))
        elif (row[0], key) > best[0]:
            heapq.heapreplace(best, (row[0], key))
    return [(key, t) for t, key in sorted(best)]


def _storable(key: str) -> bool:
    """SQLite takes only valid UTF-8 (the message with such a key was left out too)."""
    try:
        key.encode()
    except UnicodeError:
        return False
    return True
