"""CHATHISTORY (IRCv3 draft/chathistory): a room's past for its members, a private
conversation's for its sides' accounts.

`CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <ref> <limit>`,
`CHATHISTORY BETWEEN <target> <ref> <ref> <limit>` and
`CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`. A reference is
`timestamp=2019-01-04T14:33:26.123Z` or `msgid=<id>` (LATEST also takes `*`); every
bound is exclusive. The answer is a `chathistory` batch naming the target (a
`draft/chathistory-targets` batch for TARGETS), empty when there is nothing, oldest
first, each line as it went out live (its msgid, its time, the sender's tags); a client
without `batch` gets the lines alone. Only PRIVMSG and NOTICE come back, unless the
client enabled draft/event-playback: then JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK and
TAGMSG too.

Who reads what: a room's history only its current members; a private conversation
only a side that is logged in to an account, from any of its connections (a laptop and
a phone read the same conversation). `CHATHISTORY LATEST bob * 50` names the other side
by a nick: the account of the logged-in user holding it, else the registered account
of that name, else the nick of someone who never logged in. A room or conversation one
may not read is answered exactly as one that does not exist (INVALID_TARGET); a user
not logged in reads no private history at all. A private line comes back as it went
out live (`:alice!… PRIVMSG bob :hi` whichever side asks, with the nicks of then), in a
batch naming the target as the asker wrote it. TARGETS lists the rooms one is in and,
logged in, the people one has talked with (their account name, or the nick of someone
who was not logged in), by latest message, oldest first.
Redacted messages are gone from history (REDACT deletes them from the store).

Errors are standard replies, with the codes of the ircv3.net text that defines TARGETS:
UNKNOWN_COMMAND (subcommand), NEED_MORE_PARAMS (a bare CHATHISTORY is the dispatcher's
461, which the spec allows), INVALID_PARAMS (a reference or limit that cannot be read;
a limit is a positive number, capped by CHATHISTORY= in 005), INVALID_TARGET,
MESSAGE_ERROR (an unknown msgid, a store that failed).
"""
from __future__ import annotations

import heapq

from ircish.protocol import Message, casefold, is_room_name
from ircish.server.context import Context
from ircish.server.playback import (
    EVENT_PLAYBACK,
    conversation_name,
    format_ms,
    own_conversations,
    own_rooms,
    parse_limit,
    parse_ref,
    read_store,
    readable_conversation,
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
         free_uses=16,
         feature="history",
         help="Read a room's or a person's history: CHATHISTORY LATEST #room * 50 (a nick "
              "once logged in); BEFORE, AFTER, AROUND take timestamp=<time> or "
              "msgid=<id>, BETWEEN two of them; TARGETS <time> <time> <limit> lists "
              "rooms and people with messages then.")
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
    first (a malformed request says nothing about the target), then the target."""
    limit = _limit(ctx, sub, limit_param)
    refs = [None if sub == "LATEST" and p == "*" else _ref(sub, p) for p in ref_params]
    key, name = _readable(ctx, sub, target)
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

    records = read_store(query, _failed(sub, name), Fail(
        "CHATHISTORY", "MESSAGE_ERROR", sub, name,
        *(safe(p) for p in ref_params if p.lower().startswith("msgid=")),
        text="No such message in this history"))
    send_records(ctx, "chathistory", [name], records)


def _readable(ctx: Context, sub: str, target: str) -> tuple[str, str]:
    """The store key of a target the user may read and the name its batch gives it:
    a room by its own name, a person as the asker wrote it (as the spec's examples
    do). Anything else is INVALID_TARGET."""
    if is_room_name(target):
        room = readable_room(ctx, target)
        if room is not None:
            return casefold(room.name), room.name
    else:
        key = readable_conversation(ctx, target)
        if key is not None:
            return key, target
    raise Fail("CHATHISTORY", "INVALID_TARGET", sub, safe(target),
               text="Messages could not be retrieved")


def targets(ctx: Context, start: str, end: str, limit_param: str) -> None:
    """TARGETS: the rooms the user is in and (logged in) the people it has talked
    with, those with messages between the two times: the `limit` most recently
    active, by their latest message, oldest first (the store's rule for each list,
    kept when merging them)."""
    limit = _limit(ctx, "TARGETS", limit_param)
    start_ms, end_ms = _time("TARGETS", start), _time("TARGETS", end)
    rooms = own_rooms(ctx)
    store = ctx.store

    def query() -> list[tuple[int, str, str]]:
        found = [(time_ms, rooms[key].name, key)
                 for key, time_ms in store.targets(list(rooms), start_ms, end_ms, limit)
                 if key in rooms]
        found += [(time_ms, conversation_name(ctx, key), key)
                  for key, time_ms in own_conversations(ctx, start_ms, end_ms, limit)]
        return sorted(heapq.nlargest(limit, found))

    found = read_store(query, _failed("TARGETS", "*"))
    server = ctx.settings.server_name
    lines = (Message("CHATHISTORY", ["TARGETS", name, format_ms(time_ms)],
                     source=server).to_bytes()
             for time_ms, name, _ in found)
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
