"""What the model holds per conversation: its lines and, for a room, its members.

Plain data: `ClientModel` (in `model`) changes it as messages arrive, the view reads it.
A member's standing in the room is the set of prefix modes it holds (`{"o", "v"}`),
not a sign: which sign shows, and how members sort, depend on the server's PREFIX,
and a member keeps its voice when de-opped.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from ..protocol import casefold
from .isupport import Features

MAX_LINES = 5000          # per buffer: old lines scroll away, memory stays bounded


@dataclass(frozen=True, slots=True)
class Line:
    kind: str             # TALK kinds, "status" (join/part/...), "info" or "error"
    text: str
    nick: str = ""
    highlight: bool = False   # mentions my nick
    own: bool = False
    time: float = field(default_factory=time.time)   # server-time when sent, else receipt


@dataclass
class Member:
    nick: str
    modes: set[str] = field(default_factory=set)   # prefix modes held here: "o", "v", ...
    away: bool = False    # from away-notify


@dataclass
class Buffer:
    name: str
    kind: str             # "server", "room" or "query"
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    members: dict[str, Member] = field(default_factory=dict)   # by casefolded nick
    topic: str = ""
    unread: int = 0
    mentions: int = 0
    joined: bool = False  # rooms: currently a member
    wanted: bool = False  # rooms: to rejoin after a reconnect

    @property
    def key(self) -> str:
        return casefold(self.name)

    def sorted_members(self, features: Features | None = None) -> list[Member]:
        """Operators first, then voices, then the rest; by nick within each group."""
        table = features or Features()
        return sorted(self.members.values(), key=lambda m: (table.rank(m.modes), casefold(m.nick)))
