"""TAGMSG: a message with tags and no text (typing notices, reactions), for clients
that enabled message-tags."""
from ircish.server.context import Context
from ircish.server.messaging import relay
from ircish.server.registry import command


@command("TAGMSG", usage="<target>{,<target>}", min_params=0,
         help="Send only message tags (e.g. @+typing=active) to rooms or people; needs "
              "the message-tags capability to be seen.")
def tagmsg(ctx: Context, targets: str = "") -> None:
    relay(ctx, "TAGMSG", targets, None)
