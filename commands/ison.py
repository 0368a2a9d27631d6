"""ISON: which of these nicks are online (used by clients' notify lists)."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command


@command("ISON", usage="<nick>...", help="Tell which of the given nicks are online.")
def ison(ctx: Context, *nicks: str) -> None:
    online = []
    for item in nicks:
        for nick in filter(None, item.split(" ")):
            user = ctx.nicks.get(nick)
            if user is not None and user.registered:
                online.append(user.nick)
    if online:
        ctx.reply_list(N.RPL_ISON, items=online)  # a long answer goes over several lines
    else:
        ctx.reply(N.RPL_ISON, "")
