"""INVITE: ask someone into a room. The invitation lets them past +i, bans and a full
room (+l), not a key, on their next JOIN of it; the room's operators who enabled
invite-notify see it too. `INVITE` alone lists your pending invitations."""
from ircish import numerics as N
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.registry import command


@command("INVITE", usage="[<nick>] [<room>]", min_params=0,
         help="Invite someone into a room you are in (in a +i room you must be its "
              "operator); with no parameters, list the rooms you are invited to.")
def invite(ctx: Context, nick: str = "", room_name: str = "") -> None:
    user = ctx.user
    if not nick:
        list_invites(ctx)
        return
    if not room_name:
        raise errors.NeedMoreParams("INVITE")
    target = ctx.find_user(nick)
    room = ctx.rooms.get(room_name)
    room.check_member_may(user, unless="i")
    if room.has(target):
        raise errors.UserOnRoom(target.nick, room.name)
    target.invite(room)
    ctx.reply(N.RPL_INVITING, target.nick, room.name)
    away = target.away
    if away is not None:
        ctx.reply(N.RPL_AWAY, target.nick, away)
    event = user_message(user, "INVITE", target.nick, room.name, text=False)
    deliver([target], event)
    operators = [member for prefixes, member in room.names() if "@" in prefixes]
    deliver([m for m in operators if m is not target], event, skip=user, cap="invite-notify")


def list_invites(ctx: Context) -> None:
    """336 per room the user is invited to (by its current name), then 337."""
    for key in ctx.user.invitations():
        room = ctx.rooms.find(key)
        ctx.reply(N.RPL_INVITELIST, room.name if room is not None else key)
    ctx.reply(N.RPL_ENDOFINVITELIST, "End of /INVITE list")
