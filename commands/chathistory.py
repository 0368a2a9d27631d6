"""CHATHISTORY (IRCv3 draft/chathistory): a room's past, for its members.

`CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <ref> <limit>`,
`CHATHISTORY BETWEEN <target> <ref> <ref> <limit>` and
`CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`. A reference is
`timestamp=2019-01-04T14:33:26.123Z` or `msgid=<id>` (LATEST also takes `*`); every
bound is exclusive. The answer is a `chathistory` batch naming the room (a
`draft/chathistory-targets` batch for TARGETS), empty when there is nothing, oldest
first, each line as it went out live (its msgid, its time, the sender's tags); a client
without `batch` gets the lines alone. Only PRIVMSG and NOTICE come back, unless the
client enabled draft/event-playback: then JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK and
TAGMSG too.

Only a room's current members read its history, and a room one may not read is answered
exactly as one that does not exist (INVALID_TARGET). A nick is INVALID_TARGET for now,
and TARGETS lists rooms only: private history needs accounts to know who is asking.
Redacted messages are gone from history (REDACT deletes them from the store).

Errors are standard replies, with the codes of the ircv3.net text that defines TARGETS:
UNKNOWN_COMMAND (subcommand), NEED_MORE_PARAMS (a bare CHATHISTORY is the dispatcher's
461, which the spec allows), INVALID_PARAMS (a reference or limit that cannot be read;
a limit is a positive number, capped by CHATHISTORY= in 005), INVALID_TARGET,
MESSAGE_ERROR (an unknown msgid, a store that failed).
"""
from __future__ import annotations

from ircish.protocol import Message, casefold
from ircish.server.context import Context
from ircish.server.playback import (
    EVENT_PLAYBACK,
    format_ms,
    own_rooms,
    parse_limit,
    parse_ref,
    read_store,
    readable_room,
    send_batch,
    send_records,
)
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures, safe
from ircish.server.store import Record, Ref

# Parameters each subcommand takes after its name.
ARITY = {"LATEST": 3, "BEFORE": 3, "AFTER": 3, "AROUND": 3, "BETWEEN": 4, "TARGETS": 3}


@command("CHATHISTORY", usage="<subcommand> [<target>] [<ref>] [<ref>] [<limit>]", cost=3,
         feature="history",
         help="Read a room's history: CHATHISTORY LATEST #room * 50; BEFORE, AFTER, AROUND "
              "take timestamp=<time> or msgid=<id>, BETWEEN two of them; "
              "TARGETS <time> <time> <limit> lists your rooms with messages then.")
def chathistory(ctx: Context, subcommand: str, *params: str) -> None:
    with failures(ctx):
        sub = subcommand.upper()
        arity = ARITY.get(sub)
        if arity is None:
            raise Fail("CHATHISTORY", "UNKNOWN_COMMAND", safe(subcommand),
                       text="Unknown command")
        if len(params) < arity or "" in params[:arity]:
            raise Fail("CHATHISTORY", "NEED_MORE_PARAMS", sub, text="Missing parameters")
        if sub == "TARGETS":
            targets(ctx, *params[:3])
        else:
            history(ctx, sub, params[0], list(params[1:arity - 1]), params[arity - 1])


def history(ctx: Context, sub: str, target: str, ref_params: list[str], limit_param: str
            ) -> None:
    """LATEST, BEFORE, AFTER, AROUND, BETWEEN: the references and the limit are read
    first (a malformed request says nothing about the room), then the room."""
    limit = _limit(ctx, sub, limit_param)
    refs = [None if sub == "LATEST" and p == "*" else _ref(sub, p) for p in ref_params]
    room = readable_room(ctx, target)
    if room is None:
        raise Fail("CHATHISTORY", "INVALID_TARGET", sub, safe(target),
                   text="Messages could not be retrieved")
    key = casefold(room.name)
    events = EVENT_PLAYBACK in ctx.user.caps
    store = ctx.store

    def query() -> list[Record]:
        first = refs[0]
        if sub == "LATEST":
            return store.latest(key, first, limit, events)
        assert first is not None
        if sub == "BEFORE":
            return store.before(key, first, limit, events)
        if sub == "AFTER":
            return store.after(key, first, limit, events)
        if sub == "AROUND":
            return store.around(key, first, limit, events)
        assert refs[1] is not None
        return store.between(key, first, refs[1], limit, events)

    records = read_store(query, _failed(sub, room.name), Fail(
        "CHATHISTORY", "MESSAGE_ERROR", sub, room.name,
        *(safe(p) for p in ref_params if p.lower().startswith("msgid=")),
        text="No such message in this history"))
    send_records(ctx, "chathistory", [room.name], records)


def targets(ctx: Context, start: str, end: str, limit_param: str) -> None:
    """TARGETS: of the rooms the user is in, those with messages between the two
    times, by their latest message, oldest first."""
    limit = _limit(ctx, "TARGETS", limit_param)
    start_ms, end_ms = _time("TARGETS", start), _time("TARGETS", end)
    rooms = own_rooms(ctx)
    store = ctx.store
    found = read_store(lambda: store.targets(list(rooms), start_ms, end_ms, limit),
                       _failed("TARGETS", "*"))
    server = ctx.settings.server_name
    lines = (Message("CHATHISTORY", ["TARGETS", rooms[key].name, format_ms(time_ms)],
                     source=server).to_bytes()
             for key, time_ms in found if key in rooms)
    send_batch(ctx, "draft/chathistory-targets", [], lines)


def _failed(sub: str, target: str) -> Fail:
    return Fail("CHATHISTORY", "MESSAGE_ERROR", sub, target,
                text="Messages could not be retrieved")


def _limit(ctx: Context, sub: str, param: str) -> int:
    limit = parse_limit(param, ctx.settings.history_query_limit)
    if limit is None:
        raise Fail("CHATHISTORY", "INVALID_PARAMS", sub, safe(param), text="Invalid limit")
    return limit


def _ref(sub: str, param: str) -> Ref:
    ref = parse_ref(param)
    if ref is None:
        text = ("Invalid timestamp" if param.lower().startswith("timestamp=")
                else "Invalid message reference")
        raise Fail("CHATHISTORY", "INVALID_PARAMS", sub, safe(param), text=text)
    return ref


def _time(sub: str, param: str) -> int:
    """A reference that must be a timestamp (TARGETS)."""
    time_ms = _ref(sub, param).time_ms
    if time_ms is None:
        raise Fail("CHATHISTORY", "INVALID_PARAMS", sub, safe(param),
                   text=f"{sub} takes timestamps")
    return time_ms
