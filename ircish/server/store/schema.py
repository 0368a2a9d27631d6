"""The SQLite file's layout and the checks made before the server trusts a file.

The layout is an ordered list of migrations: `MIGRATIONS[n]` turns a version-n file into a
version-n+1 one, and `PRAGMA user_version` says which version a file is at. A file made by
an older ircish is brought forward in one transaction (all or nothing); one made by a newer
ircish is refused rather than guessed at. `PRAGMA application_id` marks the file as
ircish's, so a server pointed at some other program's database says so instead of writing
its tables into it.

Every problem found while opening is a `StoreError` with one line that names the file:
start-up is where an operator can still fix it.
"""
from __future__ import annotations

import fcntl
import logging
import sqlite3
import tempfile
from pathlib import Path
from typing import IO

from .base import StoreError

log = logging.getLogger(__name__)

APPLICATION_ID = 0x49524348  # "IRCH": this file is an ircish store
FILE_NAME = "ircish.db"
LOCK_NAME = "ircish.lock"
SQLITE_MAGIC = b"SQLite format 3\x00"

# Search needs one token per conversation and per sender whatever the characters of the
# key (`#dev` and `&dev` must differ, `alice bob` must stay one word): the key's UTF-8
# bytes in hex, behind a letter saying which it is. `search.scope_token` computes the same.
_SCOPE = "'k' || hex(target_key) || ' s' || hex(sender_key)"
_MESSAGE = "command IN ('PRIVMSG', 'NOTICE')"
_INDEXED = f"{_MESSAGE} AND text IS NOT NULL"
# A private conversation's key (`base.conversation_key`): never a room's.
_CONVERSATION = "substr(target_key, 1, 1) NOT IN ('#', '&') AND instr(target_key, ' ') > 0"
_NEW_INDEXED = "new.command IN ('PRIVMSG', 'NOTICE') AND new.text IS NOT NULL"
_OLD_INDEXED = "old.command IN ('PRIVMSG', 'NOTICE') AND old.text IS NOT NULL"

# Words are runs of letters and digits, of any script; case and Latin accents folded.
TOKENIZE = "unicode61 remove_diacritics 2"

# Version 1: history and rooms.
_V1 = [
    """CREATE TABLE messages (
        id          INTEGER PRIMARY KEY,  -- insertion order: the tiebreak at equal times
        msgid       TEXT NOT NULL,
        time_ms     INTEGER NOT NULL,
        target_key  TEXT NOT NULL,
        sender_key  TEXT NOT NULL,
        source      TEXT NOT NULL,
        command     TEXT NOT NULL,
        params      TEXT NOT NULL,        -- JSON array
        text        TEXT,
        tags        TEXT,                 -- JSON array of [key, value], NULL for none
        account     TEXT,
        extended    TEXT                  -- JSON array or NULL
    )""",
    # Not UNIQUE on purpose: a duplicate msgid must not make a whole batch fail.
    "CREATE INDEX messages_by_time ON messages (target_key, time_ms, id)",
    "CREATE INDEX messages_by_msgid ON messages (target_key, msgid)",
    """CREATE TABLE rooms (
        key          TEXT PRIMARY KEY,    -- the casefolded name
        name         TEXT NOT NULL,
        created      INTEGER NOT NULL,
        modes        TEXT NOT NULL,
        password     TEXT,                -- the room key (+k)
        user_limit   INTEGER,
        topic        TEXT,
        topic_setter TEXT,
        topic_set_at INTEGER,
        bans         TEXT NOT NULL        -- JSON array of [mask, setter, set_at]
    )""",
]

# Version 2: full-text search, and what lets search stop early (see `search.py`).
# Deleted and updated rows leave the index by triggers. New rows enter it by `INDEX_NEW`,
# run by the writer once per batch in the same transaction, not by an insert trigger:
# FTS5 flushes its pending terms at every statement savepoint, and a trigger gives every
# inserted row one, which made a batch three times slower.
_V2 = [
    # The FTS index's external content: what gets indexed, and how, written once.
    f"""CREATE VIEW messages_searchable AS
        SELECT id, text, {_SCOPE} AS scope FROM messages WHERE {_INDEXED}""",
    f"""CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, scope, content='messages_searchable', content_rowid='id',
        tokenize='{TOKENIZE}')""",
    f"""CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN {_OLD_INDEXED}
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text, scope)
            VALUES ('delete', old.id, old.text, {_SCOPE.replace("target_key", "old.target_key")
                                                  .replace("sender_key", "old.sender_key")});
        END""",
    # Rows are never updated; this keeps the index right if someone does it by hand.
    f"""CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text, scope)
            SELECT 'delete', old.id, old.text, {_SCOPE.replace("target_key", "old.target_key")
                                                 .replace("sender_key", "old.sender_key")}
            WHERE {_OLD_INDEXED};
            INSERT INTO messages_fts (rowid, text, scope)
            SELECT new.id, new.text, {_SCOPE.replace("target_key", "new.target_key")
                                       .replace("sender_key", "new.sender_key")}
            WHERE {_NEW_INDEXED};
        END""",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
    # Every word the text column has held: a prefix search looks its words up here and
    # asks the index for those exact words (FTS5's own prefix query reads every matching
    # word's whole posting list first: 50 ms for a common word in a million rows).
    "CREATE TABLE terms (term TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE VIRTUAL TABLE temp.migrate_terms USING fts5vocab(main, messages_fts, 'col')",
    "INSERT INTO terms SELECT term FROM temp.migrate_terms WHERE col = 'text'",
    "DROP TABLE temp.migrate_terms",
    # high_ms: the latest time_ms ever stored; skew_ms: by how much, at most, a row is
    # older than a row stored before it. Search relies on skew_ms being an upper bound.
    """CREATE TABLE meta (
        one      INTEGER PRIMARY KEY CHECK (one = 1),
        high_ms  INTEGER NOT NULL,
        skew_ms  INTEGER NOT NULL
    )""",
    """INSERT INTO meta (one, high_ms, skew_ms)
        SELECT 1, coalesce(max(time_ms), 0), max(0, coalesce(max(before_ms - time_ms), 0))
        FROM (
            SELECT time_ms, max(time_ms) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING
                                                AND 1 PRECEDING) AS before_ms
            FROM messages)""",
]

INDEX_NEW = ("INSERT INTO messages_fts (rowid, text, scope) "
             "SELECT id, text, scope FROM messages_searchable WHERE id > ?")

# Version 3: prefix words are looked up in the index's own vocabulary (`messages_vocab`,
# read at search time) instead of a `terms` table kept by the writer: keeping it cost
# the writer a second tokenization of every message (5.5 us of its ~25 us a row), on
# the chat's CPU, for the sake of a query that is rare.
_V3 = [
    "DROP TABLE terms",
    "CREATE VIRTUAL TABLE messages_vocab USING fts5vocab(messages_fts, 'col')",
]

# Version 4: accounts. Accounts and their read markers; rooms registered to accounts
# (founder, access list); private conversations findable by either side.
# - An account's certificate fingerprints are a JSON list in its row: the account book
#   holds every account in memory and looks fingerprints up there, the store only
#   writes a record whole and reads them all at start-up (a child table would cost a
#   delete and re-insert per change and answer no query anyone asks).
# - A conversation's key is `conversation_key(a, b)`, "a b" with a and b party keys:
#   an account key, or "!" and a nick. Before version 4 every private message was
#   between nicks and its key was "nick1 nick2"; read now, that would name two accounts
#   (whoever registers "nick1" would read that nick's old messages), so those keys
#   become "!nick1 !nick2": what the server now writes for two people not logged in.
# - `conversation_sides` (see `conversations.py`) is filled from the existing messages.
_OLD_PRIVATE = f"{_CONVERSATION} AND substr(target_key, 1, 1) != '!'"
_V4 = [
    """CREATE TABLE accounts (
        key         TEXT PRIMARY KEY,     -- the casefolded name
        name        TEXT NOT NULL,        -- as registered
        created     INTEGER NOT NULL,
        password    TEXT NOT NULL,        -- scrypt hash ("" for a dropped account)
        scram       TEXT NOT NULL,        -- SCRAM-SHA-256 keys
        email       TEXT,
        certfps     TEXT NOT NULL,        -- JSON array of lowercase hex SHA-256
        dropped_at  INTEGER               -- the name stays reserved for a while after
    )""",
    """CREATE TABLE read_markers (
        account_key TEXT NOT NULL,
        target_key  TEXT NOT NULL,        -- a room key or a conversation key
        time_ms     INTEGER NOT NULL,
        PRIMARY KEY (account_key, target_key)
    ) WITHOUT ROWID""",
    "ALTER TABLE rooms ADD COLUMN founder TEXT",                       # an account key
    "ALTER TABLE rooms ADD COLUMN registered_at INTEGER",
    "ALTER TABLE rooms ADD COLUMN access TEXT NOT NULL DEFAULT '[]'",  # [[account, "o"]]
    f"""UPDATE messages SET target_key =
            '!' || substr(target_key, 1, instr(target_key, ' ') - 1)
            || ' !' || substr(target_key, instr(target_key, ' ') + 1)
        WHERE {_OLD_PRIVATE}""",
    """CREATE TABLE conversation_sides (
        party       TEXT NOT NULL,        -- a party key
        target_key  TEXT NOT NULL,        -- a conversation it is a side of
        latest_ms   INTEGER NOT NULL,     -- no message of it is later (an upper bound)
        PRIMARY KEY (party, target_key)
    ) WITHOUT ROWID""",
    "CREATE INDEX conversation_sides_by_time ON conversation_sides (party, latest_ms)",
    # Each side of each conversation with messages: "a b" gives a and b (one row when
    # a person talks to themself).
    f"""WITH latest AS (SELECT target_key, max(time_ms) AS latest_ms FROM messages
                        WHERE {_CONVERSATION} AND {_MESSAGE} GROUP BY target_key)
        INSERT OR IGNORE INTO conversation_sides (party, target_key, latest_ms)
        SELECT substr(target_key, 1, instr(target_key, ' ') - 1), target_key, latest_ms
        FROM latest
        UNION ALL
        SELECT substr(target_key, instr(target_key, ' ') + 1), target_key, latest_ms
        FROM latest""",
]

MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4]
LATEST = len(MIGRATIONS)

FULL_CHECK_BYTES = 1 << 30   # about 4M messages, 3-4 s of start-up
WRITER_CACHE_KIB = 16 * 1024
READER_CACHE_KIB = 4 * 1024
BUSY_TIMEOUT_MS = 5000


def configure(conn: sqlite3.Connection, *, cache_kib: int, reader: bool) -> None:
    """Per-connection settings: a bounded page cache (the store's memory stays small
    whatever the file's size), a wait instead of an error when the file is busy."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = -{cache_kib}")
    conn.execute("PRAGMA temp_store = MEMORY")
    if reader:
        conn.execute("PRAGMA query_only = 1")
    else:
        conn.execute("PRAGMA synchronous = NORMAL")   # WAL: a crash loses at most the
        conn.execute("PRAGMA journal_size_limit = 67108864")  # last commits, never the file


def connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun and committed by hand; check_same_thread
    # off because a connection is handed between threads (never used by two at once).
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           cached_statements=64)


def open_database(data_dir: Path, migrations: list[list[str]] | None = None) -> sqlite3.Connection:
    """The writer's connection to `data_dir/ircish.db`, checked and at the latest version
    (`migrations` stands in for `MIGRATIONS` in tests that build an older file)."""
    steps = MIGRATIONS if migrations is None else migrations
    _check_dir(data_dir)
    path = data_dir / FILE_NAME
    _check_header(path)
    try:
        conn = connect(path)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from None
    try:
        _check_contents(conn, path, len(steps))
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot use write-ahead logging on {path} (journal mode {mode})")
        configure(conn, cache_kib=WRITER_CACHE_KIB, reader=False)
        _migrate(conn, path, steps)
    except StoreError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is damaged or unreadable: {exc}") from None
    return conn


def lock_dir(data_dir: Path) -> IO[bytes]:
    """Hold `data_dir/ircish.lock` for as long as the store is open: two servers writing
    one file would give the same ids twice. The kernel lets go when the process dies."""
    _check_dir(data_dir)
    path = data_dir / LOCK_NAME
    try:
        handle = path.open("ab")
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreError(f"{data_dir} is in use by another ircish server "
                         f"(it holds {path})") from None
    return handle


def _check_dir(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"data directory {data_dir} is not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create data directory {data_dir}: "
                         f"{exc.strerror or exc}") from None
    try:   # a real write, not os.access: it is what SQLite will need (WAL, shm files)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        raise StoreError(f"data directory {data_dir} is not writable: "
                         f"{exc.strerror or exc}") from None


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite sees it, and one that is shorter
    than its header says (cut off by a full disk or a bad copy)."""
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head:
        return   # an empty file is a new database
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise StoreError(f"{path} is not a SQLite database")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    valid_for = int.from_bytes(head[92:96], "big")
    change_counter = int.from_bytes(head[24:28], "big")
    if pages and valid_for == change_counter and size < pages * page_size:
        raise StoreError(f"{path} is truncated: {size} bytes, its header says "
                         f"{pages * page_size} (damaged; restore it from a backup)")


def _check_contents(conn: sqlite3.Connection, path: Path, latest: int) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == 0 and version == 0:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")]
        if tables:
            raise StoreError(f"{path} is not an ircish database (it has tables "
                             f"{', '.join(tables[:5])}); point the data dir elsewhere")
        return
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path} is not an ircish database (application id {app_id:#x})")
    if version > latest:
        raise StoreError(f"{path} was written by a newer ircish (schema version {version}; "
                         f"this one knows up to {latest})")
    _quick_check(conn, path)


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """`PRAGMA quick_check` catches a damaged file at start-up rather than at the first
    query that reaches the damage. It reads every page: 0.6-1 s for a million messages
    (270 MiB) here. Up to `FULL_CHECK_BYTES` the whole file is checked; above, only the
    rooms and accounts (what a restart must bring back; a file older than accounts has
    none to check), and the log says how to check the rest."""
    size = path.stat().st_size if path.exists() else 0
    pragmas = ["PRAGMA quick_check(5)"]
    if size > FULL_CHECK_BYTES:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        pragmas = [f"PRAGMA quick_check({t})" for t in ("rooms", "accounts") if t in tables]
        log.warning("store: %s is %d MiB; checked the rooms and accounts only (check it "
                    "all offline: sqlite3 %s 'PRAGMA quick_check')", path, size >> 20, path)
    try:
        rows = [row for pragma in pragmas for row in conn.execute(pragma).fetchall()]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is damaged: {exc} (restore it from a backup)") from None
    problems = [" ".join(str(row[0]).split()) for row in rows if row[0] != "ok"]
    if problems:
        raise StoreError(f"{path} is damaged: {'; '.join(problems)[:300]} "
                         "(restore it from a backup)")


def _migrate(conn: sqlite3.Connection, path: Path, steps: list[list[str]]) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(steps):
        return
    if version:   # version 4 rewrites every private message's key: ~8 s at 1M messages
        log.info("store: bringing %s from schema version %d to %d", path, version, len(steps))
    conn.execute("BEGIN IMMEDIATE")
    try:
        for number in range(version, len(steps)):
            for statement in steps[number]:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {len(steps)}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise StoreError(f"cannot bring {path} from schema version {version} to "
                         f"{len(steps)}: {exc}") from None
    if version:
        log.info("store: %s brought from schema version %d to %d", path, version, len(steps))
