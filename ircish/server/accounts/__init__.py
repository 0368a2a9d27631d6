"""Accounts: who owns which nick and room, and who is logged in.

- `passwords.py`  scrypt hashes and SCRAM keys, on the one hashing thread.
- `book.py`       the account book (in memory, written through to the store).
- `login.py`      logging in and out, the one path every mechanism ends in.
- `sasl.py`       SASL PLAIN, SCRAM-SHA-256 and EXTERNAL, without sockets (AUTHENTICATE).
- `throttle.py`   failed logins, counted per address and per account name.
- `enforcement.py` nicks that belong to an account.
The commands that use them are plugins: AUTHENTICATE, REGISTER, VERIFY, ACCOUNT, ROOM,
NICKSERV, CHANSERV, MARKREAD (`commands/`).
"""
from __future__ import annotations

from .book import AccountBook, AccountError

__all__ = ["AccountBook", "AccountError"]
