"""LUSERS: how many users and rooms the server has."""
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import send_lusers


@command("LUSERS", usage="[<mask>] [<server>]", help="Show user and room counts.")
def lusers(ctx: Context, *ignored: str) -> None:
    send_lusers(ctx)
