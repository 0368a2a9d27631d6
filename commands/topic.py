"""TOPIC: show or set a room's topic. In a +t room only its operators (and server
operators) set it; a secret room's topic is shown only to its members."""
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import user_message
from ircish.server.registry import command
from ircish.server.replies import send_topic
from ircish.server.state import Room, User


@command("TOPIC", usage="<room> [<text>]",
         help="Show a room's topic, or set it (an empty text clears it; in a +t room "
              "only its operators may).")
def topic(ctx: Context, name: str, text: str | None = None) -> None:
    room = ctx.rooms.get(name)
    user = ctx.user
    if text is None:
        if not room.visible_to(user):
            raise errors.NotOnRoom(room.name)
        send_topic(ctx, room, when_empty=True)
        return
    text = text[: ctx.settings.topic_length]

    def announce(room: Room, recipients: tuple[User, ...]) -> None:
        ctx.room_event(room, recipients, user_message(user, "TOPIC", room.name, text))

    room.set_topic(user, text, announce)
