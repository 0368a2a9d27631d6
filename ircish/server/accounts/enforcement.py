"""Nicks that belong to someone (`--nick-enforcement strict|timeout|none`).

An account owns the nick of its own name (`AccountBook.owner_of_nick`; a dropped
account's name stays owned while it is reserved). Using an owned nick without being
logged in to its account is:

- strict (the default): refused. `NICK` after registration answers 433; at
  registration the check waits for its completion (as ergo does), because SASL or
  `PASS account:password` may log the user in after `NICK` and before `CAP END`/`USER`:
  then 433, the nick is let go and registration waits for another `NICK`.
- timeout: allowed, with a NOTICE; not logged in as the owner within `--nick-timeout`
  seconds, the user is renamed to `Guest<digits>` (a NICK line to it and its peers,
  like any change). The deadline is `ctx.session.nick_deadline`; the server's
  housekeeping thread calls `expire` for connections whose deadline has passed.
- none: nothing is enforced.

In every mode, logging in (or `NICK` to one's account name while logged in) takes the
account's nick back from someone who holds it without being logged in to it: the holder
becomes `Guest<digits>`. Under strict only a client still registering can be such a
holder (its registration will fail the check anyway). A REGISTER of a nick someone else
is using is refused (ACCOUNT_EXISTS), so nobody holds a nick when it becomes owned.
Dropping an account logs out its connections; one on the now reserved nick (nobody can
log in to it any more) is renamed at once under strict and timeout.

Who renames whom, and why it does not race: a nick change is a claim in the nick table
plus its announcement, and a user's own `NICK` runs on its reader thread while a timeout
rename runs on the housekeeping thread and a reclaim on the reader of the one logging
in. So every change of who holds which nick, who is logged in to what, and the
deadlines, is made under `IDENTITY_LOCK` (rank 0 in `state/__init__.py`), with the
decision re-checked under it (a deadline met by a login a moment earlier is not
enforced; a holder that is disconnecting, no longer in the nick table, is left alone),
and the NICK lines are committed to the outboxes under it (`deliver_now`), so nobody
sees two changes of one user out of order. Everything under it is short: no hashing
(passwords are checked before), no socket writes (callers run inside a
`delivery_batch`, whose flush comes after the lock is released).
"""
from __future__ import annotations

import random
import threading
import time
from typing import TYPE_CHECKING

from ...protocol import Message, casefold
from .. import errors
from ..events import Event, deliver_now, new_msgid

if TYPE_CHECKING:
    from ..context import Context
    from ..state import User

# One per process: nick changes and logins are rare next to messages.
IDENTITY_LOCK = threading.Lock()

GUEST = "Guest"


def owns(user: User, owner: str) -> bool:
    """Whether `user` is logged in to the account `owner`."""
    return user.account is not None and casefold(user.account) == casefold(owner)


def foreign_owner(ctx: Context, user: User, nick: str) -> str | None:
    """The account owning `nick` if it is not the one `user` is logged in to."""
    owner = ctx.accounts.owner_of_nick(nick)
    return None if owner is None or owns(user, owner) else owner


# --- changing nicks (callers hold IDENTITY_LOCK) ---------------------------------------

def rename(ctx: Context, user: User, new: str) -> str:
    """Give `user` the nick `new` and tell it and its peers (a registered user: WHOWAS,
    MONITOR and the rooms' history hear of it too); returns the old nick. Raises
    NicknameInUse. `ctx` may be another user's (the tables are the server's)."""
    old_prefix = user.prefix
    old = ctx.nicks.claim(user, new)
    if not user.registered:
        return old
    ctx.whowas.record(user, old)
    ctx.monitors.nick_changed(user, old)
    event = Event(old_prefix, "NICK", [new], text=False, account=user.account,
                  bot="B" in user.modes, msgid=new_msgid())
    deliver_now(user.peers() | {user}, event)
    ctx.archive.user_event(user.room_list(), event, old)
    return old


def guest_nick(ctx: Context) -> str:
    """A free `Guest<digits>` nick nobody owns."""
    digits = max(3, min(8, ctx.settings.nick_length - len(GUEST)))
    while True:
        nick = f"{GUEST}{random.randrange(10 ** (digits - 1), 10 ** digits)}"
        if ctx.nicks.get(nick) is None and ctx.accounts.owner_of_nick(nick) is None:
            return nick


def to_guest(ctx: Context, user: User, why: str) -> None:
    """Rename `user` to a Guest nick, with a NOTICE saying why (skipped for a user that
    is leaving: it is no longer in the nick table)."""
    if ctx.nicks.get(user.nick) is not user:
        return
    old = user.nick
    while True:
        try:
            rename(ctx, user, guest_nick(ctx))
            break
        except errors.NicknameInUse:
            continue  # taken between the look and the claim: draw again
    if user.registered:
        _notice(ctx, user, f"{old} {why}; you are now {user.nick}")


def _notice(ctx: Context, user: User, text: str) -> None:
    user.send(Message("NOTICE", [user.nick, text], source=ctx.settings.server_name)
              .to_bytes(force_trailing=True))


def take_back(ctx: Context, user: User, nick: str) -> bool:
    """If `user` owns `nick` and someone holds it without being logged in to it, that
    holder becomes a Guest and `user` gets the nick. False if there was no such
    holder (free, `user`'s own, or one of the account's other connections)."""
    holder = ctx.nicks.get(nick)
    if holder is None or holder is user or owns(holder, nick) or not owns(user, nick):
        return False
    to_guest(ctx, holder, f"belongs to the account {nick}, which just logged in")
    try:
        rename(ctx, user, nick)
    except errors.NicknameInUse:  # the holder was leaving and someone else came first
        return False
    return True


def settle(ctx: Context) -> None:
    """After `ctx.user`'s nick or login changed: start or clear its deadline (timeout),
    or, under strict, rename it if it holds a nick it may not (after a logout)."""
    user = ctx.user
    mode = ctx.settings.nick_enforcement
    owner = foreign_owner(ctx, user, user.nick) if user.nick != "*" else None
    if owner is None or mode == "none":
        ctx.session.nick_deadline = None
        return
    if mode == "strict" or ctx.accounts.get(owner) is None:
        # strict; or a dropped account's reserved name: nobody can log in to it
        if user.registered:
            to_guest(ctx, user, "belongs to an account you are not logged in to")
        return
    if ctx.session.nick_deadline is None and user.registered:
        ctx.session.nick_deadline = time.monotonic() + ctx.settings.nick_timeout
        _notice(ctx, user, f"{user.nick} belongs to an account: log in within "
                           f"{ctx.settings.nick_timeout:g} seconds (/msg NickServ IDENTIFY "
                           "<password>) or you will be renamed")


# --- the hooks -------------------------------------------------------------------------

def change_nick(ctx: Context, new: str) -> None:
    """NICK by a registered user: 433 for a nick owned by an account it is not logged
    in to (strict), or held by someone else (unless it is the user's account's nick:
    then the holder gives it up, see `take_back`)."""
    user = ctx.user
    with IDENTITY_LOCK:
        owner = foreign_owner(ctx, user, new)
        if owner is not None and ctx.settings.nick_enforcement == "strict":
            raise errors.NicknameInUse(new, text="Nickname belongs to an account: log in "
                                                 "to it first")
        if not take_back(ctx, user, new):
            rename(ctx, user, new)
        ctx.session.nick_deadline = None  # a new nick: a new deadline, if owned
        settle(ctx)


def claim_unregistered(ctx: Context, new: str) -> None:
    """NICK before registration: the nick is held (nothing is enforced yet: a login
    may still come, see `at_registration`)."""
    with IDENTITY_LOCK:
        if not take_back(ctx, ctx.user, new):
            ctx.nicks.claim(ctx.user, new)


def at_registration(ctx: Context) -> bool:
    """Called as registration completes (after any PASS or SASL login). Under strict, a
    nick owned by an account the user is not logged in to is refused: 433, the nick is
    let go, and False (registration waits for another NICK)."""
    user = ctx.user
    with IDENTITY_LOCK:
        if (ctx.settings.nick_enforcement == "strict"
                and foreign_owner(ctx, user, user.nick) is not None):
            nick = user.nick
            ctx.nicks.release(user)
            user.nick = "*"
            ctx.reply_error(errors.NicknameInUse(
                nick, text="Nickname belongs to an account: log in to it (SASL, or PASS "
                           "account:password) or choose another"))
            return False
    return True


def registered(ctx: Context) -> None:
    """After the welcome burst: the timeout's deadline starts now (under timeout)."""
    with IDENTITY_LOCK:
        settle(ctx)


def logged_in(ctx: Context) -> None:
    """`ctx.user` just logged in (caller holds IDENTITY_LOCK): its nick may now be its
    own (the deadline goes), and it takes its account's nick back from a non-owner."""
    user = ctx.user
    assert user.account is not None
    take_back(ctx, user, user.account)
    settle(ctx)


def logged_out(ctx: Context, user: User) -> None:
    """`user` just logged out (caller holds IDENTITY_LOCK; `user` is `ctx.user`, or one
    of a dropped account's connections): a registered nick it holds is no longer its
    own."""
    if user is ctx.user:
        settle(ctx)
    elif ctx.settings.nick_enforcement != "none" and \
            foreign_owner(ctx, user, user.nick) is not None:
        to_guest(ctx, user, "belonged to an account that was dropped")


def expire(ctx: Context) -> None:
    """The housekeeping thread's check of a connection whose deadline has passed
    (inside a delivery_batch): renamed to a Guest unless it logged in meanwhile."""
    user = ctx.user
    with IDENTITY_LOCK:
        deadline = ctx.session.nick_deadline
        if deadline is None or time.monotonic() < deadline:
            return
        ctx.session.nick_deadline = None
        if foreign_owner(ctx, user, user.nick) is not None and \
                ctx.settings.nick_enforcement != "none":
            to_guest(ctx, user, "belongs to an account you did not log in to in time")
