"""Full-text search over the FTS5 index: building the MATCH expression from user words,
and finding the newest matches without reading every one.

Safety: user text never reaches FTS5 as syntax. It is split into words as the tokenizer
splits it; each word is looked up in the index's vocabulary (`messages_vocab`) and
becomes the OR of the stored words it begins, each a quoted string (`"` doubled),
restricted to the `text` column; the words are AND-ed. So `foo OR "bar` searches for
words beginning `foo`, `or` and `bar`. (Asking FTS5 for `"foo"*` instead costs a read of
every posting of every matching word before the first result: 50 ms for a common word.)

Speed: the index knows each row's target and sender as tokens in its `scope` column
(`scope_token`), so the index itself keeps only the asker's targets. It is then read
newest id first, and reading stops early: ids follow time except for rows stored late,
and `skew_ms` (kept by the writer) bounds how much older than an earlier-stored row
a row can be. Once `limit` matches are in hand and every unread row is provably older
than the oldest of them, no unread row can belong to the result. A search for a common
word thus reads about `limit` rows, not every match in a million.
"""
from __future__ import annotations

import heapq
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from typing import Any

from .base import MESSAGE_COMMANDS, SearchQuery

MAX_EXPANSION = 256      # words a prefix may stand for before FTS5 expands it itself
FIRST_CHUNK = 64
MAX_CHUNK = 2048

Row = tuple[Any, ...]      # `sqlite.COLUMNS`: id and time_ms first


def scope_token(kind: str, key: str) -> str:
    """The token of a target ("k") or sender ("s") key, as schema.py's `_SCOPE` makes it."""
    return kind + key.encode().hex()


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """User text as the tokenizer splits it: runs of letters and digits (so `foo-bar`
    is two words, each a prefix; punctuation alone is no word)."""
    return _WORD.findall(text)


def _folded(word: str) -> set[str]:
    """How the index may spell a word: lower case, and also without accents (the
    tokenizer strips them from Latin letters only; trying both covers either)."""
    lower = word.lower()
    bare = unicodedata.normalize("NFC", "".join(
        ch for ch in unicodedata.normalize("NFD", lower) if not unicodedata.combining(ch)))
    return {lower, bare}


def _word_match(conn: sqlite3.Connection, word: str) -> str | None:
    """`text : (...)` matching `word` or any stored word it begins; None if none does."""
    found: set[str] = set()
    for prefix in _folded(word):
        found.update(t for (t,) in conn.execute(
            "SELECT term FROM messages_vocab WHERE col = 'text' AND term >= ? AND term < ? "
            "LIMIT ?",
            (prefix, prefix + "\U0010ffff", MAX_EXPANSION + 1)))
    if len(found) > MAX_EXPANSION:    # a very short prefix: FTS5 expands it (slower)
        return "text : " + _quoted(word) + " *"
    if not found:
        return None
    return "text : (" + " OR ".join(_quoted(t) for t in sorted(found)) + ")"


def match_expression(conn: sqlite3.Connection, query: SearchQuery) -> str | None:
    """The FTS5 MATCH text for `query`, or None when it can match nothing."""
    keys = sorted(set(query.keys))
    if not keys:
        return None
    parts = ["scope : (" + " OR ".join(_quoted(scope_token("k", k)) for k in keys) + ")"]
    if query.sender_key is not None:
        parts.append("scope : " + _quoted(scope_token("s", query.sender_key)))
    if query.text is not None:
        found = words(query.text)
        if not found:
            return None
        for word in dict.fromkeys(found):
            match = _word_match(conn, word)
            if match is None:
                return None
            parts.append(match)
    return " AND ".join(parts)


def _id_bounds(conn: sqlite3.Connection, query: SearchQuery, skew: int) -> tuple[int, int]:
    """Ids outside (low, high) cannot be within the query's times (see the module doc):
    a row stored after one at least `skew` newer than `before_ms` is itself not older
    than `before_ms`, and likewise for `after_ms`."""
    low, high = 0, 2 ** 63 - 1
    for key in set(query.keys):
        if query.before_ms is not None:
            row = conn.execute(
                "SELECT id FROM messages WHERE target_key = ? AND time_ms >= ? "
                "ORDER BY time_ms, id LIMIT 1", (key, query.before_ms + skew)).fetchone()
            if row is not None:
                high = min(high, row[0])
        if query.after_ms is not None:
            row = conn.execute(
                "SELECT id FROM messages WHERE target_key = ? AND time_ms <= ? "
                "ORDER BY time_ms DESC, id DESC LIMIT 1", (key, query.after_ms - skew)).fetchone()
            if row is not None:
                low = max(low, row[0])
    return low, high


def search(conn: sqlite3.Connection, query: SearchQuery, skew: int,
           columns: str) -> list[Row]:
    """The newest `query.limit` matching rows (`columns`, id and time_ms first), oldest
    first."""
    expr = match_expression(conn, query)
    if expr is None or query.limit <= 0:
        return []
    low, high = _id_bounds(conn, query, skew)
    if low >= high:
        return []
    keys = set(query.keys)
    after = query.after_ms
    before = query.before_ms
    best: list[tuple[int, int, Row]] = []    # min-heap on (time_ms, id): the worst first
    oldest_seen: int | None = None
    ids = conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid > ? AND rowid < ? "
        "ORDER BY rowid DESC", (expr, low, high))
    chunk = FIRST_CHUNK
    while True:
        batch = [i for (i,) in ids.fetchmany(chunk)]
        if not batch:
            break
        chunk = min(chunk * 2, MAX_CHUNK)
        for row in _rows(conn, batch, columns):
            rid, time_ms = row[0], row[1]
            if oldest_seen is None or time_ms < oldest_seen:
                oldest_seen = time_ms
            if not _wanted(row, keys, query.sender_key, after, before):
                continue
            entry = (time_ms, rid, row)
            if len(best) < query.limit:
                heapq.heappush(best, entry)
            elif entry[:2] > best[0][:2]:
                heapq.heapreplace(best, entry)
        if (len(best) == query.limit and oldest_seen is not None
                and oldest_seen + skew <= best[0][0]):
            break
    ids.close()
    return [row for _, _, row in sorted(best, key=lambda e: e[:2])]


def _rows(conn: sqlite3.Connection, ids: list[int], columns: str) -> Iterable[Row]:
    marks = ",".join("?" * len(ids))
    return conn.execute(f"SELECT {columns} FROM messages WHERE id IN ({marks})", ids)


def _wanted(row: Row, keys: set[str], sender: str | None, after: int | None,
            before: int | None) -> bool:
    # The index already chose target and sender; checked again against the row itself.
    _, time_ms, _, target_key, sender_key, _, command = row[:7]
    return (target_key in keys and command in MESSAGE_COMMANDS
            and (sender is None or sender_key == sender)
            and (after is None or time_ms > after)
            and (before is None or time_ms < before))
