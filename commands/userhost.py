"""USERHOST: user@host of up to five nicks (clients use it to learn their own host)."""
from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command


@command("USERHOST", usage="<nick>...", help="Show user@host for up to five nicks.")
def userhost(ctx: Context, *nicks: str) -> None:
    replies = []
    wanted = [n for item in nicks for n in item.split(" ") if n]  # ":a b" as well as "a b"
    for nick in wanted[:5]:
        user = ctx.nicks.get(nick)
        if user is not None and user.registered:
            oper = "*" if user.is_oper else ""
            away = "-" if user.away is not None else "+"
            replies.append(f"{user.nick}{oper}={away}{user.username}@{user.host}")
    if replies:
        ctx.reply_list(N.RPL_USERHOST, items=replies)  # five long hosts need two lines
    else:
        ctx.reply(N.RPL_USERHOST, "")
