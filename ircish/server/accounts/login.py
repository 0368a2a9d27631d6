"""Logging in and out: what changes for a connection and for everyone who sees it.

Every way in (SASL PLAIN, SCRAM-SHA-256 and EXTERNAL, `PASS account:password`, NickServ
IDENTIFY, REGISTER's own login) ends in `log_in`, and every way out (SASL re-auth,
logout, the account dropped, the connection gone) in `log_out`, so numerics, the
account-notify line, the account book's connection list and nick enforcement are
written once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ... import numerics as N
from ...protocol import Message
from ..events import deliver, user_message
from . import enforcement
from .book import AccountError

if TYPE_CHECKING:
    from ..context import Context
    from ..state import User


def log_in(ctx: Context, account: str) -> None:
    """`ctx.user` is now logged in as `account` (its registered name): 900 to it, and
    `ACCOUNT <name>` to account-notify peers once registered. Logging in again as
    another account logs out of the first one."""
    user = ctx.user
    with enforcement.IDENTITY_LOCK:  # nicks and logins change in one order (enforcement.py)
        if user.account is not None:
            if user.account == account:
                return
            ctx.accounts.detach(user, user.account)
        user.account = account
        ctx.accounts.attach(user, account)
        ctx.reply(N.RPL_LOGGEDIN, user.prefix, account, f"You are now logged in as {account}")
        if user.registered:
            announce_account(user)
        enforcement.logged_in(ctx)


def password_login(ctx: Context, name: str, password: str) -> str:
    """Check `password` for account `name` (on the hashing thread) and return the
    account's registered name; raises AccountError: INVALID_CREDENTIALS for a wrong
    name or password. Every password login (SASL PLAIN, PASS, NickServ IDENTIFY) comes
    here, so throttling failed attempts is done once, here. Does not log in: the caller
    calls `log_in` (SASL must first finish its exchange)."""
    record = ctx.accounts.check_password(name, password)
    if record is None:
        raise AccountError("INVALID_CREDENTIALS", "Invalid account name or password")
    return record.name


def log_out(ctx: Context, user: User | None = None) -> None:
    """901 to the user, `ACCOUNT *` to account-notify peers. `user`: another connection
    than ctx's (an account dropped by one of its connections logs out the others)."""
    user = user or ctx.user
    with enforcement.IDENTITY_LOCK:  # nicks and logins change in one order (enforcement.py)
        if user.account is None:
            return
        ctx.accounts.detach(user, user.account)
        user.account = None
        # to `user`, which may not be ctx's (ctx.reply would address ctx.user)
        user.send(Message(N.RPL_LOGGEDOUT, [user.nick, user.prefix, "You are now logged "
                                            "out"], source=ctx.settings.server_name)
                  .to_bytes(force_trailing=True))
        if user.registered:
            announce_account(user)
        enforcement.logged_out(ctx, user)


def announce_account(user: User) -> None:
    """account-notify: `:nick!user@host ACCOUNT <account or *>` to the user's peers and
    the user itself, each only if it asked for the capability."""
    deliver(user.peers() | {user}, user_message(user, "ACCOUNT", user.account or "*",
                                                text=False), cap="account-notify")
