"""Users and the nick table. The locks and the order they are taken in: `state/__init__.py`."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...protocol import casefold
from .. import errors

if TYPE_CHECKING:
    from ..outbox import Sink
    from .rooms import Room


class User:
    """One connected client's identity. Fields other than the guarded ones are owned
    by the client's own reader thread."""

    def __init__(self, outbox: Sink, host: str, tls: bool = False) -> None:
        self.outbox = outbox
        self.send = outbox.put
        self.host = host
        self.tls = tls                # came in over TLS (WHOIS says so)
        self.nick = "*"               # guarded by NickTable.lock once claimed
        self.username = ""
        self.realname = ""
        self.registered = False
        self.caps: set[str] = set()
        self.tag_profile = 0          # caps.profile(caps): how lines must look for this user
        self.account: str | None = None  # logged in as (accounts/login.py); its reader sets it
        self.certfp: str | None = None   # SHA-256 of the TLS client certificate (hex), if any
        self.modes: set[str] = set()  # user modes: i (invisible), o (operator), B (bot)
        self.signon = time.time()
        self.last_active = self.signon  # last PRIVMSG/NOTICE, for WHOIS idle
        self.lock = threading.Lock()
        self.rooms: dict[str, Room] = {}  # casefolded name -> Room, guarded by User.lock
        self.away: str | None = None      # guarded by User.lock
        self.invites: set[str] = set()    # casefolded rooms invited to, guarded by User.lock
        # Ends the user's connection from any thread (KILL); its Connection sets it.
        self.terminate: Callable[[str], None] = _not_connected

    @property
    def is_oper(self) -> bool:
        return "o" in self.modes

    @property
    def prefix(self) -> str:
        return f"{self.nick}!{self.username}@{self.host}"

    def room_list(self) -> list[Room]:
        with self.lock:
            return list(self.rooms.values())

    def set_away(self, text: str | None) -> str | None:
        """Mark the user away with `text`, or back with None; returns what it was."""
        with self.lock:
            before, self.away = self.away, text
        return before

    def invite(self, room: Room) -> None:
        """Let the user past the room's +i, bans and limit on their next JOIN of it."""
        with self.lock:
            self.invites.add(casefold(room.name))

    def invitations(self) -> list[str]:
        """The rooms the user is invited to (casefolded names), sorted."""
        with self.lock:
            return sorted(self.invites)

    def peers(self) -> set[User]:
        """Everyone who shares at least one room with this user (not the user)."""
        peers: set[User] = set()
        for room in self.room_list():
            peers.update(room.members_snapshot)
        peers.discard(self)
        return peers

    def __repr__(self) -> str:
        return f"<User {self.nick}>"


class NickTable:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._users: dict[str, User] = {}

    def get(self, nick: str) -> User | None:
        return self._users.get(casefold(nick))

    def claim(self, user: User, nick: str) -> str:
        """Give `user` the nick (first claim or a change); return the old nick."""
        key = casefold(nick)
        with self.lock:
            holder = self._users.get(key)
            if holder is not None and holder is not user:
                raise errors.NicknameInUse(nick)
            old = user.nick
            if old != "*":
                self._users.pop(casefold(old), None)
            self._users[key] = user
            user.nick = nick
            return old

    def release(self, user: User) -> None:
        with self.lock:
            key = casefold(user.nick)
            if self._users.get(key) is user:
                del self._users[key]

    def users(self) -> list[User]:
        with self.lock:
            return list(self._users.values())

    def __len__(self) -> int:
        return len(self._users)


def _not_connected(reason: str) -> None:
    """A User made without a connection (tests, tools) has nothing to end."""
