"""OPER: become a server operator with a name and password from the server config
(`opers:`, stored as hashes; see `ircish/opers.py`)."""
import logging

from ircish import numerics as N
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.modes import Change
from ircish.server.opers import authenticate
from ircish.server.registry import command

from .mode import send_user_modes, set_user_mode

log = logging.getLogger("ircish.oper")

MAX_FAILURES = 3  # per connection; then OPER is refused unchecked (guessing needs reconnects)


@command("OPER", usage="<name> <password>",
         help="Become a server operator (KILL, and the rights of an operator in every "
              "room) with credentials from the server's config file.")
def oper(ctx: Context, name: str, password: str) -> None:
    user = ctx.user
    if ctx.session.failed_opers >= MAX_FAILURES:
        raise errors.PasswordMismatch()
    try:
        authenticate(ctx.settings.opers, name, password)
    except errors.IrcError:
        ctx.session.failed_opers += 1
        log.warning("failed OPER as %r by %s (%s)", name, user.nick, user.host)
        raise
    if not user.is_oper:
        set_user_mode(ctx, "o", True)
        log.info("%s (%s) is now a server operator as %r", user.nick, user.host, name)
    ctx.reply(N.RPL_YOUREOPER, "You are now an IRC operator")
    send_user_modes(ctx, [Change(0, True, "o")])
