"""ADMIN: who runs this server and how to reach them (from the settings)."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import require_this_server


@command("ADMIN", usage="[<server>]", help="Show who runs this server and how to reach them.")
def admin(ctx: Context, server: str = "") -> None:
    require_this_server(ctx, server)
    s = ctx.settings
    ctx.reply(N.RPL_ADMINME, s.server_name, "Administrative info")
    ctx.reply(N.RPL_ADMINLOC1, s.admin_location)
    ctx.reply(N.RPL_ADMINLOC2, f"{s.network} network")
    ctx.reply(N.RPL_ADMINEMAIL, s.admin_email)
