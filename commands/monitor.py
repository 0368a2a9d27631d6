"""MONITOR (IRCv3): tell me when these nicks come online or leave.

The table and its locking rule live in `ircish/monitor.py`; this is the command side:
`+` adds (answering each nick's status), `-` removes, `C` clears, `L` lists, `S` gives
the status of the whole list."""
from ircish import numerics as N
from ircish.protocol import is_valid_nick, split_list
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.monitor import packed, status_lines
from ircish.server.registry import command


@command("MONITOR", usage="<+|-|C|L|S> [<nick>{,<nick>}]",
         help="Watch nicks: MONITOR + a,b (adds), - a,b, C (clear), L (list), S (status).")
def monitor(ctx: Context, modifier: str, targets: str = "") -> None:
    monitors = ctx.server.monitors
    user = ctx.user
    op = modifier.upper()
    if op in ("+", "-") and not targets:
        raise errors.NeedMoreParams("MONITOR")
    if op == "+":
        nicks = [n for n in split_list(targets)
                 if is_valid_nick(n, ctx.settings.nick_length)]
        listed, refused = monitors.add(user, nicks, ctx.settings.monitor_size)
        for line in status_lines(ctx.server, user, listed):
            user.send(line)
        if refused:
            raise errors.MonitorListFull(str(ctx.settings.monitor_size), ",".join(refused))
    elif op == "-":
        monitors.remove(user, split_list(targets))
    elif op == "C":
        monitors.clear(user)
    elif op == "L":
        for line in packed(ctx.server, user, N.RPL_MONLIST, monitors.targets(user)):
            user.send(line)
        ctx.reply(N.RPL_ENDOFMONLIST, "End of MONITOR list")
    elif op == "S":
        for line in status_lines(ctx.server, user, monitors.targets(user)):
            user.send(line)
    else:
        ctx.reply(N.ERR_UNKNOWNERROR, "MONITOR", modifier, "Unknown MONITOR modifier")
