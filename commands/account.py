"""ACCOUNT: manage the account you are logged in to (and look one up).

    ACCOUNT HELP [<subcommand>]          NOTE ACCOUNT HELP <SUBCOMMAND> :<usage> - <what>
    ACCOUNT PASSWORD <current> <new>     SUCCESS ACCOUNT PASSWORD_CHANGED <account> :...
    ACCOUNT DROP <password>              SUCCESS ACCOUNT DROPPED <account> :...
    ACCOUNT LOGOUT                       SUCCESS ACCOUNT LOGGED_OUT <account> :...
    ACCOUNT CERT ADD [<fingerprint>]     SUCCESS ACCOUNT CERT_ADDED <account> <fp> :...
    ACCOUNT CERT DEL <fingerprint>       SUCCESS ACCOUNT CERT_REMOVED <account> <fp> :...
    ACCOUNT CERT LIST                    NOTE ACCOUNT CERT <account> <fp> :... (each), then
                                         SUCCESS ACCOUNT CERT_LIST <account> :<n> ...
    ACCOUNT INFO [<account>]             NOTE ACCOUNT INFO <account> <FIELD> :<value>
                                         (each), then SUCCESS ACCOUNT INFO <account> :...

INFO's fields: REGISTERED (ISO 8601, UTC) and ONLINE (yes/no) to anyone; EMAIL, CERTFP
(each) and CONNECTION (the nick of each logged-in connection) only to the account's
owner and server operators. DROP logs out every connection of the account (901 on each)
and keeps its name reserved for --nick-reserve-days; a connection on that nick becomes a
Guest (unless --nick-enforcement none). CERT ADD without a fingerprint adds the
certificate this connection was made with (for SASL EXTERNAL).

Failures are `FAIL ACCOUNT <code> <SUBCOMMAND> :<text>`, codes:
ACCOUNT_REQUIRED (not logged in), INVALID_CREDENTIALS (wrong password), WEAK_PASSWORD,
UNACCEPTABLE_PASSWORD, NO_CERTIFICATE (CERT ADD without a fingerprint on a connection
without a client certificate), INVALID_FINGERPRINT (not 64 hex digits; colons are
allowed), CERTFP_IN_USE (another account's), NO_SUCH_CERTIFICATE, NO_SUCH_ACCOUNT,
NEED_MORE_PARAMS, UNKNOWN_SUBCOMMAND, and whatever code password logins are throttled
with (`login.password_login`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ircish.server.accounts import AccountError, manage
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.standard_replies import safe, standard_reply


@dataclass(frozen=True)
class Sub:
    name: str
    usage: str
    help: str
    needs: int                              # arguments required
    run: Callable[[Context, list[str]], None]


def _success(ctx: Context, code: str, *context: str, text: str) -> None:
    standard_reply(ctx, "SUCCESS", "ACCOUNT", code, *context, text=text)


def _note(ctx: Context, code: str, *context: str, text: str) -> None:
    standard_reply(ctx, "NOTE", "ACCOUNT", code, *context, text=text)


def _password(ctx: Context, args: list[str]) -> None:
    account = manage.change_password(ctx, args[0], args[1])
    _success(ctx, "PASSWORD_CHANGED", account, text="Password changed")


def _drop(ctx: Context, args: list[str]) -> None:
    account = manage.drop(ctx, args[0])
    _success(ctx, "DROPPED", account, text=f"Account dropped; its name stays reserved for "
                                           f"{ctx.settings.nick_reserve_days:g} days")


def _logout(ctx: Context, args: list[str]) -> None:
    account = manage.logout(ctx)
    _success(ctx, "LOGGED_OUT", account, text="You are now logged out")


def _cert(ctx: Context, args: list[str]) -> None:
    action = args[0].upper()
    if action == "ADD":
        account, fp, new = manage.add_cert(ctx, args[1] if len(args) > 1 else None)
        _success(ctx, "CERT_ADDED", account, fp,
                 text="Certificate added" if new else "That certificate was already yours")
    elif action == "DEL" and len(args) > 1:
        account, fp = manage.remove_cert(ctx, args[1])
        _success(ctx, "CERT_REMOVED", account, fp, text="Certificate removed")
    elif action == "LIST":
        account, fps = manage.certs(ctx)
        for fp in fps:
            _note(ctx, "CERT", account, fp, text="SASL EXTERNAL logs in with this certificate")
        _success(ctx, "CERT_LIST", account, text=f"{len(fps)} certificate(s)")
    else:
        raise AccountError("NEED_MORE_PARAMS", f"Usage: ACCOUNT {SUBS['CERT'].usage}")


def _info(ctx: Context, args: list[str]) -> None:
    found = manage.info(ctx, args[0] if args else None)
    for field, value in found.fields:
        _note(ctx, "INFO", found.account, field, text=value)
    _success(ctx, "INFO", found.account, text="End of account info")


def _help(ctx: Context, args: list[str]) -> None:
    wanted = [SUBS[args[0].upper()]] if args and args[0].upper() in SUBS else SUBS.values()
    for sub in wanted:
        _note(ctx, "HELP", sub.name, text=f"ACCOUNT {sub.usage} - {sub.help}")


SUBS = {sub.name: sub for sub in (
    Sub("HELP", "HELP [<subcommand>]", "What each ACCOUNT subcommand does.", 0, _help),
    Sub("PASSWORD", "PASSWORD <current> <new>", "Change your account's password.", 2,
        _password),
    Sub("DROP", "DROP <password>", "Delete your account (its name stays reserved for a "
        "while); every connection logged in to it is logged out.", 1, _drop),
    Sub("LOGOUT", "LOGOUT", "Log out of your account.", 0, _logout),
    Sub("CERT", "CERT ADD [<fingerprint>] | CERT DEL <fingerprint> | CERT LIST",
        "The TLS client certificates that log you in (SASL EXTERNAL); ADD without a "
        "fingerprint adds the one you connected with.", 1, _cert),
    Sub("INFO", "INFO [<account>]", "When an account was registered and whether it is "
        "online (yours: also its e-mail, certificates and connections).", 0, _info),
)}


@command("ACCOUNT", usage="[<subcommand>] [<args>...]", cost=2,
         help="Manage your account: ACCOUNT PASSWORD, DROP, LOGOUT, CERT, INFO; "
              "ACCOUNT HELP explains each.")
def account(ctx: Context, subcommand: str = "HELP", *args: str) -> None:
    name = subcommand.upper()
    sub = SUBS.get(name)
    try:
        if sub is None:
            raise AccountError("UNKNOWN_SUBCOMMAND", "ACCOUNT HELP lists the subcommands")
        if len(args) < sub.needs:
            raise AccountError("NEED_MORE_PARAMS", f"Usage: ACCOUNT {sub.usage}")
        sub.run(ctx, list(args))
    except AccountError as error:
        standard_reply(ctx, "FAIL", "ACCOUNT", error.code, safe(name), text=error.text)
