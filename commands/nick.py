"""NICK: choose a nickname at registration, or change it later.

A service's nick (NickServ, ChanServ) is 432, not 433: it is never going to be free
(433 says someone has it for now), and an account could not be made of it either.
A nick that belongs to an account is enforced in `accounts/enforcement.py`."""
from ircish.protocol import casefold, is_valid_nick
from ircish.server import errors
from ircish.server.accounts import enforcement
from ircish.server.accounts.book import RESERVED_NAMES
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import complete_registration


@command("NICK", usage="<nick>", min_params=0, before_registration=True,
         help="Set or change your nickname; everyone who shares a room with you sees it.")
def nick(ctx: Context, new: str = "") -> None:
    if not new:
        raise errors.NoNicknameGiven()
    if not is_valid_nick(new, ctx.settings.nick_length):
        raise errors.ErroneousNickname(new)
    key = casefold(new)
    if key in RESERVED_NAMES or key in ctx.registry.services:
        raise errors.ErroneousNickname(new, text="That nick belongs to a service")
    user = ctx.user
    if new == user.nick:
        return
    if not user.registered:
        enforcement.claim_unregistered(ctx, new)
        complete_registration(ctx)
        return
    enforcement.change_nick(ctx, new)
