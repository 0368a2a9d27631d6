"""WHOWAS: who recently used which nick, kept after they leave or change it."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol import casefold

if TYPE_CHECKING:
    from .state import User


@dataclass(frozen=True, slots=True)
class PastUser:
    nick: str
    username: str
    host: str
    realname: str
    left_at: float


class NickHistory:
    """Who recently used which nick (for WHOWAS): a bounded, newest-last record."""

    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self._entries: deque[PastUser] = deque(maxlen=size)

    def record(self, user: User, nick: str) -> None:
        entry = PastUser(nick, user.username, user.host, user.realname, time.time())
        with self.lock:
            self._entries.append(entry)

    def lookup(self, nick: str, count: int) -> list[PastUser]:
        key = casefold(nick)
        with self.lock:
            found = [e for e in reversed(self._entries) if casefold(e.nick) == key]
        return found[:count] if count > 0 else found
