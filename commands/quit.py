"""QUIT: leave the server; everyone who shares a room sees it once."""
from ircish.server.context import Context
from ircish.server.registry import command


@command("QUIT", usage="[<reason>]", before_registration=True,
         help="Disconnect, with an optional reason shown to the people in your rooms.")
def quit_(ctx: Context, reason: str = "") -> None:
    ctx.quit(reason)
