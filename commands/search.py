"""SEARCH (soju.im/search): find messages in the history of one's rooms and private
conversations.

`SEARCH in=#room;from=nick;after=<time>;before=<time>;text=words;limit=N`: the
attributes are written like message tags (`\\s` is a space, `\\:` a semicolon), every
one optional, an unknown one ignored. `text` matches words, each as a word or the start
of one (`deplo` finds "deployed"), in any script; `after` and `before` are inclusive, as
the spec says. The answer is a `soju.im/search` batch (empty when nothing matches) of
PRIVMSG and NOTICE lines as they went out live, oldest first: the newest `limit`
matches, at most --search-limit (100). The spec defines no ISUPPORT token for that
maximum, so none is sent.

Only what the user may read (see CHATHISTORY) is searched: without `in`, the rooms it is
in and, logged in, its most recently active private conversations (at most
CONVERSATIONS of them: a search names its targets to the store, and a long-lived
account may have talked with thousands); `in=#room` or `in=nick` one of them. An `in`
naming a target the user may not read (a nick, for a user not logged in) finds
nothing, exactly as one that does not exist. An attribute that cannot be read is
`FAIL SEARCH INVALID_PARAMS <attribute> :...`; a store that fails, `INTERNAL_ERROR`.
"""
from __future__ import annotations

import time
from dataclasses import replace

from ircish.protocol import casefold, is_room_name, parse_tags
from ircish.server.context import Context
from ircish.server.playback import (
    own_conversations,
    own_rooms,
    parse_limit,
    parse_timestamp,
    read_store,
    readable_conversation,
    readable_room,
    send_records,
)
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures
from ircish.server.store import Record, SearchQuery

# A search without `in` looks in this many of the user's private conversations at most,
# the most recently active.
CONVERSATIONS = 200
DAY_MS = 86_400_000   # later than any message (the store's clock may run ahead of ours)


@command("SEARCH", usage="<attributes>", cost=3, feature="history",
         help="Search your rooms' and conversations' history: SEARCH text=words;"
              "in=#room|nick;from=nick;"
              "after=<time>;before=<time>;limit=N (each optional).")
def search(ctx: Context, attributes: str) -> None:
    with failures(ctx):
        attrs = parse_tags(attributes)
        failed = Fail("SEARCH", "INTERNAL_ERROR", text="The search could not be run")
        query = replace(parse_query(ctx, attrs), keys=_targets(ctx, attrs, failed))
        store = ctx.store
        records: list[Record] = read_store(
            lambda: store.search(query) if query.keys else [], failed)
        send_records(ctx, "soju.im/search", [], records)


def _targets(ctx: Context, attrs: dict[str, str], failed: Fail) -> list[str]:
    """The store keys the search looks in."""
    if "in" in attrs:
        target = _required(attrs, "in")
        if is_room_name(target):
            room = readable_room(ctx, target)
            return [casefold(room.name)] if room is not None else []
        key = readable_conversation(ctx, target)
        return [key] if key is not None else []
    now_ms = int(time.time() * 1000)
    conversations = read_store(
        lambda: own_conversations(ctx, 0, now_ms + DAY_MS, CONVERSATIONS), failed)
    return [*own_rooms(ctx), *(key for key, _ in conversations)]


def parse_query(ctx: Context, attrs: dict[str, str]) -> SearchQuery:
    """The attributes as a store query, its targets (`keys`) still to be filled in."""
    most = ctx.settings.search_limit
    limit = most
    if "limit" in attrs:
        parsed = parse_limit(attrs["limit"], most)
        if parsed is None:
            raise Fail("SEARCH", "INVALID_PARAMS", "limit", text="Invalid limit")
        limit = parsed
    after, before = _time(attrs, "after"), _time(attrs, "before")
    text = attrs.get("text", "").strip()
    return SearchQuery(
        keys=(), text=text or None,
        sender_key=casefold(_required(attrs, "from")) if "from" in attrs else None,
        # the store's bounds are exclusive, the spec's inclusive: one millisecond out
        after_ms=None if after is None else after - 1,
        before_ms=None if before is None else before + 1,
        limit=limit)


def _required(attrs: dict[str, str], name: str) -> str:
    value = attrs[name]
    if not value:
        raise Fail("SEARCH", "INVALID_PARAMS", name, text=f"Empty {name}")
    return value


def _time(attrs: dict[str, str], name: str) -> int | None:
    if name not in attrs:
        return None
    time_ms = parse_timestamp(attrs[name])
    if time_ms is None:
        raise Fail("SEARCH", "INVALID_PARAMS", name, text="Invalid timestamp")
    return time_ms
