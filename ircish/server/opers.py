"""Server-operator passwords: stored as salted scrypt hashes, never as plain text.

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
import base64
import binascii
import getpass
import hashlib
import hmac
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TextIO

from . import errors

SCHEME = "scrypt"
COST = (1 << 14, 8, 1)          # n, r, p: about 16 MiB and a few tens of ms per check
KEY_LENGTH = 32
SALT_LENGTH = 16
_MAX_MEMORY = 64 * 1024 * 1024  # refuse hashes that would need more to check


@dataclass(frozen=True)
class OperSpec:
    name: str
    password_hash: str = ""

    def __repr__(self) -> str:  # keep hashes out of logs and test output
        return f"OperSpec({self.name!r})"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make_hash(password: str, salt: bytes | None = None) -> str:
    n, r, p = COST
    salt = os.urandom(SALT_LENGTH) if salt is None else salt
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                         dklen=KEY_LENGTH, maxmem=_MAX_MEMORY)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * r * n > _MAX_MEMORY // 2 \
            or not salt or not key:
        return None
    return n, r, p, salt, key


def hash_problem(stored: str) -> str | None:
    """Why `stored` is not a usable hash (for the config file's errors), or None."""
    if _parse(stored) is None:
        return ("is not a password hash (make one with 'ircish-server --hash-password'; "
                "plain-text passwords are not accepted)")
    return None


def verify(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time compare)."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                               dklen=len(key), maxmem=_MAX_MEMORY)
    return hmac.compare_digest(candidate, key)


# Every check runs on this one thread: a check takes about 16 MiB (scrypt's working
# memory, which the C allocator tends to keep per thread) and tens of ms of CPU, so a
# crowd sending OPER costs at most one core and one such buffer, and each sender's own
# reader thread waits its turn.
_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oper-check")


def check(password: str, stored: str) -> bool:
    """`verify`, on the one checking thread."""
    return _checker.submit(verify, password, stored).result()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return make_hash("", salt=b"\0" * SALT_LENGTH)


def authenticate(opers: list[OperSpec], name: str, password: str) -> OperSpec:
    """The operator entry `name` with this `password`: 491 for an unknown name, 464
    for a wrong password. An unknown name costs a hash too, so that timing does not
    tell which names exist (unless there are none: then no check is made at all)."""
    if not opers:
        raise errors.NoOperHost()
    spec = next((o for o in opers if o.name == name), None)
    if spec is None:
        check(password, _dummy_hash())
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
