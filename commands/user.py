"""USER: the username and real name, the second half of registration."""
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import complete_registration

USERNAME_LENGTH = 16
_ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.[]{}\\`^|")


@command("USER", usage="<username> <mode> <unused> <realname>", before_registration=True,
         help="Register your username and real name (sent once, with NICK).")
def user(ctx: Context, username: str, mode: str, unused: str, realname: str) -> None:
    if ctx.user.registered or ctx.user.username:
        raise errors.AlreadyRegistered()
    # A username of characters we cannot show (a non-ASCII login name, say) must not
    # keep its owner from connecting: it becomes a neutral one instead.
    cleaned = "".join(c for c in username if c in _ALLOWED)[: USERNAME_LENGTH - 1] or "user"
    ctx.user.username = "~" + cleaned  # "~": no ident check was made
    ctx.user.realname = realname[: ctx.settings.realname_length]
    complete_registration(ctx)
