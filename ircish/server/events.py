"""What other clients see when a user acts: one event, serialized per tag profile.

A PRIVMSG, JOIN, NICK or MODE is built once as an `Event`. Each recipient's
capabilities decide its exact bytes (a `time` tag for server-time, the sender's own
`+tags` for message-tags, a longer JOIN for extended-join); `caps.profile` folds
those into a small integer, and an event is serialized at most once per profile, on
demand. A room keeps its members' outboxes grouped by profile (`Room.fanout`), so
delivering to a room is a few serializations and one append per member.
"""
from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..protocol import Message
from .caps import ACCOUNT_TAG, EXTENDED_JOIN, MESSAGE_TAGS, SERVER_TIME
from .outbox import Sink, put_many

if TYPE_CHECKING:
    from .state import Room, User

_msgids = itertools.count(1)
_MSGID_PREFIX = os.urandom(6).hex()  # unique per server run (msgids outlive it in history)


def new_msgid() -> str:
    return f"{_MSGID_PREFIX}{next(_msgids):x}"


def time_ms(when: float) -> int:
    """A time in whole milliseconds: the precision of `time` tags and of history (one
    rounding for both, so a live line and its replay carry the same time)."""
    return round(when * 1000)


def server_time(when: float) -> str:
    """RFC 3339 UTC with milliseconds, as the server-time spec writes it."""
    return format_time_ms(time_ms(when))


_last_second: list[tuple[int, str]] = [(-1, "")]  # the last second formatted, and how


def format_time_ms(ms: int) -> str:
    """`2026-11-25T18:01:53.457Z`. Every line to a server-time client and every replayed
    line pays this, so the second is formatted once and reused (datetime: ~4 us)."""
    second, milli = divmod(ms, 1000)
    last = _last_second[0]
    if last[0] != second:
        last = (second, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
        _last_second[0] = last  # one atomic store: threads at worst both format it
    return f"{last[1]}{milli:03d}Z"


class Event:
    """One line from a user or the server, as each kind of recipient should get it."""

    __slots__ = ("command", "params", "source", "text", "when", "account", "bot",
                 "msgid", "client_tags", "extended", "_bytes")

    def __init__(self, source: str, command: str, params: list[str], *, text: bool = True,
                 account: str | None = None, bot: bool = False, msgid: str | None = None,
                 client_tags: dict[str, str] | None = None,
                 extended: list[str] | None = None) -> None:
        self.command = command
        self.params = params
        self.source = source
        self.text = text                # send the last parameter as trailing
        self.when = time.time()
        self.account = account
        self.bot = bot
        self.msgid = msgid
        self.client_tags = client_tags  # the sender's +tags, for message-tags clients
        self.extended = extended        # params for extended-join clients
        self._bytes: dict[int, bytes] = {}

    def render(self, profile: int) -> bytes:
        data = self._bytes.get(profile)
        if data is None:
            data = self._bytes[profile] = self._serialize(profile)
        return data

    def for_user(self, user: User) -> bytes:
        return self.render(user.tag_profile)

    def _serialize(self, profile: int) -> bytes:
        tags: dict[str, str] = {}
        if profile & SERVER_TIME:
            tags["time"] = server_time(self.when)
        if profile & ACCOUNT_TAG and self.account:
            tags["account"] = self.account
        if profile & MESSAGE_TAGS:
            if self.msgid:
                tags["msgid"] = self.msgid
            if self.bot:
                tags["bot"] = ""
            if self.client_tags:
                tags.update(self.client_tags)
        params = self.extended if self.extended and profile & EXTENDED_JOIN else self.params
        return Message(self.command, params, self.source, tags).to_bytes(self.text)


def user_message(user: User, command: str, *params: str, text: bool = True,
                 client_tags: dict[str, str] | None = None, msgid: bool = False) -> Event:
    """An event sourced from `user`; if `text`, the last parameter is sent as trailing."""
    return Event(user.prefix, command, list(params), text=text, account=user.account,
                 bot="B" in user.modes, client_tags=client_tags,
                 msgid=new_msgid() if msgid else None)


def deliver(users: Iterable[User], event: Event, skip: User | None = None,
            cap: str | None = None, need: int = 0) -> None:
    """Queue the event for each user (never touches a socket). `cap`: only users who
    enabled that capability; `need`: only users whose profile has those bits."""
    groups: dict[int, list[Sink]] = {}
    for user in users:
        if user is skip or (cap is not None and cap not in user.caps):
            continue
        profile = user.tag_profile
        if profile & need == need:
            groups.setdefault(profile, []).append(user.outbox)
    for profile, outboxes in groups.items():
        put_many(outboxes, event.render(profile))


def deliver_now(users: Iterable[User], event: Event, lead: User | None = None) -> None:
    """Commit the event to each user's outbox at once (queued, never sent here): a
    room's own events are delivered this way under the room lock, so every member sees
    them in the order they happened. `lead`: the user whose copy must not wait for a
    labeled reply (the joiner's JOIN echo)."""
    for user in users:
        user.outbox.put_now(event.for_user(user), user is lead)


def deliver_room(room: Room, event: Event, skip: User | None = None, need: int = 0) -> None:
    """The hot path: a room message, one serialization per profile present."""
    skip_outbox = skip.outbox if skip is not None else None
    for profile, outboxes in room.fanout.items():
        if profile & need == need:
            put_many(outboxes, event.render(profile), skip_outbox)
