"""JOIN: enter rooms, creating them if need be; `JOIN 0` leaves every room."""
from ircish import errors
from ircish.commands.part import part_one  # JOIN 0 is PART of every room
from ircish.context import Context
from ircish.protocol import is_valid_room_name, split_list
from ircish.registry import command
from ircish.replies import send_names, send_topic, user_message
from ircish.state import Room, deliver


@command("JOIN", usage="<room>{,<room>} [<key>{,<key>}]",
         help="Join rooms (created if they do not exist); JOIN 0 leaves all your rooms.")
def join(ctx: Context, rooms: str, keys: str = "") -> None:
    if rooms == "0":
        leave_all(ctx)
        return
    ctx.each(split_list(rooms), lambda name: join_one(ctx, name))


def join_one(ctx: Context, name: str) -> None:
    user = ctx.user
    if not is_valid_room_name(name, ctx.settings.room_length):
        raise errors.NoSuchRoom(name, text="Invalid channel name")

    def announce(room: Room) -> bytes:
        return user_message(user, "JOIN", room.name, text=False)

    joined = ctx.server.rooms.join(user, name, announce)
    if joined is None:
        return  # already there: nothing to announce
    room, others = joined
    deliver(others, announce(room))
    send_topic(ctx, room, when_empty=False)
    send_names(ctx, room)


def leave_all(ctx: Context) -> None:
    for room in ctx.user.room_list():
        ctx.each([room.name], lambda name: part_one(ctx, name, ""))
