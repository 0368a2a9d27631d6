"""JOIN: enter rooms, creating them if need be; `JOIN 0` leaves every room."""
from ircish.protocol import is_valid_room_name, split_list
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import Event, deliver, user_message
from ircish.server.registry import command
from ircish.server.replies import send_names, send_topic
from ircish.server.state import Room, User

from .markread import join_marker  # draft/read-marker: before the names end
from .part import part_one  # JOIN 0 is PART of every room


@command("JOIN", usage="<room>{,<room>} [<key>{,<key>}]",
         help="Join rooms (created if they do not exist, with you as their operator); "
              "give keys for rooms that have one; JOIN 0 leaves all your rooms.")
def join(ctx: Context, rooms: str, keys: str = "") -> None:
    if rooms == "0":
        leave_all(ctx)
        return
    names = split_list(rooms)  # not empty: the dispatcher answers `JOIN :` and `JOIN ,`
    given = split_list(keys)
    given += [""] * (len(names) - len(given))
    ctx.each(zip(names, given, strict=False), lambda pair: join_one(ctx, *pair))


def join_event(user: User, room: Room) -> Event:
    """JOIN #room, or JOIN #room <account> :<realname> for extended-join clients."""
    event = user_message(user, "JOIN", room.name, text=False)
    event.extended = [room.name, user.account or "*", user.realname]
    return event


def join_one(ctx: Context, name: str, key: str = "") -> None:
    user = ctx.user
    if not is_valid_room_name(name, ctx.settings.room_length):
        raise errors.NoSuchRoom(name, text="Invalid channel name")

    def announce(room: Room, members: tuple[User, ...]) -> None:
        ctx.room_event(room, members, join_event(user, room), lead=user)

    joined = ctx.rooms.join(user, name, announce, key or None)
    if joined is None:
        return  # already there: nothing to announce
    room, others = joined
    if user.away is not None:
        deliver(others, user_message(user, "AWAY", user.away), cap="away-notify")
    send_topic(ctx, room, when_empty=False)
    join_marker(ctx, room)
    send_names(ctx, room)


def leave_all(ctx: Context) -> None:
    for room in ctx.user.room_list():
        ctx.each([room.name], lambda name: part_one(ctx, name, ""))
