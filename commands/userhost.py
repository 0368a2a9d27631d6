"""USERHOST: user@host of up to five nicks (clients use it to learn their own host)."""
from ircish import numerics as N
from ircish.context import Context
from ircish.registry import command


@command("USERHOST", usage="<nick>...", help="Show user@host for up to five nicks.")
def userhost(ctx: Context, *nicks: str) -> None:
    replies = []
    for nick in nicks[:5]:
        user = ctx.server.nicks.get(nick)
        if user is not None and user.registered:
            away = "-" if user.away is not None else "+"
            replies.append(f"{user.nick}={away}{user.username}@{user.host}")
    ctx.reply(N.RPL_USERHOST, " ".join(replies))
