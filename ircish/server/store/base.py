"""What the server asks of storage, in domain words: the records it keeps and the one
interface every store implements (`SqliteStore` now; a shared database for a cluster
later, without touching callers).

Rules every implementation keeps (callers rely on them):
- Writes (`append`, `redact`, `save_room`, `forget_room`, `save_account`,
  `forget_account`, `save_read_marker`) are queued and return at once:
  a reader thread never waits for a disk and never sees a storage exception. A write
  that fails later degrades history (logged), never the chat.
- Reads see every write queued before them, by any thread (read-your-writes): a
  CHATHISTORY right after a PRIVMSG finds it.
- One total order: records sort by (time_ms, insertion order); every query returns
  records oldest first in that order, and "before"/"after" are exclusive.
- `close()` commits everything queued before returning (a clean stop loses nothing).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol


class StoreError(Exception):
    """Storage cannot be used at start-up (unwritable data dir, a file that is not an
    ircish database, a corrupt or too-new one). The message is one line naming the file."""


class UnknownMessage(LookupError):
    """A msgid reference names no stored record of that target."""


@dataclass(frozen=True, slots=True)
class Record:
    """One line of a target's history, as it went out when it happened.

    `params` are the line's parameters in full (the target first: `("#room", "hi")`);
    `extended` the JOIN parameters extended-join clients got. `tags` are the tags only
    message-tags clients see besides msgid: the sender's client-only `+tags` and `bot`.
    """

    msgid: str
    time_ms: int                 # server time the line was received, ms since the epoch
    target_key: str              # casefolded room name, or a conversation key (below)
    sender_key: str              # casefolded nick of the source ("" for the server)
    source: str                  # nick!user@host (or the server name)
    command: str                 # PRIVMSG NOTICE TAGMSG JOIN PART QUIT KICK MODE TOPIC NICK
    params: tuple[str, ...]
    text: str | None = None      # what search matches: a PRIVMSG's or NOTICE's text
    tags: tuple[tuple[str, str], ...] = ()
    account: str | None = None   # the sender's account, once accounts exist
    extended: tuple[str, ...] | None = None

    @property
    def is_message(self) -> bool:
        """What clients without event-playback get back: PRIVMSG and NOTICE only."""
        return self.command in MESSAGE_COMMANDS


MESSAGE_COMMANDS = frozenset({"PRIVMSG", "NOTICE"})


def conversation_key(a: str, b: str) -> str:
    """The target key of a private conversation between two parties (`party_key`): the
    same from either side. Never a room key (no # or & first)."""
    return " ".join(sorted((a, b)))


def party_key(account: str | None, nick: str) -> str:
    """One side of a private conversation: the casefolded account of a logged-in user,
    else `!` and the casefolded nick (a nick proves nothing: a conversation is served
    only to a side that is an account, and `!` cannot start an account name). Both
    arguments casefolded by the caller."""
    return account if account else "!" + nick


@dataclass(frozen=True, slots=True)
class Ref:
    """A point in a target's history: a time (`timestamp=`) or a message (`msgid=`)."""

    time_ms: int | None = None
    msgid: str | None = None


@dataclass(frozen=True, slots=True)
class SavedBan:
    mask: str
    setter: str
    set_at: int


@dataclass(frozen=True, slots=True)
class RoomRecord:
    """A room's lasting state: what a restart brings back (not its members)."""

    name: str
    created: int                 # seconds since the epoch
    modes: str = ""              # flag modes, e.g. "nt"
    key: str | None = None
    limit: int | None = None
    topic: str | None = None
    topic_setter: str | None = None
    topic_set_at: int | None = None
    bans: tuple[SavedBan, ...] = ()
    # registered rooms (accounts): the founder's and the access list's account keys;
    # a registered room is kept while empty, and for ever until dropped
    founder: str | None = None
    registered_at: int | None = None
    access: tuple[tuple[str, str], ...] = ()   # (account key, "o" or "v"), in the order set


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account, as kept. `name` as registered (its key is `casefold(name)`); the
    password only as hashes: `password` the scrypt hash PLAIN and PASS check
    (`passwords.make_hash`), `scram` the SCRAM-SHA-256 keys (`passwords.scram_keys`).
    A dropped account keeps its record, without credentials, so that its name stays
    reserved until `dropped_at` plus the reservation time; then it is forgotten."""

    name: str
    created: int                 # seconds since the epoch
    password: str = ""
    scram: str = ""
    email: str | None = None
    certfps: tuple[str, ...] = ()  # SHA-256 of client certificates (lowercase hex)
    dropped_at: int | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """`keys`: the targets the asker may read (search never looks elsewhere)."""

    keys: Collection[str]
    text: str | None = None      # words, each matched as a word or a word's prefix
    sender_key: str | None = None
    after_ms: int | None = None  # exclusive
    before_ms: int | None = None  # exclusive
    limit: int = 100


@dataclass(slots=True)
class WriterStats:
    """The writer's figures, for logs and the bench."""

    queued: int = 0              # writes handed to the writer
    committed: int = 0           # ... of them committed
    dropped: int = 0             # ... lost (queue full, disk full, write error)
    batches: int = 0             # commits
    largest_batch: int = 0
    deepest_queue: int = 0
    batch_sizes: list[int] = field(default_factory=list)  # the last ones, newest last


class Store(Protocol):
    """Everything the server keeps beyond a restart."""

    @property
    def enabled(self) -> bool:
        """False for the memory-only store (--no-history): capabilities are not offered."""
        ...

    def close(self) -> None:
        """Commit everything queued, then release the files. Idempotent."""
        ...

    # rooms
    def rooms(self) -> list[RoomRecord]:
        """Every saved room (read at start-up)."""
        ...

    def save_room(self, room: RoomRecord) -> None:
        """Queue: create or replace the room's saved state (keyed by its casefolded name)."""
        ...

    def forget_room(self, key: str) -> None:
        """Queue: the room (casefolded name) is gone; its history stays until pruned."""
        ...

    # accounts
    def accounts(self) -> list[AccountRecord]:
        """Every kept account, dropped ones included (read at start-up)."""
        ...

    def save_account(self, account: AccountRecord) -> None:
        """Queue: create or replace the account (keyed by its casefolded name)."""
        ...

    def forget_account(self, key: str) -> None:
        """Queue: remove the account (casefolded name) and its read markers."""
        ...

    def read_markers(self, account_key: str) -> dict[str, int]:
        """The account's read markers: target key -> time_ms."""
        ...

    def save_read_marker(self, account_key: str, target_key: str, time_ms: int) -> None:
        """Queue: set the marker (the caller only ever moves it forward)."""
        ...

    # history: writes
    def append(self, record: Record) -> None:
        """Queue one record. Never blocks, never raises."""
        ...

    def redact(self, target_key: str, msgid: str) -> None:
        """Queue: leave this message out of history from now on."""
        ...

    # history: reads (oldest first; `events`: False keeps PRIVMSG and NOTICE only)
    def find(self, target_key: str, msgid: str) -> Record | None:
        ...

    def latest(self, target_key: str, after: Ref | None, limit: int,
               events: bool) -> list[Record]:
        """The newest `limit` records, only those after `after` if given."""
        ...

    def before(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        """The newest `limit` records before `ref`. Raises UnknownMessage."""
        ...

    def after(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        """The oldest `limit` records after `ref`. Raises UnknownMessage."""
        ...

    def around(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        """Up to `limit` records around `ref`: about half before, the rest from it
        on (a msgid's own record included). Raises UnknownMessage."""
        ...

    def between(self, target_key: str, start: Ref, end: Ref, limit: int,
                events: bool) -> list[Record]:
        """Records strictly between the two: the `limit` nearest `start` (which may be
        the later one). Raises UnknownMessage."""
        ...

    def targets(self, keys: Collection[str], start_ms: int, end_ms: int,
                limit: int) -> list[tuple[str, int]]:
        """Of `keys`, those with messages between the two times (either order,
        exclusive), with their latest message's time: the `limit` most recently
        active, oldest first."""
        ...

    def conversations(self, party: str, start_ms: int, end_ms: int,
                      limit: int) -> list[tuple[str, int]]:
        """The private conversations `party` (a `party_key`) is a side of with messages
        between the two times (either order, exclusive), as (conversation key, latest
        message time): the `limit` most recently active, oldest first."""
        ...

    def search(self, query: SearchQuery) -> list[Record]:
        """The newest `query.limit` PRIVMSG/NOTICE records matching, oldest first."""
        ...

    def stats(self) -> WriterStats:
        ...
