"""SEARCH (soju.im/search): find messages in the history of one's rooms.

`SEARCH in=#room;from=nick;after=<time>;before=<time>;text=words;limit=N`: the
attributes are written like message tags (`\\s` is a space, `\\:` a semicolon), every
one optional, an unknown one ignored. `text` matches words, each as a word or the start
of one (`deplo` finds "deployed"), in any script; `after` and `before` are inclusive, as
the spec says. The answer is a `soju.im/search` batch (empty when nothing matches) of
PRIVMSG and NOTICE lines as they went out live, oldest first: the newest `limit`
matches, at most --search-limit (100). The spec defines no ISUPPORT token for that
maximum, so none is sent.

Only rooms the user is in are searched: all of them without `in`, and an `in` naming a
room the user may not read (or a nick: private history waits for accounts) finds
nothing, exactly as a room that does not exist. An attribute that cannot be read is
`FAIL SEARCH INVALID_PARAMS <attribute> :...`; a store that fails, `INTERNAL_ERROR`.
"""
from __future__ import annotations

from ircish.protocol import casefold, parse_tags
from ircish.server.context import Context
from ircish.server.playback import (
    own_rooms,
    parse_limit,
    parse_timestamp,
    read_store,
    readable_room,
    send_records,
)
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures
from ircish.server.store import Record, SearchQuery


@command("SEARCH", usage="<attributes>", cost=3, feature="history",
         help="Search your rooms' history: SEARCH text=words;in=#room;from=nick;"
              "after=<time>;before=<time>;limit=N (each optional).")
def search(ctx: Context, attributes: str) -> None:
    with failures(ctx):
        query = parse_query(ctx, parse_tags(attributes))
        store = ctx.store
        records: list[Record] = read_store(
            lambda: store.search(query) if query.keys else [],
            Fail("SEARCH", "INTERNAL_ERROR", text="The search could not be run"))
        send_records(ctx, "soju.im/search", [], records)


def parse_query(ctx: Context, attrs: dict[str, str]) -> SearchQuery:
    """The attributes as a store query over the targets the user may read."""
    if "in" in attrs:
        room = readable_room(ctx, _required(attrs, "in"))
        keys = [casefold(room.name)] if room is not None else []
    else:
        keys = list(own_rooms(ctx))
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
        keys=keys, text=text or None,
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
