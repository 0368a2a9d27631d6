"""NickServ: accounts for clients that cannot speak SASL or REGISTER, and for people's
habits. `/msg NickServ IDENTIFY <password>` (or `/ns identify <password>`, or the raw
`NICKSERV IDENTIFY <password>`) logs in as the account named like your nick.

Every verb calls the code the real commands use (`accounts/manage.py`, `login.py`):
IDENTIFY is a password login like SASL PLAIN and PASS (and throttled with them),
REGISTER is REGISTER with `*` as the name, SET PASSWORD/DROP/LOGOUT/CERT/INFO are
ACCOUNT's. Answers are NOTICEs from NickServ (the login's own 900/901 numerics too).
"""
from __future__ import annotations

from collections.abc import Callable

from ircish.server.accounts import AccountError, manage
from ircish.server.accounts.login import log_in, password_login
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.services import Service, Verb, verbs

Run = Callable[[Context, list[str]], None]


def _tell(ctx: Context, text: str) -> None:
    NICKSERV.notice(ctx, text)


def _verb(name: str, usage: str, help: str, needs: int = 0) -> Callable[[Run], Verb]:
    """A verb taking at least `needs` words, whose AccountError is told as a NOTICE."""
    def wrap(run: Run) -> Verb:
        def answered(ctx: Context, args: list[str]) -> None:
            try:
                if len(args) < needs:
                    raise AccountError("NEED_MORE_PARAMS", f"Usage: {name} {usage}")
                run(ctx, args)
            except AccountError as error:
                _tell(ctx, error.text)
        return Verb(name, usage, help, answered)
    return wrap


@_verb("IDENTIFY", "[<account>] <password>", "Log in (to the account named like your "
       "nick, or to <account>).", needs=1)
def _identify(ctx: Context, args: list[str]) -> None:
    name, password = (args[0], args[1]) if len(args) > 1 else (ctx.user.nick, args[0])
    account = password_login(ctx, name, password)
    if ctx.user.account == account:
        _tell(ctx, f"You are already logged in as {account}")
        return
    log_in(ctx, account)
    _tell(ctx, f"You are now logged in as {account}")


@_verb("REGISTER", "<password> [<email>]", "Register your nick as an account and log in "
       "to it.", needs=1)
def _register(ctx: Context, args: list[str]) -> None:
    email = args[1] if len(args) > 1 else "*"
    manage.register(ctx, "*", email, args[0],
                    lambda name: _tell(ctx, f"Account {name} registered; you are now "
                                            f"logged in"))


@_verb("SET", "PASSWORD <current> <new>", "Change your password.", needs=3)
def _set(ctx: Context, args: list[str]) -> None:
    if args[0].upper() != "PASSWORD":
        raise AccountError("UNKNOWN_SETTING", "Only SET PASSWORD <current> <new> exists")
    account = manage.change_password(ctx, args[1], args[2])
    _tell(ctx, f"The password of {account} is changed")


@_verb("DROP", "<password>", "Delete your account; its name stays reserved for a while.",
       needs=1)
def _drop(ctx: Context, args: list[str]) -> None:
    account = manage.drop(ctx, args[0])
    _tell(ctx, f"Account {account} is dropped")


@_verb("LOGOUT", "", "Log out of your account.")
def _logout(ctx: Context, args: list[str]) -> None:
    account = manage.logout(ctx)
    _tell(ctx, f"You are logged out of {account}")


@_verb("CERT", "ADD [<fingerprint>] | DEL <fingerprint> | LIST", "The TLS client "
       "certificates that log you in (SASL EXTERNAL).", needs=1)
def _cert(ctx: Context, args: list[str]) -> None:
    action = args[0].upper()
    if action == "ADD":
        account, fp, _new = manage.add_cert(ctx, args[1] if len(args) > 1 else None)
        _tell(ctx, f"{fp} logs in to {account}")
    elif action == "DEL" and len(args) > 1:
        account, fp = manage.remove_cert(ctx, args[1])
        _tell(ctx, f"{fp} no longer logs in to {account}")
    elif action == "LIST":
        account, fps = manage.certs(ctx)
        _tell(ctx, f"{account}: {', '.join(fps) if fps else 'no certificates'}")
    else:
        raise AccountError("NEED_MORE_PARAMS", "Usage: CERT ADD [<fingerprint>] | "
                                               "CERT DEL <fingerprint> | CERT LIST")


@_verb("INFO", "[<account>]", "When an account was registered, whether it is online.")
def _info(ctx: Context, args: list[str]) -> None:
    found = manage.info(ctx, args[0] if args else None)
    _tell(ctx, f"{found.account}: " + ", ".join(f"{field.lower()} {value}"
                                                  for field, value in found.fields))


NICKSERV = Service("NickServ", "accounts: register your nick, log in to it, manage it.",
                   verbs(_identify, _register, _set, _drop, _logout, _cert, _info))


@command("NICKSERV", usage="<command> [<args>...]", aliases=("NS",),
         help="Talk to NickServ (as /msg NickServ does): NICKSERV IDENTIFY <password>, "
              "NICKSERV HELP.")
def nickserv(ctx: Context, verb: str, *args: str) -> None:
    NICKSERV.handle(ctx, " ".join((verb, *args)))
