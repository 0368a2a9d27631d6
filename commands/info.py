"""INFO: what this server is, in a few lines."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import VERSION, require_this_server

ABOUT = (
    f"{VERSION}: a multi-room IRC server in Python",
    "One reader thread per client; the wire format is a sans-I/O module.",
    "Speaks RFC 1459/2812 as modern.ircdocs.horse clarifies them, and IRCv3.",
    "Each command is one plugin module, discovered at start-up.",
)


@command("INFO", usage="[<server>]", help="Show what this server is and when it started.")
def info(ctx: Context, server: str = "") -> None:
    require_this_server(ctx, server)
    for line in ABOUT:
        ctx.reply(N.RPL_INFO, line)
    ctx.reply(N.RPL_INFO, f"Up since {ctx.created}")
    ctx.reply(N.RPL_ENDOFINFO, "End of /INFO list.")
