"""Passwords, kept only as hashes: salted scrypt for what PLAIN, PASS and OPER check,
and the SCRAM-SHA-256 keys (RFC 5802/7677) for what SCRAM checks.

A scrypt hash reads `scrypt$<n>$<r>$<p>$<salt>$<key>` (salt and key in base64), so the
cost travels with it and can be raised later without breaking old hashes. SCRAM keys
read `scram-sha-256$<iterations>$<salt>$<stored key>$<server key>`: SCRAM needs them
(the client proves it knows the password without sending it), and they are made from
the password once, when it is set; `scramp` (a well-kept SCRAM library) makes them and
runs the exchange (`sasl.py`).

Every scrypt check runs on one thread (`check`): a check takes about 16 MiB (scrypt's
working memory, which the C allocator tends to keep per thread) and tens of ms of CPU,
so a crowd logging in or sending OPER costs at most one core and one such buffer, and
each sender's reader thread waits its turn holding no lock.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import scramp

from .. import affinity

SCHEME = "scrypt"
COST = (1 << 14, 8, 1)          # n, r, p: about 16 MiB and a few tens of ms per check
KEY_LENGTH = 32
SALT_LENGTH = 16
_MAX_MEMORY = 64 * 1024 * 1024  # refuse hashes that would need more to check

SCRAM_SCHEME = "scram-sha-256"
SCRAM_ITERATIONS = 4096         # RFC 7677's minimum, what clients expect to compute
SCRAM = scramp.ScramMechanism("SCRAM-SHA-256")


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


_hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-check",
                             initializer=affinity.off_the_chat_cpu)


def check(password: str, stored: str) -> bool:
    """`verify`, on the one hashing thread (an unusable `stored` still costs a hash,
    so that timing does not tell a missing account from a wrong password)."""
    if _parse(stored) is None:
        stored = dummy_hash()
        return _hasher.submit(verify, password, stored).result() and False
    return _hasher.submit(verify, password, stored).result()


def hash_new(password: str) -> tuple[str, str]:
    """(scrypt hash, SCRAM keys) of a password being set, made on the hashing thread."""
    return _hasher.submit(_both, password).result()


def _both(password: str) -> tuple[str, str]:
    return make_hash(password), scram_keys(password)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """What an unknown name is checked against."""
    return make_hash("", salt=b"\0" * SALT_LENGTH)


def scram_keys(password: str, iterations: int = SCRAM_ITERATIONS) -> str:
    salt, stored_key, server_key, count = SCRAM.make_auth_info(
        password, iteration_count=iterations)
    return f"{SCRAM_SCHEME}${count}${_b64(salt)}${_b64(stored_key)}${_b64(server_key)}"


def parse_scram(stored: str) -> tuple[bytes, bytes, bytes, int] | None:
    """(salt, stored key, server key, iterations), as scramp's auth_fn returns them,
    or None for a record without SCRAM keys."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[0] != SCRAM_SCHEME:
        return None
    try:
        count = int(parts[1])
        salt, stored_key, server_key = (base64.b64decode(x, validate=True)
                                        for x in parts[2:])
    except (ValueError, binascii.Error):
        return None
    return salt, stored_key, server_key, count
