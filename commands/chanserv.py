"""ChanServ: the room commands as a pseudo-user, for habits and for clients that
cannot send ROOM (`/msg ChanServ REGISTER #room`, or `/cs register #room`). Each verb
is the ROOM subcommand of the same name (`room.py`): no second implementation, and the
answers are ROOM's standard replies."""
from __future__ import annotations

from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.services import Service, Verb, verbs

from .room import SUBCOMMANDS, Subcommand


def _verb(name: str, usage: str, help: str) -> Verb:
    run: Subcommand = SUBCOMMANDS[name]
    return Verb(name, usage, help, run)


CHANSERV = Service(
    "ChanServ", "registers rooms to accounts (the same as the ROOM command).",
    verbs(_verb("REGISTER", "<#room>", "make your account the founder of a room you "
                                       "operate: @ whenever you join, kept for ever"),
          _verb("DROP", "<#room>", "unregister a room you founded"),
          _verb("AMODE", "<#room> [+o|-o|+v|-v <account>]",
                "list or edit who gets @ (+o) or + (+v) on joining"),
          _verb("INFO", "<#room>", "who owns a room, since when, and its access list"),
          _verb("TRANSFER", "<#room> <account>", "give a room you founded to another "
                                                 "account")))


@command("CHANSERV", usage="[<command>] [<args>...]", aliases=("CS",), min_params=0,
         help="Talk to ChanServ: CS REGISTER|DROP|INFO <room>, CS AMODE <room> "
              "[+o|-o|+v|-v <account>], CS TRANSFER <room> <account>, CS HELP.")
def chanserv(ctx: Context, *words: str) -> None:
    CHANSERV.handle(ctx, " ".join(words))
