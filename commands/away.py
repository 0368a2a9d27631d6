"""AWAY: mark yourself away; people who message you get your away text, and those
sharing a room with you who enabled away-notify see the change as it happens."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.registry import command


@command("AWAY", usage="[<text>]",
         help="Mark yourself away with a message; AWAY alone marks you back.")
def away(ctx: Context, text: str = "") -> None:
    user = ctx.user
    text = text[: ctx.settings.topic_length]
    before = user.set_away(text or None)
    if text:
        ctx.reply(N.RPL_NOWAWAY, "You have been marked as being away")
    else:
        ctx.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
    if user.away != before:
        params = (text,) if text else ()
        deliver(user.peers(), user_message(user, "AWAY", *params), cap="away-notify")
