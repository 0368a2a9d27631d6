"""The account book: every account, who is logged in to each, and their read markers.

Accounts are few next to messages (one per person) and are read on every login and
every nick change, so the book holds them all in memory, loaded from the store at
start-up, and writes each change through to the store's queue (`Store.save_account`).
A lookup never touches a disk; a change is in memory at once (a second REGISTER of the
name sees it) and on disk within the store's flush window. A shared-database store for
a cluster would make the store the authority instead; callers use only this API.

Hashing (scrypt, SCRAM keys) runs on the one hashing thread with no lock held
(`passwords.py`); the book's lock is a leaf (rank in `state/__init__.py`).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ...protocol import casefold, is_valid_nick
from ..store import AccountRecord, Store
from . import passwords

if TYPE_CHECKING:
    from ..state import User

DAY = 86400

# Names no account may take: the services' (they answer as those nicks).
RESERVED_NAMES = frozenset({"nickserv", "chanserv"})


def is_valid_account_name(name: str, max_length: int) -> bool:
    """An account name is a valid nick (it owns that nick) and not a service's."""
    return is_valid_nick(name, max_length) and casefold(name) not in RESERVED_NAMES


class AccountError(Exception):
    """A refused account change, as its standard-reply code (account-registration's
    codes where that spec has one) and a sentence for people."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text


class AccountBook:
    def __init__(self, store: Store, nick_length: int = 30, min_password: int = 8,
                 reserve_days: float = 30.0) -> None:
        self._store = store
        self._nick_length = nick_length
        self._min_password = min_password
        self._reserve = reserve_days * DAY
        self._lock = threading.Lock()
        self._accounts: dict[str, AccountRecord] = {}   # casefolded name -> record
        self._by_certfp: dict[str, str] = {}            # fingerprint -> account key
        self._online: dict[str, set[User]] = {}         # account key -> logged-in users
        self._markers: dict[str, dict[str, int]] = {}   # account key -> target -> time_ms
        for record in store.accounts():
            self._put(record)
        self.forget_expired()

    # --- finding -----------------------------------------------------------------

    def get(self, name: str) -> AccountRecord | None:
        """The live account of that name (not a dropped one)."""
        record = self._accounts.get(casefold(name))
        return record if record is not None and record.dropped_at is None else None

    def owner_of_nick(self, nick: str) -> str | None:
        """The name of the account that owns `nick` (its own name), live or dropped and
        still reserved; None if the nick is free for anyone."""
        record = self._accounts.get(casefold(nick))
        return None if record is None else record.name

    def by_certfp(self, fingerprint: str) -> AccountRecord | None:
        key = self._by_certfp.get(fingerprint.lower())
        return None if key is None else self.get(key)

    def __len__(self) -> int:
        return sum(1 for r in list(self._accounts.values()) if r.dropped_at is None)

    # --- changing ----------------------------------------------------------------

    def check_new(self, name: str, password: str) -> None:
        """Raise AccountError if `name` cannot be registered with `password` now."""
        if not is_valid_account_name(name, self._nick_length):
            raise AccountError("BAD_ACCOUNT_NAME",
                               f"{name} cannot be an account name: it must be a valid nick")
        if casefold(name) in self._accounts:
            raise AccountError("ACCOUNT_EXISTS", f"{name} is already registered")
        self.check_password_strength(password)

    def check_password_strength(self, password: str) -> None:
        if len(password) < self._min_password:
            raise AccountError("WEAK_PASSWORD", f"Passwords must have at least "
                               f"{self._min_password} characters")

    def create(self, name: str, password: str, email: str | None = None) -> AccountRecord:
        """Register `name`. Raises AccountError (BAD_ACCOUNT_NAME, ACCOUNT_EXISTS,
        WEAK_PASSWORD). Hashes on the hashing thread before taking the lock; if the
        name was taken meanwhile, the later one gets ACCOUNT_EXISTS."""
        self.check_new(name, password)
        hashed, scram = passwords.hash_new(password)
        record = AccountRecord(name=name, created=int(time.time()), password=hashed,
                               scram=scram, email=email)
        with self._lock:
            if casefold(name) in self._accounts:
                raise AccountError("ACCOUNT_EXISTS", f"{name} is already registered")
            self._put(record)
        self._store.save_account(record)
        return record

    def check_password(self, name: str, password: str) -> AccountRecord | None:
        """The live account `name` if `password` is its password, else None. An
        unknown name costs a hash too (timing tells nothing)."""
        record = self.get(name)
        if not passwords.check(password, record.password if record else ""):
            return None
        return record

    def set_password(self, name: str, password: str) -> None:
        """Raises AccountError WEAK_PASSWORD (or ACCOUNT_REQUIRED for no such account)."""
        self.check_password_strength(password)
        hashed, scram = passwords.hash_new(password)
        self._change(name, lambda r: replace(r, password=hashed, scram=scram))

    def drop(self, name: str) -> None:
        """The account is gone: credentials and fingerprints deleted, its name reserved
        for the reservation time (then `forget_expired` removes it)."""
        self._change(name, lambda r: replace(r, password="", scram="", certfps=(),
                                             email=None, dropped_at=int(time.time())))
        with self._lock:
            self._markers.pop(casefold(name), None)

    def add_certfp(self, name: str, fingerprint: str) -> bool:
        """False if it was already the account's; AccountError if another's."""
        fp = fingerprint.lower()
        owner = self._by_certfp.get(fp)
        if owner is not None and owner != casefold(name):
            raise AccountError("CERTFP_IN_USE", "That certificate belongs to another account")
        if owner is not None:
            return False
        self._change(name, lambda r: replace(r, certfps=(*r.certfps, fp)))
        return True

    def remove_certfp(self, name: str, fingerprint: str) -> bool:
        fp = fingerprint.lower()
        record = self.get(name)
        if record is None or fp not in record.certfps:
            return False
        self._change(name, lambda r: replace(r, certfps=tuple(f for f in r.certfps
                                                               if f != fp)))
        return True

    def forget_expired(self, now: float | None = None) -> None:
        """Forget dropped accounts whose reservation is over (at start-up, and from
        housekeeping now and then)."""
        cutoff = (time.time() if now is None else now) - self._reserve
        with self._lock:
            gone = [k for k, r in self._accounts.items()
                    if r.dropped_at is not None and r.dropped_at <= cutoff]
            for key in gone:
                del self._accounts[key]
        for key in gone:
            self._store.forget_account(key)

    def _change(self, name: str, edit: Callable[[AccountRecord], AccountRecord]
                ) -> AccountRecord:
        key = casefold(name)
        with self._lock:
            record = self._accounts.get(key)
            if record is None or record.dropped_at is not None:
                raise AccountError("ACCOUNT_REQUIRED", f"{name} is not a registered account")
            changed = edit(record)
            self._put(changed)
        self._store.save_account(changed)
        return changed

    def _put(self, record: AccountRecord) -> None:
        """Caller holds the lock (or the book is not shared yet)."""
        key = casefold(record.name)
        old = self._accounts.get(key)
        if old is not None:
            for fp in old.certfps:
                self._by_certfp.pop(fp, None)
        self._accounts[key] = record
        for fp in record.certfps:
            self._by_certfp[fp] = key

    # --- who is logged in --------------------------------------------------------

    def attach(self, user: User, name: str) -> None:
        with self._lock:
            self._online.setdefault(casefold(name), set()).add(user)

    def detach(self, user: User, name: str) -> None:
        key = casefold(name)
        with self._lock:
            users = self._online.get(key)
            if users is not None:
                users.discard(user)
                if not users:
                    del self._online[key]

    def connections(self, name: str) -> list[User]:
        """Everyone logged in to the account now (each of a person's connections)."""
        with self._lock:
            return list(self._online.get(casefold(name), ()))

    # --- read markers ------------------------------------------------------------

    def read_marker(self, name: str, target_key: str) -> int | None:
        """The account's marker for a target (a room key or a conversation key), in ms."""
        return self._markers_of(casefold(name)).get(target_key)

    def mark_read(self, name: str, target_key: str, time_ms: int) -> int:
        """Move the marker to `time_ms` if that is later; returns the marker now."""
        key = casefold(name)
        markers = self._markers_of(key)
        with self._lock:
            current = markers.get(target_key)
            if current is not None and current >= time_ms:
                return current
            markers[target_key] = time_ms
        self._store.save_read_marker(key, target_key, time_ms)
        return time_ms

    def _markers_of(self, key: str) -> dict[str, int]:
        markers = self._markers.get(key)
        if markers is None:
            loaded = self._store.read_markers(key)  # a read, with no lock of ours held
            with self._lock:
                markers = self._markers.setdefault(key, loaded)
        return markers
