"""PASS: the connection password, given before NICK/USER. If the server has one
(`--password`), it is checked when registration completes (464 and the link closes if
it is wrong or was never given); if not, PASS is accepted and ignored."""
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command


@command("PASS", usage="<password>", before_registration=True,
         help="Give the server password (only needed if the server has one).")
def pass_(ctx: Context, password: str) -> None:
    if ctx.user.registered:
        raise errors.AlreadyRegistered()
    ctx.session.password = password
