"""KICK: a room operator removes members; the whole room, the kicked included, sees it."""
from ircish import errors
from ircish.context import Context
from ircish.protocol import split_list
from ircish.registry import command
from ircish.events import deliver, user_message


@command("KICK", usage="<room> <nick>{,<nick>} [<reason>]",
         help="Remove people from a room you operate, with an optional reason.")
def kick(ctx: Context, room_name: str, nicks: str, reason: str = "") -> None:
    room = ctx.server.rooms.get(room_name)
    ctx.each(split_list(nicks), lambda nick: kick_one(ctx, room.name, nick, reason))


def kick_one(ctx: Context, room_name: str, nick: str, reason: str) -> None:
    room = ctx.server.rooms.get(room_name)
    target = ctx.server.nicks.get(nick)
    if target is None or not target.registered:
        raise errors.NoSuchNick(nick)
    members = ctx.server.rooms.kick(room, ctx.user, target)
    deliver(members, user_message(ctx.user, "KICK", room.name, target.nick,
                                  reason or ctx.user.nick))
