"""NAMES: who is in a room (a secret room answers only its members)."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import send_names


@command("NAMES", usage="[<room>{,<room>}]", help="List the members of rooms.", cost=2)
def names(ctx: Context, rooms: str = "") -> None:
    if not rooms:
        ctx.reply(N.RPL_ENDOFNAMES, "*", "End of /NAMES list.")
        return
    for name in ctx.targets(rooms, ctx.settings.max_targets):  # as TARGMAX says
        room = ctx.rooms.find(name)
        if room is None or not room.visible_to(ctx.user):
            ctx.reply(N.RPL_ENDOFNAMES, name, "End of /NAMES list.")
        else:
            send_names(ctx, room)
