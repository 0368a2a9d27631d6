"""PING: the client checks the server is alive (and measures lag)."""
from ircish.protocol import Message
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command


@command("PING", usage="<token>", min_params=0, before_registration=True,
         help="Ask the server for a PONG carrying the same token.")
def ping(ctx: Context, token: str = "") -> None:
    if not token:
        raise errors.NoOrigin()
    name = ctx.settings.server_name
    ctx.send(Message("PONG", [name, token], source=name), force_trailing=True)
