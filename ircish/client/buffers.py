"""What the model holds per conversation (its lines and, for a room, its members), and
the list of conversations with the one on screen.

Plain data and the operations on it that know no IRC: `ClientModel` (in `model`)
changes it as messages arrive, the view reads it. A member's standing in the room is
the set of prefix modes it holds (`{"o", "v"}`), not a sign: which sign shows, and how
members sort, depend on the server's PREFIX, and a member keeps its voice when de-opped.

Lines arrive in two ways. Live ones are appended (`BufferList.add`). History arrives
late, out of order, and partly known already: `Buffer.insert` puts a line where its
server time belongs and never shows a msgid twice, so a catch-up after a reconnect,
an older page and a jump to a search result all land in one ordered buffer.
"""
from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..protocol import casefold, is_room_name
from .isupport import Features

MAX_LINES = 5000          # per buffer: old lines scroll away, memory stays bounded
TALK = ("message", "action", "notice")   # line kinds that count as unread


@dataclass(frozen=True, slots=True)
class Line:
    kind: str             # TALK kinds, "status" (join/part/...), "info", "error", "result"
    text: str
    nick: str = ""
    highlight: bool = False   # mentions my nick
    own: bool = False
    time: float = field(default_factory=time.time)   # server-time when sent, else receipt
    msgid: str = ""           # the server's id for it (message-tags), "" if none
    history: bool = False     # replayed from the server's history, not seen live
    redacted: bool = False    # removed (REDACT): `text` says by whom and why
    label: str = ""           # shown before the line: a search result's number and room


@dataclass
class Member:
    nick: str
    modes: set[str] = field(default_factory=set)   # prefix modes held here: "o", "v", ...
    away: bool = False    # from away-notify


@dataclass(frozen=True)
class SearchResult:
    target: str           # the room, or the nick the private conversation is with
    msgid: str


@dataclass
class HistoryState:
    """Where a buffer's history stands; view state it needs is here too, set by the
    model, so that a jump asked for before its lines arrive still happens."""
    loading: bool = False     # a request for this buffer is on its way
    beginning: bool = False   # the server has nothing older
    jump_to: str = ""         # a msgid the view should scroll to once it is here
    found: str = ""           # the msgid a jump went to, shown marked


@dataclass
class ReadState:
    """draft/read-marker for one buffer: the server's marker (shared by all my clients)
    and what this client has shown and told. Times are epoch seconds of server times."""
    marker: float | None = None   # the server's: newest message read (None: not known)
    seen: float = 0.0             # the newest message shown with the buffer at its bottom
    sent: float = 0.0             # the newest this client told the server it read
    sent_at: float = float("-inf")   # when (time.monotonic()): MARKREAD is debounced


@dataclass
class Buffer:
    name: str
    kind: str             # "server", "room", "query" or "search"
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    members: dict[str, Member] = field(default_factory=dict)   # by casefolded nick
    topic: str = ""
    unread: int = 0
    mentions: int = 0
    joined: bool = False  # rooms: currently a member
    wanted: bool = False  # rooms: to rejoin after a reconnect
    msgids: set[str] = field(default_factory=set)   # every msgid shown here, ever
    history: HistoryState = field(default_factory=HistoryState)
    results: list[SearchResult] = field(default_factory=list)   # search buffers
    selected: int = 0     # search buffers: the result Enter opens (0-based)
    owner: str = ""       # rooms: the founder's account, when the room is registered
    access: dict[str, str] = field(default_factory=dict)   # rooms: account -> +o / +v
    read: ReadState = field(default_factory=ReadState)

    @property
    def key(self) -> str:
        return casefold(self.name)

    def sorted_members(self, features: Features | None = None) -> list[Member]:
        """Operators first, then voices, then the rest; by nick within each group."""
        table = features or Features()
        return sorted(self.members.values(), key=lambda m: (table.rank(m.modes), casefold(m.nick)))

    def append(self, line: Line) -> bool:
        """Add a line at the end; False (and nothing added) for a msgid already here."""
        if line.msgid:
            if line.msgid in self.msgids:
                return False
            self.msgids.add(line.msgid)
        self.lines.append(line)
        return True

    def insert(self, line: Line, floor: Line | None = None,
               ceiling: Line | None = None) -> tuple[Line | None, bool]:
        """Put a history line after every older line and before the others, but after
        `floor` and before `ceiling` when given. Times alone cannot order lines of one
        millisecond: the caller passes the line before it in the server's order as
        `floor` (and the next one already here as `ceiling`); with no such anchor, a
        line goes before those of its millisecond (history is mostly older). A catch-up
        goes between the last line seen before a drop and the join line, whatever the
        clocks say. Returns the line here now (this one, or the one already here: by
        msgid, or a live event's twin, which has none) and whether it was added; (None,
        False) for a line older than everything a full buffer keeps."""
        if line.msgid and line.msgid in self.msgids:
            return self.line_with(line.msgid), False
        lines = self.lines
        low, position = self._index(floor, 0, 1), self._index(ceiling, len(lines), 0)
        position = max(position, low)
        while position > low and lines[position - 1].time >= line.time:
            old = lines[position - 1]
            if old.time == line.time and not old.msgid and (old.kind, old.text, old.nick) \
                    == (line.kind, line.text, line.nick):
                return old, False
            position -= 1
        if len(lines) == lines.maxlen:
            if position == 0:
                return None, False
            lines.popleft()
            position -= 1
        lines.insert(position, line)
        if line.msgid:
            self.msgids.add(line.msgid)
        return line, True

    def _index(self, line: Line | None, default: int, offset: int) -> int:
        """The position of `line` (by identity, searched from the newest) plus `offset`."""
        if line is None:
            return default
        for back, candidate in enumerate(reversed(self.lines)):
            if candidate is line:
                return len(self.lines) - 1 - back + offset
        return default

    def line_with(self, msgid: str) -> Line | None:
        if msgid not in self.msgids:
            return None
        return next((line for line in reversed(self.lines) if line.msgid == msgid), None)

    def redact(self, msgid: str, note: Callable[[Line], str]) -> bool:
        """Show the line with this msgid as removed, reading `note(line)` instead of its
        text; False if it is not here."""
        for index, line in enumerate(self.lines):
            if line.msgid == msgid and line.kind in TALK:
                self.lines[index] = dataclasses.replace(line, text=note(line), redacted=True,
                                                        highlight=False)
                return True
        return False

    def own_lines(self) -> list[Line]:
        """My messages that can still be removed, newest first (`/redact N` counts here)."""
        return [line for line in reversed(self.lines)
                if line.own and line.msgid and not line.redacted and line.kind in TALK]

    def oldest(self) -> Line | None:
        """The oldest line that can anchor a request for older history (a removed one
        is gone from the server's history too)."""
        return next((line for line in self.lines if line.msgid and not line.redacted), None)

    def newest(self) -> Line | None:
        """The newest line that can anchor a request for what came after it."""
        return next((line for line in reversed(self.lines)
                     if line.msgid and not line.redacted), None)


class BufferList:
    """The buffers (the server's first) and the one on screen; unread counts follow
    what the user looks at."""

    def __init__(self, server_label: str) -> None:
        self.buffers: list[Buffer] = [Buffer(server_label, "server")]
        self.current = 0
        self.stamp: float | None = None    # server-time of the message being fed

    @property
    def server(self) -> Buffer:
        return self.buffers[0]

    @property
    def buffer(self) -> Buffer:
        return self.buffers[self.current]

    def find(self, name: str, kind: str | None = None) -> Buffer | None:
        key = casefold(name)
        return next((b for b in self.buffers if b.key == key and b.kind != "server"
                     and kind in (None, b.kind)), None)

    def ensure(self, name: str) -> Buffer:
        found = self.find(name)
        if found is None:
            found = Buffer(name, "room" if is_room_name(name) else "query")
            self.buffers.append(found)
        return found

    def switch(self, index: int) -> bool:
        """Show buffer `index` (0-based); reading it clears its unread count."""
        if not 0 <= index < len(self.buffers):
            return False
        self.current = index
        self.buffer.unread = self.buffer.mentions = 0
        return True

    def show(self, buf: Buffer) -> None:
        self.switch(self.buffers.index(buf))

    def switch_to(self, name: str) -> bool:
        """By exact name, else by the only name that starts with it (`dev` for #dev)."""
        key = casefold(name)
        bare = key.lstrip("#")
        keys = [b.key for b in self.buffers]
        tries: tuple[Callable[[str], bool], ...] = (
            lambda k: k == key, lambda k: k.lstrip("#") == bare,
            lambda k: k.lstrip("#").startswith(bare))
        for fits in tries:
            matches = [i for i, k in enumerate(keys) if fits(k)]
            if matches:
                return len(matches) == 1 and self.switch(matches[0])
        return False

    def cycle(self, step: int) -> None:
        self.switch((self.current + step) % len(self.buffers))

    def close(self, buf: Buffer) -> None:
        """Drop a buffer (not the server's); the view moves to its left neighbour."""
        if buf.kind == "server":
            return
        index = self.buffers.index(buf)
        del self.buffers[index]
        if self.current >= index:
            self.switch(max(self.current - 1, 0))

    def add(self, buf: Buffer, line: Line) -> None:
        """Append a live line (one whose msgid is already here is left out)."""
        if self.stamp is not None:   # every line a message causes carries its time
            line = dataclasses.replace(line, time=self.stamp)
        if not buf.append(line):
            return
        if buf is not self.buffer and line.kind in TALK and not line.own:
            buf.unread += 1
            if line.highlight or buf.kind == "query":
                buf.mentions += 1

    def note(self, text: str, kind: str = "info") -> None:
        """A line for the user in the current buffer (command output, errors)."""
        self.add(self.buffer, Line(kind, text))
