"""AWAY: mark yourself away; people who message you get your away text."""
from ircish import numerics as N
from ircish.context import Context
from ircish.registry import command


@command("AWAY", usage="[<text>]",
         help="Mark yourself away with a message; AWAY alone marks you back.")
def away(ctx: Context, text: str = "") -> None:
    with ctx.user.lock:
        ctx.user.away = text or None
    if text:
        ctx.reply(N.RPL_NOWAWAY, "You have been marked as being away")
    else:
        ctx.reply(N.RPL_UNAWAY, "You are no longer marked as being away")
