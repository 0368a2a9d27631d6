"""TOPIC: show or set a room's topic."""
import time

from ircish import errors
from ircish.context import Context
from ircish.registry import command
from ircish.events import deliver, user_message
from ircish.replies import send_topic
from ircish.state import Topic


@command("TOPIC", usage="<room> [<text>]",
         help="Show a room's topic, or set it (an empty text clears it).")
def topic(ctx: Context, name: str, text: str | None = None) -> None:
    room = ctx.server.rooms.get(name)
    if text is None:
        send_topic(ctx, room, when_empty=True)
        return
    user = ctx.user
    text = text[: ctx.settings.topic_length]
    with room.lock:
        if not room.has(user):
            raise errors.NotOnRoom(room.name)
        room.topic = Topic(text, user.prefix, int(time.time())) if text else None
        members = room.members_snapshot
    deliver(members, user_message(user, "TOPIC", room.name, text))
