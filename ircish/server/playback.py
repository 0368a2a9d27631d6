"""Giving history back to one client: what CHATHISTORY, SEARCH and REDACT share.

- Parsing what a client names: `timestamp=` and `msgid=` references, times in the
  server-time format, limits. Each parser answers None for what it cannot read; the
  command decides which FAIL that is (the specs word them differently).
- Who may read what: a room's history is read only by its current members, and a room
  one may not read looks exactly like a room that does not exist. A private
  conversation is read only by a side that is an account, from any of its connections:
  a nick proves nothing (its next holder is someone else), an account does.
- Rendering: a stored `Record` becomes the `events.Event` it was when it happened (its
  msgid, its time, the sender's tags), serialized for this client's tag profile, so a
  line from history has the bytes it had live, plus `batch=`.
- Standard replies (`standard_replies.py`): a command raises `Fail`, `failures(ctx)`
  sends it, once.
"""
from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from ..protocol import Message, casefold, is_room_name, is_valid_nick
from .archive import party_of
from .caps import MESSAGE_TAGS
from .events import Event, format_time_ms
from .labeled import with_tag
from .standard_replies import Fail
from .store import Record, Ref, UnknownMessage, conversation_key

if TYPE_CHECKING:
    from .context import Context
    from .state import Room

log = logging.getLogger(__name__)

T = TypeVar("T")

EVENT_PLAYBACK = "draft/event-playback"

# `2019-01-04T14:33:26.123Z`, as server-time writes it; a client may give fewer or more
# digits of the second (more are cut to the millisecond), never another zone than Z.
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", re.ASCII)

# The first parameter from which a live event's last parameter went out as text
# (`:` forced): PART without a reason or MODE did not (see the commands that send them).
_TEXT_FROM = {"PRIVMSG": 2, "NOTICE": 2, "TOPIC": 2, "PART": 2, "KICK": 3, "QUIT": 1}

# Batch references: a letter that is not a hex digit keeps them apart from the
# labeled-response batches (`labeled.py` counts in hex), which may enclose them.
_batch_ids = itertools.count(1)


# --- what a client names ---------------------------------------------------------

def parse_timestamp(text: str) -> int | None:
    """Milliseconds since the epoch of a server-time timestamp, or None if it is not one."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(f) for f in match.groups()[:6])
    fraction = match.group(7)
    try:
        stamp = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # the 31st of February, hour 25
        return None
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return int(stamp.timestamp()) * 1000 + millis


def format_ms(time_ms: int) -> str:
    return format_time_ms(time_ms)


def parse_ref(param: str) -> Ref | None:
    """`timestamp=<server-time>` or `msgid=<id>` (the type in any case), else None."""
    kind, equals, value = param.partition("=")
    kind = kind.lower()
    if not equals or not value:
        return None
    if kind == "msgid":
        return Ref(msgid=value)
    if kind == "timestamp":
        time_ms = parse_timestamp(value)
        return None if time_ms is None else Ref(time_ms=time_ms)
    return None


def parse_limit(text: str, most: int) -> int | None:
    """A positive count, at most `most` (a larger one asks for the most there is);
    None for zero, a negative number or anything else."""
    if not (text.isascii() and text.isdigit()):
        return None
    count = int(text)
    return min(count, most) if count > 0 else None


# --- who may read what ---------------------------------------------------------

def readable_room(ctx: Context, name: str) -> Room | None:
    """The room named, if the user may read its history: only its current members
    (so never a secret room's outsiders). A missing room and a room the user may not
    read both give None: the answer must not tell them apart."""
    if not is_room_name(name):
        return None
    room = ctx.rooms.find(name)
    if room is None or not room.has(ctx.user):
        return None
    return room


def own_rooms(ctx: Context) -> dict[str, Room]:
    """The rooms the user is in, by casefolded name (the store's target keys)."""
    return {casefold(room.name): room for room in ctx.user.room_list()}


# --- private conversations -------------------------------------------------------

def own_party(ctx: Context) -> str | None:
    """The asker's side of its conversations, or None if it is not logged in (and so
    reads no private history)."""
    return party_of(ctx.user) if ctx.user.account else None


def peer_party(ctx: Context, nick: str) -> str:
    """The side a nick names: the account of the logged-in user holding it now, else
    the registered account of that name (its owner, even while someone else holds the
    nick without logging in), else the nick itself (`!nick`: someone who never logged
    in)."""
    holder = ctx.nicks.get(nick)
    if holder is not None and holder.registered and holder.account:
        return party_of(holder)
    account = ctx.accounts.get(nick)
    if account is not None:
        return casefold(account.name)
    return "!" + casefold(nick)


def readable_conversation(ctx: Context, nick: str) -> str | None:
    """The key of the asker's conversation with `nick`, or None when there is none it
    may read: it is not logged in, or `nick` cannot be a nick."""
    own = own_party(ctx)
    if own is None or not is_valid_nick(nick, ctx.settings.nick_length):
        return None
    return conversation_key(own, peer_party(ctx, nick))


def own_conversations(ctx: Context, start_ms: int, end_ms: int, limit: int
                      ) -> list[tuple[str, int]]:
    """The asker's conversations with messages between the two times, as (key, latest
    message's time), the `limit` most recently active, oldest first; none for a user
    not logged in. A store read: run it under `read_store`."""
    own = own_party(ctx)
    return [] if own is None else ctx.store.conversations(own, start_ms, end_ms, limit)


def conversation_name(ctx: Context, key: str) -> str:
    """A name the asker can use for the other side of its conversation `key`: the
    account's name as registered, or the nick of a side that was not logged in."""
    own = own_party(ctx)
    sides = key.split(" ")
    if own in sides and len(sides) == 2:
        sides.remove(own)
    other = sides[0]
    if other.startswith("!"):
        holder = ctx.nicks.get(other[1:])
        return holder.nick if holder is not None else other[1:]
    account = ctx.accounts.get(other)
    return account.name if account is not None else other


def read_store(query: Callable[[], T], failed: Fail, unknown: Fail | None = None) -> T:
    """Run a store read: an unknown msgid raises `unknown`, a store that fails raises
    `failed` (logged with its traceback: history degrades, the chat goes on)."""
    try:
        return query()
    except UnknownMessage:
        raise (unknown or failed) from None
    except Exception:  # a disk or database error must not end the connection
        log.exception("history could not be read (%s %s)", failed.command, failed.code)
        raise failed from None


# --- rendering -----------------------------------------------------------------

def record_event(record: Record) -> Event:
    """The event a record was when it happened: its msgid, its time, its tags."""
    tags = dict(record.tags)
    bot = tags.pop("bot", None) is not None
    text = len(record.params) >= _TEXT_FROM.get(record.command, len(record.params) + 1)
    event = Event(record.source, record.command, list(record.params), text=text,
                  account=record.account, bot=bot, msgid=record.msgid,
                  client_tags=tags or None,
                  extended=list(record.extended) if record.extended else None)
    event.when = record.time_ms / 1000
    return event


def record_lines(records: Iterable[Record], profile: int) -> Iterator[bytes]:
    """The records as lines for a client of this tag profile. TAGMSG reaches only
    clients that speak message-tags, as it does live."""
    for record in records:
        if record.command == "TAGMSG" and not profile & MESSAGE_TAGS:
            continue
        yield record_event(record).render(profile)


def new_batch_id() -> str:
    return f"h{next(_batch_ids):x}"


def send_batch(ctx: Context, kind: str, params: Sequence[str], lines: Iterable[bytes]) -> None:
    """The lines as one batch of type `kind` (an empty batch when there are none), or
    as they are for a client that did not enable `batch`. Labeled, the batch's
    opening line carries the label (`labeled.py`)."""
    user = ctx.user
    if "batch" not in user.caps:
        for line in lines:
            user.send(line)
        return
    ref = new_batch_id()
    server = ctx.settings.server_name
    ctx.send(Message("BATCH", [f"+{ref}", kind, *params], source=server))
    tag = f"batch={ref}".encode()
    for line in lines:
        user.send(with_tag(line, tag))
    ctx.send(Message("BATCH", [f"-{ref}"], source=server))


def send_records(ctx: Context, kind: str, params: Sequence[str],
                 records: Iterable[Record]) -> None:
    send_batch(ctx, kind, params, record_lines(records, ctx.user.tag_profile))
