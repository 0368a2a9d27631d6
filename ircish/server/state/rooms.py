"""Rooms and the room table: members and their prefixes, topic, modes, bans, and the
join, speak and topic checks. The locks and their order: `state/__init__.py`."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ...protocol import casefold, matches_any
from .. import errors
from ..events import Event, deliver_now, new_msgid
from ..modes import PREFIX_MODES, Ban, parse_flags, with_prefix

if TYPE_CHECKING:
    from ..outbox import Sink
    from .users import User


@dataclass(frozen=True, slots=True)
class Topic:
    text: str
    setter: str
    set_at: int


Announce = Callable[["Room", tuple["User", ...]], None]
"""Tells a room's members of a change, under the room lock: (room, recipients)."""


class Keeper(Protocol):
    """Who keeps rooms beyond a restart (`archive.Archive`). Called under the room's
    lock; each call only queues."""

    def room_changed(self, room: Room) -> None: ...

    def room_dropped(self, room: Room) -> None: ...

    def room_event(self, room: Room, event: Event, actor: str) -> None: ...


class Forgetful:
    """The keeper of a table that keeps nothing."""

    def room_changed(self, room: Room) -> None:
        pass

    def room_dropped(self, room: Room) -> None:
        pass

    def room_event(self, room: Room, event: Event, actor: str) -> None:
        pass


class Room:
    def __init__(self, name: str, permanent: bool = False, topic: Topic | None = None,
                 modes: Iterable[str] = (), keeper: Keeper | None = None,
                 ownerless: bool | None = None) -> None:
        self.name = name
        self.permanent = permanent      # default rooms stay when empty
        # nobody becomes operator by joining first: default rooms, and rooms restored
        # after a restart (their operators cannot be told from who rejoins first)
        self.ownerless = permanent if ownerless is None else ownerless
        self.keeper: Keeper = keeper or Forgetful()
        self.created = int(time.time())
        self.lock = threading.Lock()
        self.members: dict[User, str] = {}  # user -> prefixes, highest first ("@+", ""), guarded
        self.members_snapshot: tuple[User, ...] = ()  # read without the lock
        self.fanout: dict[int, tuple[Sink, ...]] = {}  # tag_profile -> members' outboxes
        self.topic = topic
        self.modes: set[str] = set(modes)  # flag modes: i m n s t
        self.key: str | None = None        # +k
        self.limit: int | None = None      # +l
        self.bans: dict[str, Ban] = {}     # casefolded mask -> Ban, in the order set
        # Owned by an account (ROOM REGISTER, or rooms.yaml's founder): account keys
        # (casefolded names). A registered room is kept while empty, and for ever
        # until dropped; its founder gets @ and its access list +o/+v on joining.
        self.founder: str | None = None
        self.registered_at: int | None = None
        self.access: dict[str, str] = {}   # account key -> "o" or "v", in the order set
        self.founder_from_config = False   # rooms.yaml names the founder: DROP refused
        self.closed = False             # set once, when an empty room is dropped

    def _publish(self) -> None:
        """Caller holds the lock (or the room is not shared yet)."""
        self.members_snapshot = tuple(self.members)
        groups: dict[int, list[Sink]] = {}
        for user in self.members_snapshot:
            groups.setdefault(user.tag_profile, []).append(user.outbox)
        self.fanout = {profile: tuple(outboxes) for profile, outboxes in groups.items()}

    def republish(self) -> None:
        """A member's capabilities changed: regroup the fanout."""
        with self.lock:
            self._publish()

    @property
    def registered(self) -> bool:
        return self.founder is not None

    @property
    def kept(self) -> bool:
        """Stays when empty: a default room, or a registered one."""
        return self.permanent or self.founder is not None

    def granted(self, account: str | None) -> str:
        """The prefix an account gets on joining: `@` for the founder and +o entries,
        `+` for +v entries, "" for everyone else (and for no account)."""
        if account is None:
            return ""
        key = casefold(account)
        if key == self.founder:
            return "@"
        return PREFIX_MODES.get(self.access.get(key, ""), "")

    def unregister(self) -> None:
        """Caller holds the lock: no founder, no access list (ROOM DROP, the founder's
        account dropped); kept for a restart, gone once empty unless a default room."""
        self.founder = self.registered_at = None
        self.access.clear()
        self.keeper.room_changed(self)

    def has(self, user: User) -> bool:
        return user in self.members

    def prefix_of(self, user: User) -> str:
        return self.members.get(user, "")

    def is_operator(self, user: User) -> bool:
        return "@" in self.members.get(user, "")

    @property
    def secret(self) -> bool:
        return "s" in self.modes

    def visible_to(self, user: User) -> bool:
        """Secret rooms are seen only by their members (and server operators)."""
        return "s" not in self.modes or user in self.members or user.is_oper

    def is_banned(self, user: User) -> bool:
        if not self.bans:
            return False
        return matches_any(list(self.bans), user.prefix)  # list(): one atomic copy

    def check_can_send(self, user: User) -> None:
        """+n keeps out outsiders; +m and bans silence members without op or voice."""
        prefix = self.members.get(user)
        if user.is_oper or prefix:
            return
        if prefix is None and "n" in self.modes:
            raise errors.CannotSendToRoom(self.name, text="Cannot send to channel (+n)")
        if "m" in self.modes:
            raise errors.CannotSendToRoom(self.name, text="Cannot send to channel (+m)")
        if self.is_banned(user):
            raise errors.CannotSendToRoom(self.name, text="Cannot send to channel (+b)")

    def require_operator(self, user: User) -> None:
        """Room operators change a room; server operators may act in any room. (Under
        the lock when it guards a change; a plain check to answer early is fine without.)"""
        if user.is_oper:
            return
        prefixes = self.members.get(user)
        if prefixes is None:
            raise errors.NotOnRoom(self.name)
        if "@" not in prefixes:
            raise errors.ChanOpPrivsNeeded(self.name)

    def check_member_may(self, user: User, unless: str) -> str | None:
        """Members may (set the topic, invite) until the room has mode `unless` (+t,
        +i); then only its operators; server operators always. Returns the user's
        prefixes (None: a server operator outside the room)."""
        prefixes = self.members.get(user)
        if not user.is_oper:
            if prefixes is None:
                raise errors.NotOnRoom(self.name)
            if unless in self.modes and "@" not in prefixes:
                raise errors.ChanOpPrivsNeeded(self.name)
        return prefixes

    def set_topic(self, user: User, text: str, announce: Announce) -> None:
        """Set the topic (an empty text clears it) on `user`'s order and `announce` it,
        under the lock: members may until the room is +t, then only its operators;
        server operators always (one acting from outside the room hears it too)."""
        with self.lock:
            prefixes = self.check_member_may(user, unless="t")
            self.topic = Topic(text, user.prefix, int(time.time())) if text else None
            self.keeper.room_changed(self)
            members = self.members_snapshot
            announce(self, members if prefixes is not None else (*members, user))

    def check_can_join(self, user: User, key: str | None) -> None:
        """Caller holds the lock. An invitation passes +i, bans and +l (a member asked
        them in; most servers agree), never a key; an operator passes all."""
        if user.is_oper:
            return
        invited = casefold(self.name) in user.invites
        if not invited and self.is_banned(user):
            raise errors.BannedFromRoom(self.name)
        if not invited and "i" in self.modes:
            raise errors.InviteOnlyRoom(self.name)
        if self.key is not None and key != self.key:
            raise errors.BadRoomKey(self.name)
        if not invited and self.limit is not None and len(self.members) >= self.limit:
            raise errors.RoomIsFull(self.name)

    def mode_string(self, show_key: bool) -> list[str]:
        """RPL_CHANNELMODEIS parameters: "+klnt", "key", "10" (the key only to members).
        Takes the room lock: the three must agree."""
        with self.lock:
            letters, key, limit = set(self.modes), self.key, self.limit
        args = []
        if key is not None:
            letters.add("k")
            args.append(key if show_key else "*")
        if limit is not None:
            letters.add("l")
            args.append(str(limit))
        return ["+" + "".join(sorted(letters)), *args]

    def ban_list(self) -> list[Ban]:
        with self.lock:
            return list(self.bans.values())

    def names(self) -> list[tuple[str, User]]:
        with self.lock:
            return [(modes, user) for user, modes in self.members.items()]

    def __len__(self) -> int:
        return len(self.members_snapshot)

    def __repr__(self) -> str:
        return f"<Room {self.name} {len(self)} members>"


class RoomTable:
    def __init__(self, max_per_user: int, default_modes: str = "nt",
                 keeper: Keeper | None = None, server_name: str = "ircish") -> None:
        self.keeper: Keeper = keeper or Forgetful()
        self.server_name = server_name  # the source of the MODE lines access grants send
        flags = parse_flags(default_modes)
        if flags is None:
            raise ValueError(f"room modes {default_modes!r}: only flags among imnst")
        self.lock = threading.Lock()
        self._rooms: dict[str, Room] = {}
        self.max_per_user = max_per_user
        self.default_modes = flags  # flag modes of rooms users create

    def add_permanent(self, name: str, topic: str | None, setter: str,
                      modes: str | None = None, key: str | None = None,
                      limit: int | None = None) -> Room:
        """A default room (rooms.yaml): it stays when empty and nobody gets its
        operator status by joining; `modes` (flags) default to the table's."""
        flags = self.default_modes if modes is None else parse_flags(modes)
        if flags is None:
            raise ValueError(f"{name}: modes {modes!r}: only flags among imnst")
        room = Room(name, permanent=True,
                    topic=Topic(topic, setter, int(time.time())) if topic else None,
                    modes=flags, keeper=self.keeper)
        room.key, room.limit = key, limit
        with self.lock:
            self._rooms[casefold(name)] = room
        return room

    def add_restored(self, name: str) -> Room:
        """A room brought back after a restart (its state is then filled in by the
        caller): empty, without operators, dropped like any room once its last member
        leaves (unless it is registered)."""
        room = Room(name, keeper=self.keeper, ownerless=True)
        with self.lock:
            self._rooms[casefold(name)] = room
        return room

    def get(self, name: str) -> Room:
        room = self._rooms.get(casefold(name))
        if room is None or room.closed:
            raise errors.NoSuchRoom(name)
        return room

    def find(self, name: str) -> Room | None:
        room = self._rooms.get(casefold(name))
        return None if room is None or room.closed else room

    def all(self) -> list[Room]:
        with self.lock:
            return [room for room in self._rooms.values() if not room.closed]

    def _get_or_create(self, name: str) -> Room:
        key = casefold(name)
        with self.lock:
            room = self._rooms.get(key)
            if room is None or room.closed:
                room = self._rooms[key] = Room(name, modes=self.default_modes,
                                               keeper=self.keeper)
                self.keeper.room_changed(room)  # not shared yet: no lock needed
            return room

    def join(self, user: User, name: str, announce: Announce, key: str | None = None
             ) -> tuple[Room, tuple[User, ...]] | None:
        """Add `user` to the room (created if need be; its first member is its operator,
        unless the room is a default, restored or registered one) if its modes let them
        in, and `announce` it to the members, the joiner included, before anyone can
        send to it. In a room with an owner, the founder and the access list get their
        `@`/`+` as they join: a MODE line from the server follows the JOIN. Returns the
        room and the members besides the joiner, or None if already a member."""
        if len(user.rooms) >= self.max_per_user and casefold(name) not in user.rooms:
            raise errors.TooManyRooms(name)
        while True:
            room = self._get_or_create(name)
            with room.lock:
                if room.closed:
                    continue  # dropped between lookup and lock: look up again
                if user in room.members:
                    return None
                room.check_can_join(user, key)
                others = room.members_snapshot
                granted = room.granted(user.account)
                first = not room.members and not room.ownerless and not room.registered
                room.members[user] = "@" if first else ""
                with user.lock:
                    user.rooms[casefold(room.name)] = room
                    user.invites.discard(casefold(room.name))
                announce(room, (*others, user))
                room._publish()
                if granted and not first:
                    self._announce_prefix(room, user, granted, True, user)
            return room, others

    def apply_access(self, room: Room, users: Iterable[User], adding: bool, letter: str,
                     actor: User) -> None:
        """Give (or take) the prefix of access `letter` ("o", "v") to those of `users`
        who are members of the room, each announced as a MODE line from the server
        (ROOM AMODE, ROOM REGISTER and TRANSFER, a login: the access list applies at
        once to who is there, as ergo does)."""
        symbol = PREFIX_MODES[letter]
        with room.lock:
            for user in users:
                if user in room.members:
                    self._announce_prefix(room, user, symbol, adding, actor)

    def apply_granted(self, user: User) -> None:
        """`user` just logged in: give it what the access lists of the rooms it is in
        grant its account (nothing is taken away at logout, as in ergo)."""
        for room in user.room_list():
            with room.lock:
                granted = room.granted(user.account)
                if granted and user in room.members:
                    self._announce_prefix(room, user, granted, True, user)

    def _announce_prefix(self, room: Room, user: User, symbol: str, adding: bool,
                         actor: User) -> None:
        """Caller holds room.lock: give (take) `user` the prefix `symbol` and tell the
        room in a MODE line from the server, if that changes anything. `actor`: whose
        action it was (the room's history names it)."""
        before = room.members[user]
        after = with_prefix(before, symbol, adding)
        if after == before:
            return
        room.members[user] = after
        letter = next(k for k, v in PREFIX_MODES.items() if v == symbol)
        event = Event(self.server_name, "MODE",
                      [room.name, ("+" if adding else "-") + letter, user.nick],
                      text=False, msgid=new_msgid())
        deliver_now(room.members_snapshot, event)
        self.keeper.room_event(room, event, actor.nick)

    def forget_account(self, account: str) -> None:
        """The account is gone (dropped): the rooms it founded are unregistered (as in
        ergo; a founder rooms.yaml names stays) and no access list names it any more,
        so whoever registers the name once it is free inherits nothing."""
        key = casefold(account)
        for room in self.all():
            with room.lock:
                founded = room.founder == key and not room.founder_from_config
                if founded:
                    room.unregister()
                elif room.access.pop(key, None) is not None:
                    room.keeper.room_changed(room)
            if founded:
                self.drop_if_empty(room)

    def drop_if_empty(self, room: Room) -> None:
        """A room that stops being registered while empty goes, like any empty room
        (a default room stays)."""
        with room.lock:
            if not room.members and not room.kept:
                room.closed = True
        self._drop_if_closed(room)

    def part(self, user: User, name: str, announce: Announce) -> Room:
        """Remove `user` from the room, announced to the members (the leaver included)."""
        room = self.get(name)
        with room.lock:
            if user not in room.members:
                raise errors.NotOnRoom(room.name)
            announce(room, room.members_snapshot)
            self._remove_member(room, user)
        self._drop_if_closed(room)
        return room

    def leave_all(self, user: User) -> set[User]:
        """Remove `user` from every room; returns everyone who shared one with it."""
        peers: set[User] = set()
        for room in user.room_list():
            with room.lock:
                if user not in room.members:
                    continue
                peers.update(room.members_snapshot)
                self._remove_member(room, user)
            self._drop_if_closed(room)
        peers.discard(user)
        return peers

    def kick(self, room: Room, by: User, target: User, announce: Announce) -> None:
        """Remove `target` (whatever its prefixes) on the order of `by`, a room or server
        operator, announced to the members (the kicked included)."""
        with room.lock:
            room.require_operator(by)
            if target not in room.members:
                raise errors.UserNotInRoom(target.nick, room.name)
            announce(room, room.members_snapshot)
            self._remove_member(room, target)
        self._drop_if_closed(room)

    def _remove_member(self, room: Room, user: User) -> None:
        """Caller holds room.lock."""
        del room.members[user]
        with user.lock:
            user.rooms.pop(casefold(room.name), None)
        room._publish()
        if not room.members and not room.kept:
            room.closed = True

    def _drop_if_closed(self, room: Room) -> None:
        if room.closed:
            key = casefold(room.name)
            with self.lock:
                if self._rooms.get(key) is room:
                    del self._rooms[key]
                    self.keeper.room_dropped(room)

    def __len__(self) -> int:
        return sum(1 for room in self._rooms.values() if not room.closed)
