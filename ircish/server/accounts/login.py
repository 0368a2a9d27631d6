"""Logging in and out: what changes for a connection and for everyone who sees it.

Every way in (SASL PLAIN, SCRAM-SHA-256 and EXTERNAL, `PASS account:password`, NickServ
IDENTIFY, REGISTER's own login) ends in `log_in`, and every way out (SASL re-auth,
logout, the account dropped, the connection gone) in `log_out`, so numerics, the
account-notify line, the account book's connection list and nick enforcement are
written once.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ... import numerics as N
from ...protocol import Message, casefold
from ..events import deliver, user_message
from . import enforcement, passwords
from .book import AccountError
from .sasl import SaslState, ScramKeys
from .throttle import wait_text

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
        ctx.reply(N.RPL_LOGGEDIN, mask_of(user), account, f"You are now logged in as {account}")
        if user.registered:
            announce_account(user)
        enforcement.logged_in(ctx)
        ctx.rooms.apply_granted(user)  # its rooms may give its account @ or + (its nick now)


def mask_of(user: User) -> str:
    """900's and 901's `nick!user@host`, with `*` for what the client has not sent yet
    (a SASL login before NICK and USER, as irssi does it)."""
    return f"{user.nick or '*'}!{user.username or '*'}@{user.host}"


def failed(ctx: Context) -> None:
    """A login attempt on this connection failed (a wrong password or proof, or one
    refused unchecked): its next command is read only after --login-failure-delay.
    The reply goes out at once; a guesser waits before guessing again, on its own
    connection's thread, so a storm of guesses costs the server next to nothing."""
    delay = ctx.settings.login_failure_delay
    if delay > 0:
        ctx.session.hold_until = time.monotonic() + delay


def password_login(ctx: Context, name: str, password: str) -> str:
    """Check `password` for account `name` (on the hashing thread) and return the
    account's registered name; raises AccountError: INVALID_CREDENTIALS for a wrong
    name or password, RATE_LIMITED (refused unchecked: nothing is hashed) after too
    many failures from this address or against this name (`throttle.py`). Every
    password login (SASL PLAIN, PASS, NickServ IDENTIFY) comes here, so throttling is
    done once, here. Does not log in: the caller calls `log_in` (SASL must first
    finish its exchange)."""
    throttle = ctx.login_throttle
    address = ctx.user.host
    wait = throttle.attempt(address, name)
    if wait > 0:
        failed(ctx)
        raise AccountError("RATE_LIMITED", wait_text(wait))
    record = ctx.accounts.check_password(name, password)
    if record is None:
        failed(ctx)
        raise AccountError("INVALID_CREDENTIALS", "Invalid account name or password")
    throttle.forgive(address, name)
    return record.name


def scram_keys(ctx: Context, name: str) -> ScramKeys | None:
    """The SCRAM-SHA-256 keys of account `name` (None: no such account, or none kept),
    for a SCRAM exchange about to check a proof. The attempt is counted as a failure
    until `scram_verified` forgives it (a wrong proof, or an exchange left unfinished,
    stays counted); raises AccountError RATE_LIMITED when refused."""
    wait = ctx.login_throttle.attempt(ctx.user.host, name)
    if wait > 0:
        failed(ctx)
        raise AccountError("RATE_LIMITED", wait_text(wait))
    record = ctx.accounts.get(name)
    return None if record is None else passwords.parse_scram(record.scram)


def scram_verified(ctx: Context, name: str) -> str:
    """The client proved it knows the password of `name`: its registered name."""
    ctx.login_throttle.forgive(ctx.user.host, name)
    record = ctx.accounts.get(name)
    if record is None:  # dropped meanwhile
        raise AccountError("INVALID_CREDENTIALS", "Invalid account name or password")
    return record.name


def certificate_login(ctx: Context, authzid: str = "") -> str:
    """The account whose fingerprints include the connection's TLS client certificate
    (SASL EXTERNAL); `authzid`, if given, must name that account. Raises AccountError
    (nothing to guess here: a certificate cannot be, so no throttling)."""
    fingerprint = ctx.user.certfp
    if fingerprint is None:
        raise AccountError("INVALID_CREDENTIALS", "You did not present a client "
                           "certificate (connect with one to the TLS port)")
    record = ctx.accounts.by_certfp(fingerprint)
    if record is None:
        raise AccountError("INVALID_CREDENTIALS",
                           "Your client certificate is registered to no account")
    if authzid and casefold(authzid) != casefold(record.name):
        raise AccountError("INVALID_CREDENTIALS", f"Your client certificate belongs to "
                           f"{record.name}, not to {authzid[:64]}")
    return record.name


def before_welcome(ctx: Context) -> None:
    """Registration is completing (`replies.complete_registration`, before 001): a
    SASL exchange still in progress is aborted (906, sasl-3.1), and `PASS
    account:password` logs in (900 before 001, as SASL's does)."""
    state = ctx.session.sasl
    if isinstance(state, SaslState) and state.exchange is not None:
        state.exchange = None
        ctx.reply(N.ERR_SASLABORTED, "SASL authentication aborted")
    pass_login(ctx)


def pass_login(ctx: Context) -> None:
    """`PASS name:password` on a server without a connection password logs in to the
    account `name`: split at the first ':' (an account name is a nick, which has none;
    the password may). With a connection password (--password) PASS is that password,
    whole. A failure is a NOTICE and the connection goes on, not logged in."""
    given, ctx.session.password = ctx.session.password, None  # not kept past this
    if ctx.settings.password is not None or given is None or ":" not in given \
            or ctx.user.account is not None:  # SASL came first: it stands
        return
    name, _, password = given.partition(":")
    try:
        if ctx.settings.plain_requires_tls and not ctx.user.tls:
            raise AccountError("TLS_REQUIRED", "logging in with PASS needs a TLS "
                               "connection on this server")
        account = password_login(ctx, name, password)
    except AccountError as refused:
        notice(ctx, f"*** Not logged in: {refused.text}. You are connected without "
                    "an account.")
        return
    log_in(ctx, account)


def notice(ctx: Context, text: str) -> None:
    """A NOTICE from the server to this user."""
    ctx.send(Message("NOTICE", [ctx.user.nick, text], source=ctx.settings.server_name),
             force_trailing=True)


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
        user.send(Message(N.RPL_LOGGEDOUT, [user.nick, mask_of(user), "You are now logged "
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
