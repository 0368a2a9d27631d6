"""WHOWAS: who recently used a nick (clients ask after a WHOIS finds no one)."""
import time

from ircish import numerics as N
from ircish.protocol import number
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command


@command("WHOWAS", usage="<nick> [<count>] [<server>]",
         help="Show who recently used a nick, newest first.")
def whowas(ctx: Context, nick: str, count: str = "0", server: str = "") -> None:
    entries = ctx.whowas.lookup(nick, number(count) or 0)
    if not entries:
        ctx.reply(N.ERR_WASNOSUCHNICK, nick, errors.WasNoSuchNick.text)
    for entry in entries:
        ctx.reply(N.RPL_WHOWASUSER, entry.nick, entry.username, entry.host, "*", entry.realname)
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(entry.left_at))
        ctx.reply(N.RPL_WHOISSERVER, entry.nick, ctx.settings.server_name, when)
    ctx.reply(N.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")
