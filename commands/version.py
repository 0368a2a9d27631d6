"""VERSION: the server's software version and features."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import VERSION, require_this_server, send_isupport


@command("VERSION", usage="[<server>]", help="Show the server's version.")
def version(ctx: Context, server: str = "") -> None:
    require_this_server(ctx, server)
    ctx.reply(N.RPL_VERSION, VERSION, ctx.settings.server_name, "ircish, a threaded IRC server")
    send_isupport(ctx)
