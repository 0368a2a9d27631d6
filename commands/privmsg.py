"""PRIVMSG: a message to rooms or nicks (`/msg bob hi`)."""
from ircish.server.context import Context
from ircish.server.messaging import relay
from ircish.server.registry import command


@command("PRIVMSG", usage="<target>{,<target>} <text>", aliases=("MSG",), min_params=0,
         help="Send a message to rooms or people; /me actions are CTCP ACTION messages.")
def privmsg(ctx: Context, targets: str = "", text: str = "") -> None:
    relay(ctx, "PRIVMSG", targets, text)
