"""LIST: the rooms on the server, with member counts and topics.

`LIST` alone lists every room the asker may see (a secret room only to its members);
`LIST #a,#b` the named ones. ELIST=MNU conditions narrow either: `>N` / `<N` (more /
fewer members than N), a mask with `*` or `?`, and `!mask` (not matching). Several
conditions in one list must all hold.
"""
from __future__ import annotations

from collections.abc import Callable

from ircish import numerics as N
from ircish.protocol import casefold, mask_matches, number, split_list
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.state import Room

Condition = Callable[[Room], bool]


@command("LIST", usage="[<room>{,<room>}|<condition>{,<condition>}] [<server>]",
         help="List rooms with their member counts and topics; >N, <N, masks and !masks filter.",
         cost=3)
def list_(ctx: Context, targets: str = "", server: str = "") -> None:
    names, conditions = parse_targets(targets)
    table = ctx.rooms
    if names:
        found = (table.find(name) for name in names)
        candidates = [room for room in found if room is not None]
    else:
        candidates = sorted(table.all(), key=lambda room: casefold(room.name))
    ctx.reply(N.RPL_LISTSTART, "Channel", "Users  Name")
    for room in candidates:
        if room.visible_to(ctx.user) and all(test(room) for test in conditions):
            topic = room.topic
            ctx.reply(N.RPL_LIST, room.name, str(len(room)), topic.text if topic else "")
    ctx.reply(N.RPL_LISTEND, "End of /LIST")


def parse_targets(targets: str) -> tuple[list[str], list[Condition]]:
    """Split `#a,>3,#dev*` into room names (["#a"]) and conditions. A count that is
    not a number (`>x`) is no condition at all."""
    names: list[str] = []
    conditions: list[Condition] = []
    for item in split_list(targets):
        if item[0] in "<>":
            count = number(item[1:])
            if count is not None:
                conditions.append(more_than(count) if item[0] == ">" else fewer_than(count))
        elif item[0] == "!":
            conditions.append(not_matching(item[1:]))
        elif "*" in item or "?" in item:
            conditions.append(matching(item))
        else:
            names.append(item)
    return names, conditions


def more_than(count: int) -> Condition:
    return lambda room: len(room) > count


def fewer_than(count: int) -> Condition:
    return lambda room: len(room) < count


def matching(mask: str) -> Condition:
    return lambda room: mask_matches(mask, room.name)


def not_matching(mask: str) -> Condition:
    return lambda room: not mask_matches(mask, room.name)
