"""PONG: the answer to the server's keep-alive PING (any input resets the timer)."""
from ircish.server.context import Context
from ircish.server.registry import command


@command("PONG", usage="[<token>] [<token>]", before_registration=True,
         help="Answer the server's PING (clients do this for you).")
def pong(ctx: Context, *tokens: str) -> None:
    """Nothing to do: the connection counts any line as a sign of life."""
