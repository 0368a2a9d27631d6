"""WHO: the users in a room, or those matching a mask."""
from ircish import numerics as N
from ircish.context import Context
from ircish.protocol import is_room_name, mask_matches
from ircish.registry import command
from ircish.state import User


def who_reply(ctx: Context, user: User, room_name: str, room_prefix: str) -> None:
    flags = ("G" if user.away is not None else "H") + room_prefix[:1]
    ctx.reply(N.RPL_WHOREPLY, room_name, user.username, user.host,
              ctx.settings.server_name, user.nick, flags, f"0 {user.realname}")


@command("WHO", usage="[<mask>]",
         help="List the members of a room (WHO #room), or users matching a nick mask.")
def who(ctx: Context, mask: str = "*") -> None:
    if is_room_name(mask):
        room = ctx.server.rooms.find(mask)
        if room is not None:
            for modes, member in room.names():
                who_reply(ctx, member, room.name, modes)
    else:
        for user in ctx.server.nicks.users():
            if user.registered and mask_matches(mask, user.nick):
                who_reply(ctx, user, "*", "")
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of /WHO list.")
