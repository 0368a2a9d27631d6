"""KICK: a room operator (or a server operator) removes members; the whole room, the
kicked included, sees one KICK line per nick."""
from ircish import errors
from ircish.context import Context
from ircish.events import deliver_now, user_message
from ircish.modes import require_operator
from ircish.protocol import split_list
from ircish.registry import command
from ircish.state import Room, User


@command("KICK", usage="<room> <nick>{,<nick>} [<reason>]",
         help="Remove people from a room you operate, with an optional reason.")
def kick(ctx: Context, room_name: str, nicks: str, reason: str = "") -> None:
    room = ctx.server.rooms.get(room_name)
    require_operator(room, ctx.user)  # 442/482 once, not once per nick
    ctx.each(dict.fromkeys(split_list(nicks)),
             lambda nick: kick_one(ctx, room.name, nick, reason))


def kick_one(ctx: Context, room_name: str, nick: str, reason: str) -> None:
    room = ctx.server.rooms.get(room_name)  # the last kick may have closed it
    target = ctx.server.nicks.get(nick)
    if target is None or not target.registered:
        raise errors.NoSuchNick(nick)
    kicker = ctx.user

    def announce(room: Room, members: tuple[User, ...]) -> None:
        recipients = members if kicker in members else (*members, kicker)  # an oper outside
        deliver_now(recipients, user_message(kicker, "KICK", room.name, target.nick,
                                             reason or kicker.nick))

    ctx.server.rooms.kick(room, kicker, target, announce)
