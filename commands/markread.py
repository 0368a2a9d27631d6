"""MARKREAD (IRCv3 draft/read-marker): how far a person has read each room and each
private conversation, shared by all of their connections (a laptop and a phone).

A marker belongs to an account (a user not logged in has none) and to a target: a room
(by its casefolded name) or a conversation (the other side named by a nick, resolved
as CHATHISTORY resolves it, so `MARKREAD bob` and `MARKREAD Bob` on the phone are one
marker). Markers are kept across restarts with the accounts (`AccountBook.mark_read`).

- `MARKREAD <target> timestamp=<time>` sets it, forward only: a later time moves it
  (a time in the future is taken as now) and `:<server> MARKREAD <target>
  timestamp=<time>` then reaches every connection of the account that enabled
  draft/read-marker, the sender's own always (it is the answer); no one else, ever.
  An earlier or equal time changes nothing and the sender alone gets the stored value.
- `MARKREAD <target>` gets it: `MARKREAD <target> timestamp=<time>`, or `*` when
  there is none (always `*` for a user not logged in).
- After the JOIN of a client with the capability, before its 366, the room's marker
  (`join_marker`), as the spec requires.

Errors are the spec's standard replies: `FAIL MARKREAD NEED_MORE_PARAMS` (no target:
the spec asks for this, not 461), `INVALID_PARAMS <param>` (a target that is neither a
room name nor a nick, a timestamp that cannot be read, `*` to set), and
`INTERNAL_ERROR <target>` when the marker cannot be kept or read: a user not logged in
setting one (the spec has no code of its own for that), or a store that failed.
"""
from __future__ import annotations

import time

from ircish.protocol import Message, casefold, is_room_name, is_valid_nick, is_valid_room_name
from ircish.server.context import Context
from ircish.server.playback import format_ms, parse_timestamp, read_store, readable_conversation
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures, safe
from ircish.server.state import Room, User

CAP = "draft/read-marker"
TIMESTAMP = "timestamp="


@command("MARKREAD", usage="[<target>] [<timestamp>]", feature="history", free_uses=16,
         help="Read markers, shared by your connections: MARKREAD <room|nick> "
              "timestamp=<time> says you read up to then; MARKREAD <room|nick> asks.")
def markread(ctx: Context, target: str = "", timestamp: str | None = None) -> None:
    with failures(ctx):
        if not target:
            raise Fail("MARKREAD", "NEED_MORE_PARAMS", text="Missing parameters")
        key, name = _target(ctx, target)
        if timestamp is None:
            _send(ctx, [ctx.user], name, _marker(ctx, key, name))
            return
        _set(ctx, key, name, _time(timestamp))


def join_marker(ctx: Context, room: Room) -> None:
    """JOIN's `MARKREAD #room timestamp=…` (or `*`), for a client with the capability:
    sent after the JOIN, before the names end."""
    if CAP in ctx.user.caps:
        with failures(ctx):
            _send(ctx, [ctx.user], room.name, _marker(ctx, casefold(room.name), room.name))


def _target(ctx: Context, target: str) -> tuple[str | None, str]:
    """The marker's key (None for a user who is not logged in, or whose conversation
    cannot be named) and the name the answer gives the target: a room's own name, a
    nick as the client wrote it."""
    if is_room_name(target):
        if not is_valid_room_name(target, ctx.settings.room_length):
            raise Fail("MARKREAD", "INVALID_PARAMS", safe(target), text="Invalid target")
        room = ctx.rooms.find(target)
        return casefold(target), room.name if room is not None else target
    if not is_valid_nick(target, ctx.settings.nick_length):
        raise Fail("MARKREAD", "INVALID_PARAMS", safe(target), text="Invalid target")
    return readable_conversation(ctx, target), target


def _time(param: str) -> int:
    """A `timestamp=` parameter, in ms; never `*` (the spec forbids setting it)."""
    time_ms = (parse_timestamp(param[len(TIMESTAMP):])
               if param.lower().startswith(TIMESTAMP) else None)
    if time_ms is None:
        raise Fail("MARKREAD", "INVALID_PARAMS", safe(param), text="Invalid timestamp")
    return time_ms


def _marker(ctx: Context, key: str | None, name: str) -> int | None:
    account = ctx.user.account
    if account is None or key is None:
        return None
    book = ctx.accounts
    return read_store(lambda: book.read_marker(account, key),
                      Fail("MARKREAD", "INTERNAL_ERROR", safe(name),
                           text="The read timestamp could not be read"))


def _set(ctx: Context, key: str | None, name: str, time_ms: int) -> None:
    """Move the marker forward and tell every connection of the account; if it does
    not move, tell the sender where it is."""
    account = ctx.user.account
    if account is None or key is None:
        raise Fail("MARKREAD", "INTERNAL_ERROR", safe(name),
                   text="Read markers are kept for accounts: log in first")
    time_ms = min(time_ms, int(time.time() * 1000))
    stored = _marker(ctx, key, name)
    if stored is not None and stored >= time_ms:
        _send(ctx, [ctx.user], name, stored)
        return
    now = ctx.accounts.mark_read(account, key, time_ms)
    if now != time_ms:   # another connection moved it further meanwhile
        _send(ctx, [ctx.user], name, now)
        return
    others = [u for u in ctx.accounts.connections(account)
              if u is not ctx.user and CAP in u.caps]
    _send(ctx, [ctx.user, *others], name, now)


def _send(ctx: Context, users: list[User], name: str, time_ms: int | None) -> None:
    value = "*" if time_ms is None else TIMESTAMP + format_ms(time_ms)
    line = Message("MARKREAD", [name, value], source=ctx.settings.server_name).to_bytes()
    for user in users:
        user.send(line)

