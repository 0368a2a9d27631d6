"""What a person does with an account: register it, change its password, drop it, its
certificates, what it says about itself. The REGISTER and ACCOUNT commands and NickServ's
verbs all call these (so each rule is written once); each raises `AccountError(code,
text)` and the caller words the answer its own way (standard replies, or NOTICEs).

Codes: account-registration's where that spec has one (TEMPORARILY_UNAVAILABLE,
COMPLETE_CONNECTION_REQUIRED, NEED_NICK, ALREADY_AUTHENTICATED, BAD_ACCOUNT_NAME,
ACCOUNT_EXISTS, WEAK_PASSWORD, UNACCEPTABLE_PASSWORD, INVALID_EMAIL); the ACCOUNT
command's own are listed in `commands/account.py`.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...protocol import casefold
from .book import AccountBook, AccountError
from .login import log_in, log_out, password_login

if TYPE_CHECKING:
    from ..context import Context

MAX_PASSWORD_BYTES = 300   # what fits in a PRIVMSG to NickServ (the spec's advice)
MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GUEST = re.compile(r"guest\d+")
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


# --- registering ---------------------------------------------------------------------

def registration_open(ctx: Context) -> None:
    """Whether this user may REGISTER (or VERIFY) now, as `--registration` and the
    capability's `before-connect` say; raises TEMPORARILY_UNAVAILABLE or
    COMPLETE_CONNECTION_REQUIRED."""
    mode = ctx.settings.registration
    if mode == "nobody":
        raise AccountError("TEMPORARILY_UNAVAILABLE", "Registration is closed on this "
                           "server: ask its administrator for an account")
    if not ctx.user.registered and (mode == "opers" or ctx.settings.password is not None):
        raise AccountError("COMPLETE_CONNECTION_REQUIRED", "Complete the connection "
                           "before registering an account")
    if mode == "opers" and not ctx.user.is_oper:
        raise AccountError("TEMPORARILY_UNAVAILABLE", "Only server operators may "
                           "register accounts on this server")


def name_to_register(ctx: Context, name: str) -> str:
    """The account name a REGISTER asks for: `*` is the current nick (the one NICK
    gave, before registration too); NEED_NICK before any NICK."""
    if ctx.user.nick == "*":
        raise AccountError("NEED_NICK", "Send NICK before REGISTER")
    return ctx.user.nick if name == "*" else name


def register(ctx: Context, name: str, email: str, password: str,
             created: Callable[[str], None]) -> str:
    """REGISTER `name` (`*`: the current nick) for this user and log it in to it;
    returns the account's name. `email` is `*` or an address (kept, never mailed).
    `created(name)` says so to the user before the login's 900 (ergo's order)."""
    registration_open(ctx)
    name = name_to_register(ctx, name)
    if ctx.user.account is not None:
        raise AccountError("ALREADY_AUTHENTICATED", f"You are already logged in as "
                           f"{ctx.user.account}")
    check_name(name)
    ctx.accounts.check_new(name, password)  # BAD_ACCOUNT_NAME, ACCOUNT_EXISTS, WEAK_PASSWORD
    holder = ctx.nicks.get(name)
    if holder is not None and holder is not ctx.user:
        raise AccountError("ACCOUNT_EXISTS", f"{name} is someone's nick now")
    address = None if email == "*" else email
    if address is not None and (len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address)):
        raise AccountError("INVALID_EMAIL", "That is not an e-mail address")
    check_password_form(password)
    record = ctx.accounts.create(name, password, address)  # hashes, no lock held
    created(record.name)
    log_in(ctx, record.name)
    return record.name


def check_name(name: str) -> None:
    """Names the server hands out itself cannot be accounts (a Guest nick)."""
    if _GUEST.fullmatch(casefold(name)):
        raise AccountError("BAD_ACCOUNT_NAME", "Guest nicks are given by the server "
                           "and cannot be registered")


def check_password_form(password: str) -> None:
    """UNACCEPTABLE_PASSWORD: a password every way in can carry (NickServ IDENTIFY
    splits its words; a PRIVMSG is short)."""
    if any(c.isspace() for c in password) or len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AccountError("UNACCEPTABLE_PASSWORD", f"Passwords cannot contain spaces "
                           f"or be longer than {MAX_PASSWORD_BYTES} bytes")


def create_offline(book: AccountBook, name: str, password: str) -> str:
    """`ircish-server --create-account`: the same rules, no connection."""
    check_name(name)
    check_password_form(password)
    return book.create(name, password).name


# --- managing one's account ----------------------------------------------------------

def own_account(ctx: Context) -> str:
    """The account this user is logged in to; ACCOUNT_REQUIRED if none."""
    account = ctx.user.account
    if account is None:
        raise AccountError("ACCOUNT_REQUIRED", "Log in first (SASL, PASS or "
                           "/msg NickServ IDENTIFY)")
    return account


def change_password(ctx: Context, current: str, new: str) -> str:
    account = own_account(ctx)
    password_login(ctx, account, current)
    check_password_form(new)
    ctx.accounts.set_password(account, new)
    return account


def drop(ctx: Context, password: str) -> str:
    """Drop the account: its name stays reserved (--nick-reserve-days), every one of
    its connections is logged out (a dropped name cannot be logged in to, so those on
    the nick become Guests, unless --nick-enforcement none)."""
    account = own_account(ctx)
    password_login(ctx, account, password)
    ctx.accounts.drop(account)
    others = [user for user in ctx.accounts.connections(account) if user is not ctx.user]
    log_out(ctx)   # this connection first, the others after it
    for user in others:
        log_out(ctx, user)
    return account


def logout(ctx: Context) -> str:
    account = own_account(ctx)
    log_out(ctx)
    return account


def normal_fingerprint(fingerprint: str) -> str:
    """A SHA-256 fingerprint in lower-case hex (colons allowed); INVALID_FINGERPRINT."""
    fp = fingerprint.replace(":", "").lower()
    if not _FINGERPRINT.fullmatch(fp):
        raise AccountError("INVALID_FINGERPRINT", "A fingerprint is the SHA-256 of a "
                           "certificate: 64 hexadecimal digits")
    return fp


def add_cert(ctx: Context, fingerprint: str | None) -> tuple[str, str, bool]:
    """(account, fingerprint, whether it is new): the connection's own certificate by
    default (NO_CERTIFICATE without one); CERTFP_IN_USE if another account has it."""
    account = own_account(ctx)
    if fingerprint is None:
        fingerprint = ctx.user.certfp
        if fingerprint is None:
            raise AccountError("NO_CERTIFICATE", "You did not connect with a TLS client "
                               "certificate: name its fingerprint")
    fp = normal_fingerprint(fingerprint)
    return account, fp, ctx.accounts.add_certfp(account, fp)


def remove_cert(ctx: Context, fingerprint: str) -> tuple[str, str]:
    account = own_account(ctx)
    fp = normal_fingerprint(fingerprint)
    if not ctx.accounts.remove_certfp(account, fp):
        raise AccountError("NO_SUCH_CERTIFICATE", "That certificate is not your account's")
    return account, fp


def certs(ctx: Context) -> tuple[str, tuple[str, ...]]:
    account = own_account(ctx)
    record = ctx.accounts.get(account)
    return account, record.certfps if record is not None else ()


@dataclass(frozen=True)
class Info:
    account: str
    fields: list[tuple[str, str]]   # (FIELD, value): REGISTERED, ONLINE, then private


def info(ctx: Context, name: str | None) -> Info:
    """What an account says about itself: when it was registered and whether it is
    online, to anyone; its e-mail, certificates and connections only to its owner and
    server operators. NO_SUCH_ACCOUNT."""
    name = name or own_account(ctx)
    record = ctx.accounts.get(name)
    if record is None:
        raise AccountError("NO_SUCH_ACCOUNT", f"{name[:64]} is not a registered account")
    online = ctx.accounts.connections(record.name)
    fields = [("REGISTERED", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))),
              ("ONLINE", "yes" if online else "no")]
    user = ctx.user
    if user.is_oper or (user.account is not None
                        and casefold(user.account) == casefold(record.name)):
        fields.append(("EMAIL", record.email or "*"))
        fields += [("CERTFP", fp) for fp in record.certfps]
        fields += [("CONNECTION", u.nick) for u in online]
    return Info(record.name, fields)
