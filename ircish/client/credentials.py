"""Where the account password for logging in at connect comes from: never the command
line (other users see it in `ps`).

1. `IRCISH_PASSWORD` in the environment, with `--sasl` (scripts);
2. the accounts file, `<config dir>/ircish/accounts.toml` (`~/.config/ircish/...` on
   Linux), one table per server, named `"host"` or `"host:port"`:

       ["irc.example.net"]
       account = "alice"        # optional: else --account, else the nick
       password = "..."

   A server with a table there is logged in to without `--sasl`. Like ssh with its
   keys, ircish refuses a file that others may read or that someone else owns
   (`chmod 600`), rather than use a password that is not secret any more;
3. else, with `--sasl`, a hidden prompt before the full screen starts.
"""
from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path

import platformdirs

from ..protocol import casefold
from .sasl import Credentials

ACCOUNT_PASSWORD_VARIABLE = "IRCISH_PASSWORD"


class CredentialsError(Exception):
    """The accounts file cannot be used; the message says why and how to fix it."""


def accounts_file() -> Path:
    return Path(platformdirs.user_config_dir("ircish", appauthor=False)) / "accounts.toml"


def stored(path: Path, host: str, port: int) -> tuple[str, str] | None:
    """(account or "", password) for this server from the accounts file, or None."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if os.name == "posix" and (info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
                               or info.st_uid != os.getuid()):
        raise CredentialsError(
            f"{path}: others can read it, or it is not yours; ircish will not use a "
            f"password that is not secret (chmod 600 {path})")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"{path}: {exc}") from None
    for key in (f"{host}:{port}", host):
        table = tables.get(key)
        if isinstance(table, dict):
            password, account = table.get("password"), table.get("account", "")
            if not isinstance(password, str) or not password or not isinstance(account, str):
                raise CredentialsError(f"{path}: [\"{key}\"] needs password = \"...\" "
                                       f"(and account = \"...\", if any, as text)")
            return account, password
    return None


def resolve(host: str, port: int, nick: str, account: str | None, sasl: bool,
            environ: dict[str, str] | os._Environ[str], ask: Callable[[str], str],
            path: Path | None = None) -> Credentials | None:
    """The credentials to log in with at connect, or None (no --sasl, no file entry).
    `account` is --account (None: the file's, else the nick)."""
    from_file = stored(path or accounts_file(), host, port)
    if from_file is not None:
        file_account, password = from_file
        if account is None or not file_account or casefold(file_account) == casefold(account):
            name = account or file_account or nick
            if sasl and environ.get(ACCOUNT_PASSWORD_VARIABLE):
                password = environ[ACCOUNT_PASSWORD_VARIABLE]
            return Credentials(name, password)
    if not sasl:
        return None
    name = account or nick
    password = environ.get(ACCOUNT_PASSWORD_VARIABLE) or ask(
        f"Password for account {name} on {host}: ")
    return Credentials(name, password) if password else None
