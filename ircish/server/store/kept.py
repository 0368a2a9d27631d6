"""The lasting state that is not history: rooms, accounts and read markers, both ways
(the writes the writer applies, the reads `SqliteStore` makes).

These writes go through the one writer's queue like messages, and commit in the same
batches (a MARKREAD costs no commit of its own). None of them touches the messages
table, so the writer applies each where it finds it in the queue, in queue order among
themselves, without splitting the batch's run of message inserts (`batcher.py`).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ...protocol import casefold
from .base import AccountRecord, RoomRecord, SavedBan


@dataclass(frozen=True, slots=True)
class ForgetRoom:
    key: str


@dataclass(frozen=True, slots=True)
class ForgetAccount:
    key: str


@dataclass(frozen=True, slots=True)
class ReadMarker:
    account_key: str
    target_key: str
    time_ms: int


Kept = RoomRecord | ForgetRoom | AccountRecord | ForgetAccount | ReadMarker
KEPT_TYPES = (RoomRecord, ForgetRoom, AccountRecord, ForgetAccount, ReadMarker)

_ROOM_COLUMNS = ("key, name, created, modes, password, user_limit, topic, topic_setter, "
                 "topic_set_at, bans, founder, registered_at, access")
_ACCOUNT_COLUMNS = "key, name, created, password, scram, email, certfps, dropped_at"


def _placeholders(columns: str) -> str:
    return ", ".join("?" * len(columns.split(",")))


_SAVE_ROOM = (f"INSERT OR REPLACE INTO rooms ({_ROOM_COLUMNS}) "
              f"VALUES ({_placeholders(_ROOM_COLUMNS)})")
_SAVE_ACCOUNT = (f"INSERT OR REPLACE INTO accounts ({_ACCOUNT_COLUMNS}) "
                 f"VALUES ({_placeholders(_ACCOUNT_COLUMNS)})")
# Markers only move forward: two MARKREADs of one account may reach the queue in the
# other order than the account book took them (it queues after letting go of its lock).
_SAVE_MARKER = ("INSERT INTO read_markers (account_key, target_key, time_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (account_key, target_key) DO UPDATE "
                "SET time_ms = max(time_ms, excluded.time_ms)")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def apply(conn: sqlite3.Connection, op: Kept) -> None:
    """The writer, inside its batch's transaction."""
    if isinstance(op, RoomRecord):
        conn.execute(_SAVE_ROOM, (
            casefold(op.name), op.name, op.created, op.modes, op.key, op.limit, op.topic,
            op.topic_setter, op.topic_set_at,
            _json([[b.mask, b.setter, b.set_at] for b in op.bans]),
            op.founder, op.registered_at, _json([list(pair) for pair in op.access])))
    elif isinstance(op, ForgetRoom):
        conn.execute("DELETE FROM rooms WHERE key = ?", (op.key,))
    elif isinstance(op, AccountRecord):
        conn.execute(_SAVE_ACCOUNT, (
            casefold(op.name), op.name, op.created, op.password, op.scram, op.email,
            _json(list(op.certfps)), op.dropped_at))
    elif isinstance(op, ForgetAccount):
        conn.execute("DELETE FROM accounts WHERE key = ?", (op.key,))
        conn.execute("DELETE FROM read_markers WHERE account_key = ?", (op.key,))
    else:
        conn.execute(_SAVE_MARKER, (op.account_key, op.target_key, op.time_ms))


def rooms(conn: sqlite3.Connection) -> list[RoomRecord]:
    rows = conn.execute(f"SELECT {_ROOM_COLUMNS} FROM rooms ORDER BY key").fetchall()
    return [RoomRecord(name=name, created=created, modes=modes, key=password,
                       limit=user_limit, topic=topic, topic_setter=setter,
                       topic_set_at=set_at,
                       bans=tuple(SavedBan(m, s, t) for m, s, t in json.loads(bans)),
                       founder=founder, registered_at=registered_at,
                       access=tuple((account, mode) for account, mode in json.loads(access)))
            for (_, name, created, modes, password, user_limit, topic, setter, set_at, bans,
                 founder, registered_at, access) in rows]


def accounts(conn: sqlite3.Connection) -> list[AccountRecord]:
    rows = conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY key").fetchall()
    return [AccountRecord(name=name, created=created, password=password, scram=scram,
                          email=email, certfps=tuple(json.loads(certfps)),
                          dropped_at=dropped_at)
            for (_, name, created, password, scram, email, certfps, dropped_at) in rows]


def read_markers(conn: sqlite3.Connection, account_key: str) -> dict[str, int]:
    return dict(conn.execute("SELECT target_key, time_ms FROM read_markers "
                             "WHERE account_key = ?", (account_key,)).fetchall())
