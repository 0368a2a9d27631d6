"""PART: leave rooms; every member, the leaver included, sees the PART."""
from ircish.protocol import split_list
from ircish.server.context import Context
from ircish.server.events import user_message
from ircish.server.registry import command
from ircish.server.state import Room, User


@command("PART", usage="<room>{,<room>} [<reason>]",
         help="Leave rooms, with an optional reason shown to their members.")
def part(ctx: Context, rooms: str, reason: str = "") -> None:
    ctx.each(split_list(rooms), lambda name: part_one(ctx, name, reason))


def part_one(ctx: Context, name: str, reason: str) -> None:
    def announce(room: Room, members: tuple[User, ...]) -> None:
        params = (room.name, reason) if reason else (room.name,)
        ctx.room_event(room, members, user_message(ctx.user, "PART", *params,
                                                   text=bool(reason)))

    ctx.rooms.part(ctx.user, name, announce)
