"""Applying a MODE change to a room: the one place where a room's modes, key, limit,
bans and member prefixes change.

`modes.py` reads the change (pure, no room); this runs it under the room's lock (no
other room or user lock is taken: see `state/__init__.py`) and announces what really changed,
once, before the lock is released, so every member sees room events in the order they
happened.
"""
from __future__ import annotations

from collections.abc import Callable

from ..protocol import casefold
from . import errors
from .modes import PREFIX_MODES, Ban, Change, with_prefix
from .state import Room, User


def apply(room: Room, by: User, changes: list[Change], max_bans: int, now: int,
          announce: Callable[[list[Change]], None]) -> list[tuple[int, errors.IrcError]]:
    """Apply `changes` on `by`'s order, under the room lock, and `announce` those that
    changed something, with the argument to show, before the lock is released. Returns
    the per-letter errors (441, 478); raises 442/482 if `by` may not change the room."""
    applied: list[Change] = []
    problems: list[tuple[int, errors.IrcError]] = []
    with room.lock:
        room.require_operator(by)
        for change in changes:
            try:
                if _apply_one(room, by, change, max_bans, now):
                    applied.append(change)
            except errors.IrcError as exc:
                problems.append((change.pos, exc))
        if applied:
            if any(change.letter not in PREFIX_MODES for change in applied):
                room.keeper.room_changed(room)  # prefixes are not kept (see archive.py)
            announce(applied)
    return problems


def _apply_one(room: Room, by: User, change: Change, max_bans: int, now: int) -> bool:
    """Caller holds room.lock. False if the change changes nothing."""
    adding, letter = change.adding, change.letter
    if letter in PREFIX_MODES:
        target = change.target
        assert isinstance(target, User), "prefix modes are looked up before apply"
        prefixes = room.members.get(target)
        if prefixes is None:
            raise errors.UserNotInRoom(target.nick, room.name)
        updated = with_prefix(prefixes, PREFIX_MODES[letter], adding)
        room.members[target] = updated
        change.arg = target.nick
        return updated != prefixes
    if letter == "b":
        key = casefold(change.arg)
        if adding:
            if key in room.bans:
                return False
            if len(room.bans) >= max_bans:
                raise errors.BanListFull(room.name, "b")
            room.bans[key] = Ban(change.arg, by.prefix, now)
            return True
        ban = room.bans.pop(key, None)
        if ban is not None:
            change.arg = ban.mask
        return ban is not None
    if letter == "k":
        if adding:
            if room.key == change.arg:
                return False
            room.key = change.arg
            return True
        if room.key is None:
            return False
        room.key, change.arg = None, "*"
        return True
    if letter == "l":
        value = int(change.arg) if adding else None
        if room.limit == value:
            return False
        room.limit = value
        change.arg = str(value) if adding else ""
        return True
    if (letter in room.modes) == adding:
        return False
    (room.modes.add if adding else room.modes.discard)(letter)
    return True
