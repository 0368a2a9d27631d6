"""WHOIS: who a user is, where they are, whether they are away, an operator, a bot."""
from __future__ import annotations

import time

from ircish import numerics as N
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import require_this_server
from ircish.server.state import User


@command("WHOIS", usage="[<server>] <nick>{,<nick>}",
         help="Show a user's name, host, rooms, idle time and away message.", cost=2)
def whois(ctx: Context, first: str, second: str = "") -> None:
    if second:  # WHOIS <server> <nick>: the server is this one, or a nick on it
        require_this_server(ctx, first)
    ctx.each(ctx.targets(second or first, 1), lambda nick: whois_one(ctx, nick))  # WHOIS:1


def whois_one(ctx: Context, nick: str) -> None:
    try:
        user = ctx.find_user(nick)
    except errors.NoSuchNick as missing:  # answered before the 318 that ends every WHOIS
        ctx.reply_error(missing)
        ctx.reply(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list.")
        return
    s = ctx.settings
    ctx.reply(N.RPL_WHOISUSER, user.nick, user.username, user.host, "*", user.realname)
    send_rooms(ctx, user)
    ctx.reply(N.RPL_WHOISSERVER, user.nick, s.server_name, s.network)
    if user.is_oper:
        ctx.reply(N.RPL_WHOISOPERATOR, user.nick, "is an IRC operator")
    if user.account is not None:
        ctx.reply(N.RPL_WHOISACCOUNT, user.nick, user.account, "is logged in as")
    if "B" in user.modes:
        ctx.reply(N.RPL_WHOISBOT, user.nick, f"is a Bot on {s.network}")
    if user.tls:
        ctx.reply(N.RPL_WHOISSECURE, user.nick, "is using a secure connection")
    if user.certfp is not None and (user is ctx.user or ctx.user.is_oper):
        ctx.reply(N.RPL_WHOISCERTFP, user.nick,
                  f"has client certificate fingerprint {user.certfp}")
    away = user.away
    if away is not None:
        ctx.reply(N.RPL_AWAY, user.nick, away)
    idle = int(time.time() - user.last_active)
    ctx.reply(N.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.signon)),
              "seconds idle, signon time")
    ctx.reply(N.RPL_ENDOFWHOIS, user.nick, "End of /WHOIS list.")


def visible_rooms(ctx: Context, user: User) -> list[str]:
    """The user's rooms as 319 lists them: secret ones only to their members (and
    server operators), every prefix for a multi-prefix asker, else the highest."""
    me = ctx.user
    every = "multi-prefix" in me.caps
    shown = []
    for room in user.room_list():
        if room.visible_to(me):
            prefixes = room.prefix_of(user)
            shown.append((prefixes if every else prefixes[:1]) + room.name)
    return shown


def send_rooms(ctx: Context, user: User) -> None:
    """319 lines, as many as the rooms need within the line limit."""
    ctx.reply_list(N.RPL_WHOISCHANNELS, user.nick, items=visible_rooms(ctx, user))
