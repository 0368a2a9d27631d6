"""KICK: a room operator (or a server operator) removes members; the whole room, the
kicked included, sees one KICK line per nick.

`KICK #room a,b` removes several members of one room; `KICK #a,#b x,y` pairs rooms
with nicks (x from #a, y from #b), as RFC 2812 §3.2.8 allows. Any other count of
rooms is a 461.
"""
from ircish.protocol import casefold, split_list
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import user_message
from ircish.server.registry import command
from ircish.server.state import Room, User


@command("KICK", usage="<room>{,<room>} <nick>{,<nick>} [<reason>]",
         help="Remove people from a room you operate, with an optional reason "
              "(KICK #room a,b; or KICK #a,#b x,y for x from #a and y from #b).")
def kick(ctx: Context, rooms: str, nicks: str, reason: str = "") -> None:
    ctx.each(by_room(split_list(rooms), split_list(nicks)),
             lambda pair: kick_from(ctx, pair[0], pair[1], reason))


def by_room(rooms: list[str], nicks: list[str]) -> list[tuple[str, list[str]]]:
    """Each room named, in order, with the nicks to remove from it (each once)."""
    if len(rooms) != 1 and len(rooms) != len(nicks):
        raise errors.NeedMoreParams("KICK")
    pairs = zip(rooms * len(nicks) if len(rooms) == 1 else rooms, nicks, strict=False)
    grouped: dict[str, tuple[str, dict[str, str]]] = {}
    for room_name, nick in pairs:
        _, targets = grouped.setdefault(casefold(room_name), (room_name, {}))
        targets.setdefault(casefold(nick), nick)
    return [(name, list(targets.values())) for name, targets in grouped.values()]


def kick_from(ctx: Context, room_name: str, nicks: list[str], reason: str) -> None:
    room = ctx.rooms.get(room_name)
    room.require_operator(ctx.user)  # 442/482 once per room, not once per nick
    ctx.each(nicks, lambda nick: kick_one(ctx, room.name, nick, reason))


def kick_one(ctx: Context, room_name: str, nick: str, reason: str) -> None:
    room = ctx.rooms.get(room_name)  # the last kick may have closed it
    target = ctx.find_user(nick)
    kicker = ctx.user

    def announce(room: Room, members: tuple[User, ...]) -> None:
        recipients = members if kicker in members else (*members, kicker)  # an oper outside
        ctx.room_event(room, recipients, user_message(kicker, "KICK", room.name, target.nick,
                                                      reason or kicker.nick))

    ctx.rooms.kick(room, kicker, target, announce)
