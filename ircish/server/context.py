"""What a command handler gets: the user it runs for, the server's tables, this
connection's session state, and a reply API.

Handlers use only this: not the `Server` or the `Connection` behind it (kept private
here), so everything a command may touch is named in one place. Handlers never touch
sockets either: everything they send goes through `reply`/`send`, which only queue
bytes on an outbox (see `outbox.py`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..protocol import Message, casefold, split_list
from . import errors
from .events import Event, deliver_now, new_msgid
from .replies import numeric_line, numeric_lines

if TYPE_CHECKING:
    from .accounts import AccountBook
    from .accounts.throttle import LoginThrottle
    from .archive import Archive
    from .config import Settings
    from .connection import Connection
    from .monitor import Monitors
    from .registry import Registry
    from .server import Counts, Server
    from .state import NickTable, Room, RoomTable, User
    from .store import Store
    from .whowas import NickHistory


T = TypeVar("T")


@dataclass(slots=True)
class Session:
    """What commands may change about their connection. Only its reader thread (the
    one running the commands) uses it: no lock."""

    cap_negotiating: bool = False   # CAP LS/REQ before registration: the welcome waits for CAP END
    password: str | None = None     # given with PASS; checked when registration completes
    failed_opers: int = 0           # OPER attempts refused on this connection
    sasl: object | None = None      # SASL state, once AUTHENTICATE is used (sasl.SaslState)
    # monotonic time to log in by, or lose the nick; the one field another thread
    # touches (housekeeping clears it): under enforcement.IDENTITY_LOCK
    nick_deadline: float | None = None
    # a failed login holds this connection's input until then (monotonic; 0: none)
    hold_until: float = 0.0
    # flood control's free lines (registry.line_cost): lines before the welcome, and
    # uses of each command with `free_uses`
    lines_before_welcome: int = 0
    free_uses: dict[str, int] = field(default_factory=dict)


class Context:
    """One per connection, handed to each of its commands (`message` is the current one)."""

    __slots__ = ("_conn", "_server", "message", "nicks", "rooms", "session", "settings", "user")

    def __init__(self, server: Server, conn: Connection) -> None:
        self._server = server
        self._conn = conn
        self.user: User = conn.user
        self.session = Session()
        self.message: Message | None = None
        self.settings: Settings = server.settings
        self.nicks: NickTable = server.nicks
        self.rooms: RoomTable = server.rooms

    # --- looking things up ----------------------------------------------------------

    def find_user(self, nick: str) -> User:
        """The registered user with this nick; raises NoSuchNick (401) if there is none
        (someone still registering is no one yet)."""
        user = self.nicks.get(nick)
        if user is None or not user.registered:
            raise errors.NoSuchNick(nick)
        return user

    @property
    def registry(self) -> Registry:
        """The commands (for HELP)."""
        return self._server.registry

    @property
    def monitors(self) -> Monitors:
        return self._server.monitors

    @property
    def features(self) -> frozenset[str]:
        """The parts of the server that are on (a command's `feature`): "history"
        unless --no-history."""
        return self._server.features

    @property
    def accounts(self) -> AccountBook:
        """The accounts, and who is logged in to each."""
        return self._server.accounts

    @property
    def login_throttle(self) -> LoginThrottle:
        """Failed logins by address and by account (`accounts/throttle.py`)."""
        return self._server.login_throttle

    @property
    def archive(self) -> Archive:
        """What the server keeps: record events with it (see `room_event`)."""
        return self._server.archive

    @property
    def store(self) -> Store:
        """The store behind the archive: history queries (CHATHISTORY, SEARCH)."""
        return self._server.archive.store

    def room_event(self, room: Room, recipients: Iterable[User], event: Event,
                   lead: User | None = None) -> None:
        """A room's own event (JOIN, PART, KICK, MODE, TOPIC), under its lock: committed
        to the recipients' outboxes in order (`events.deliver_now`) and kept in the
        room's history."""
        if event.msgid is None:
            event.msgid = new_msgid()
        deliver_now(recipients, event, lead)
        self._server.archive.room_event(room, event, self.user.nick)

    @property
    def whowas(self) -> NickHistory:
        """Departed and renamed nicks (WHOWAS)."""
        return self._server.whowas

    @property
    def created(self) -> str:
        """When the server started, as 003 and INFO show it."""
        return self._server.created_text

    def counts(self) -> Counts:
        """The LUSERS figures, read together."""
        return self._server.counts()

    def adjust_counts(self, users: int = 0, invisible: int = 0, opers: int = 0) -> None:
        """Keep the LUSERS figures right when a user registers or changes +i or +o."""
        self._server.adjust_counts(users=users, invisible=invisible, opers=opers)

    # --- answering ------------------------------------------------------------------

    def reply(self, numeric: str, *params: str) -> None:
        """A numeric to this user: `:<server> <numeric> <nick> <params…>`."""
        self.user.send(numeric_line(self.settings.server_name, self.user.nick, numeric,
                                    *params))

    def reply_list(self, numeric: str, *params: str, items: Iterable[str],
                   sep: str = " ") -> None:
        """`numeric` replies carrying `items` joined by `sep` in their text, packed into
        as few lines as the line limit allows (none for no items)."""
        for line in numeric_lines(self.settings.server_name, self.user.nick, numeric,
                                  *params, items=items, sep=sep):
            self.user.send(line)

    def reply_error(self, error: errors.IrcError) -> None:
        """A domain error as its numeric."""
        self.reply(error.numeric, *error.reply_params())

    def send(self, msg: Message, force_trailing: bool = False) -> None:
        self.user.send(msg.to_bytes(force_trailing))

    def each(self, items: Iterable[T], action: Callable[[T], None],
             quiet: bool = False) -> None:
        """Run `action` on each target of a list parameter (`#a,#b`): an error on one
        is answered (unless `quiet`) and the others still run."""
        for item in items:
            try:
                action(item)
            except errors.IrcError as exc:
                if not quiet:
                    self.reply_error(exc)

    def targets(self, param: str, most: int) -> list[str]:
        """The items of a list parameter (`#a,#b`), each once (casefolded), and at most
        `most` of them, as TARGMAX advertises: more is 407 and nothing is answered."""
        seen: set[str] = set()
        found = []
        for item in split_list(param):
            key = casefold(item)
            if key not in seen:
                seen.add(key)
                found.append(item)
        if len(found) > most:
            raise errors.TooManyTargets(param[:64])
        return found

    # --- ending the connection ------------------------------------------------------

    def quit(self, reason: str) -> None:
        """The client's own QUIT: it gets ERROR, the others see `Quit: reason` once it
        is gone."""
        self._conn.quit(reason)

    def terminate(self, reason: str) -> None:
        """End the connection with `ERROR :Closing Link: <host> (<reason>)`."""
        self._conn.terminate(reason)
