"""MOTD: the message of the day."""
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import require_this_server, send_motd


@command("MOTD", usage="[<server>]", help="Show the message of the day.")
def motd(ctx: Context, server: str = "") -> None:
    require_this_server(ctx, server)
    send_motd(ctx)
