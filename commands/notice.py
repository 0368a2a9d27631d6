"""NOTICE: like PRIVMSG, but never answered automatically (no errors, no away)."""
from ircish.server.context import Context
from ircish.server.messaging import relay
from ircish.server.registry import command


@command("NOTICE", usage="<target>{,<target>} <text>", min_params=0,
         help="Send a notice: like a message, but it never triggers an automatic reply.")
def notice(ctx: Context, targets: str = "", text: str = "") -> None:
    relay(ctx, "NOTICE", targets, text)
