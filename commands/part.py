"""PART: leave rooms; every member, the leaver included, sees the PART."""
from ircish.context import Context
from ircish.protocol import split_list
from ircish.registry import command
from ircish.events import deliver, user_message


@command("PART", usage="<room>{,<room>} [<reason>]",
         help="Leave rooms, with an optional reason shown to their members.")
def part(ctx: Context, rooms: str, reason: str = "") -> None:
    ctx.each(split_list(rooms), lambda name: part_one(ctx, name, reason))


def part_one(ctx: Context, name: str, reason: str) -> None:
    room, members = ctx.server.rooms.part(ctx.user, name)
    params = (room.name, reason) if reason else (room.name,)
    deliver(members, user_message(ctx.user, "PART", *params, text=bool(reason)))
