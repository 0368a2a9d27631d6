"""TOPIC: show or set a room's topic. In a +t room only its operators (and server
operators) set it; a secret room's topic is shown only to its members."""
import time

from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import deliver_now, user_message
from ircish.server.registry import command
from ircish.server.replies import send_topic
from ircish.server.state import Topic


@command("TOPIC", usage="<room> [<text>]",
         help="Show a room's topic, or set it (an empty text clears it; in a +t room "
              "only its operators may).")
def topic(ctx: Context, name: str, text: str | None = None) -> None:
    if not name:
        raise errors.NeedMoreParams("TOPIC")  # `TOPIC :`: no room to name in a reply
    room = ctx.rooms.get(name)
    user = ctx.user
    if text is None:
        if not room.visible_to(user):
            raise errors.NotOnRoom(room.name)
        send_topic(ctx, room, when_empty=True)
        return
    text = text[: ctx.settings.topic_length]
    with room.lock:
        prefixes = room.check_member_may(user, unless="t")
        room.topic = Topic(text, user.prefix, int(time.time())) if text else None
        members = room.members_snapshot
        recipients = members if prefixes is not None else (*members, user)  # an oper outside
        deliver_now(recipients, user_message(user, "TOPIC", room.name, text))
