"""PASS: the connection password, given before NICK/USER. If the server has one
(`--password`), it is checked when registration completes (464 and the link closes if
it is wrong or was never given). If not, `PASS account:password` logs in to that
account when registration completes (`accounts/login.pass_login`), for clients that
cannot speak SASL; any other PASS is ignored."""
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import command


@command("PASS", usage="<password>", before_registration=True,
         help="Give the server password (only needed if the server has one); on a server "
              "without one, PASS account:password logs in when you register.")
def pass_(ctx: Context, password: str) -> None:
    if ctx.user.registered:
        raise errors.AlreadyRegistered()
    ctx.session.password = password
