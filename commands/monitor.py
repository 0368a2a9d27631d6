"""MONITOR (IRCv3): tell me when these nicks come online or leave.

The table and its locking rule live in `ircish/monitor.py`; this is the command side:
`+` adds (answering each nick's status), `-` removes, `C` clears, `L` lists, `S` gives
the status of the whole list."""
from ircish import numerics as N
from ircish.protocol import is_valid_nick, split_list
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command


@command("MONITOR", usage="<+|-|C|L|S> [<nick>{,<nick>}]",
         help="Watch nicks: MONITOR + a,b (adds), - a,b, C (clear), L (list), S (status).",
         cost=2, free_uses=1)
def monitor(ctx: Context, modifier: str, targets: str = "") -> None:
    monitors = ctx.monitors
    user = ctx.user
    op = modifier.upper()
    if op in ("+", "-") and not targets:
        raise errors.NeedMoreParams("MONITOR")
    if op == "+":
        nicks = [n for n in split_list(targets)
                 if is_valid_nick(n, ctx.settings.nick_length)]
        listed, refused = monitors.add(user, nicks, ctx.settings.monitor_size)
        send_status(ctx, listed)
        if refused:
            raise errors.MonitorListFull(str(ctx.settings.monitor_size), ",".join(refused))
    elif op == "-":
        monitors.remove(user, split_list(targets))
    elif op == "C":
        monitors.clear(user)
    elif op == "L":
        ctx.reply_list(N.RPL_MONLIST, items=monitors.targets(user), sep=",")
        ctx.reply(N.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif op == "S":
        send_status(ctx, monitors.targets(user))
    else:
        ctx.reply(N.ERR_UNKNOWNERROR, "MONITOR", modifier, "Unknown MONITOR modifier")


def send_status(ctx: Context, nicks: list[str]) -> None:
    """730 for the nicks online (as `nick!user@host`), then 731 for the others (as
    given), each packed into as few lines as fit."""
    online: list[str] = []
    offline: list[str] = []
    for nick in nicks:
        user = ctx.nicks.get(nick)
        if user is not None and user.registered:
            online.append(user.prefix)
        else:
            offline.append(nick)
    ctx.reply_list(N.RPL_MONONLINE, items=online, sep=",")
    ctx.reply_list(N.RPL_MONOFFLINE, items=offline, sep=",")
