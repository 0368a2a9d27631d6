"""WHOIS: who a user is, where they are, whether they are away."""
import time

from ircish import errors
from ircish import numerics as N
from ircish.context import Context
from ircish.protocol import split_list
from ircish.registry import command


@command("WHOIS", usage="[<server>] <nick>{,<nick>}",
         help="Show a user's name, host, rooms, idle time and away message.")
def whois(ctx: Context, first: str, second: str = "") -> None:
    ctx.each(split_list(second or first), lambda nick: whois_one(ctx, nick))


def whois_one(ctx: Context, nick: str) -> None:
    user = ctx.server.nicks.get(nick)
    if user is None or not user.registered:
        ctx.reply(N.ERR_NOSUCHNICK, nick, errors.NoSuchNick.text)
        ctx.reply(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list.")
        return
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.username, user.host, "*", user.realname)
    rooms = [room.prefix_of(user)[:1] + room.name for room in user.room_list()]
    if rooms:
        ctx.reply(N.RPL_WHOISCHANNELS, user.nick, " ".join(rooms))
    ctx.reply(N.RPL_WHOISSERVER, user.nick, ctx.settings.server_name, ctx.settings.network)
    if user.away is not None:
        ctx.reply(N.RPL_AWAY, user.nick, user.away)
    idle = int(time.time() - user.last_active)
    ctx.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)),
              "seconds idle, signon time")
    ctx.reply(N.RPL_ENDOFWHOIS, user.nick, "End of /WHOIS list.")
