"""Server operators: their config entries and the OPER check. Their passwords are
salted scrypt hashes (`accounts/passwords.py`, shared with accounts), never plain text.

A hash reads `scrypt$<n>$<r>$<p>$<salt>$<key>` (salt and key in base64), so the cost
travels with it and can be raised later without breaking old hashes. Make one with
`ircish-server --hash-password` or `python -m ircish.server.opers` (the password is read from
the terminal without echo, or from the first line of stdin), and put it in the server
config file::

    opers:
      - name: alice
        password: "scrypt$16384$8$1$...$..."
"""
from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from . import errors
from .accounts.passwords import check, dummy_hash, hash_problem, make_hash

__all__ = ["HashPasswordAction", "OperSpec", "authenticate", "hash_problem", "make_hash",
           "read_password"]

@dataclass(frozen=True)
class OperSpec:
    name: str
    password_hash: str = ""

    def __repr__(self) -> str:  # keep hashes out of logs and test output
        return f"OperSpec({self.name!r})"


def authenticate(opers: list[OperSpec], name: str, password: str) -> OperSpec:
    """The operator entry `name` with this `password`: 491 for an unknown name, 464
    for a wrong password. An unknown name costs a hash too, so that timing does not
    tell which names exist (unless there are none: then no check is made at all)."""
    if not opers:
        raise errors.NoOperHost()
    spec = next((o for o in opers if o.name == name), None)
    if spec is None:
        check(password, dummy_hash())
        raise errors.NoOperHost()
    if not check(password, spec.password_hash):
        raise errors.PasswordMismatch()
    return spec


def read_password(stream: TextIO | None = None) -> str:
    """From the terminal without echo (asked twice), else the first line of stdin."""
    stream = stream or sys.stdin
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("the passwords differ")
        return first
    return stream.readline().rstrip("\r\n")


class HashPasswordAction(argparse.Action):
    """`ircish-server --hash-password`: print a hash for the config file and exit."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        parser.exit(main())


def main() -> int:
    password = read_password()
    if not password:
        sys.stderr.write("no password given\n")
        return 2
    sys.stdout.write(make_hash(password) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
