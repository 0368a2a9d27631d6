"""TIME: the server's local time."""
import time

from ircish import numerics as N
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import require_this_server


@command("TIME", usage="[<server>]", help="Show the server's local time.")
def time_(ctx: Context, server: str = "") -> None:
    require_this_server(ctx, server)
    now = time.localtime()
    text = time.strftime("%A %B %d %Y -- %H:%M:%S ", now) + _utc_offset(now)
    ctx.reply(N.RPL_TIME, ctx.settings.server_name, text)


def _utc_offset(now: time.struct_time) -> str:
    """`+02:00` style, which people read more easily than strftime's `+0200`."""
    minutes = (now.tm_gmtoff or 0) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
