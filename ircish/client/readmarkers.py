"""Read markers (IRCv3 `draft/read-marker`): what I have read, kept by the server for
all my clients, so that two clients of one person agree on what is unread.

Telling: while a buffer is on screen and scrolled to its bottom, the newest message it
shows counts as read (`seen`); `due` turns that into
`MARKREAD <target> timestamp=<its server time>`, at most once per `INTERVAL` per
buffer (reading a busy room sends one line every few seconds, not one per message).
Only messages that came from the server with a msgid carry a server time the server
knows (the spec wants a timestamp of a real message), and only while logged in: the
marker belongs to an account.

Hearing: `MARKREAD <target> timestamp=...` from the server (after each JOIN, before its
366; when any of my clients moves it; in answer to `MARKREAD <nick>`, which a private
chat asks when it opens) sets the buffer's marker, and its unread count becomes the
messages after it, history included. `*` means no marker: then the count is this
client's own, as without the capability.

Sans-I/O: `due` returns the lines to send; times are passed in (tests need no clock).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..protocol import Message
from .buffers import TALK, Buffer
from .cap_negotiation import parse_time
from .history import timestamp

if TYPE_CHECKING:
    from .model import ClientModel

CAP = "draft/read-marker"
INTERVAL = 2.0          # seconds between two MARKREADs for one buffer


class ReadMarkers:
    def __init__(self, model: ClientModel, interval: float = INTERVAL) -> None:
        self.model = model
        self.interval = interval
        self.outbox: list[Message] = []

    @property
    def active(self) -> bool:
        return CAP in self.model.caps and self.model.accounts.account is not None

    # --- telling ------------------------------------------------------------------

    def seen(self, buf: Buffer) -> None:
        """`buf` is on screen at its bottom: its newest server message is read."""
        newest = next((line for line in reversed(buf.lines)
                       if line.msgid and line.kind in TALK), None)
        if newest is not None and newest.time > buf.read.seen:
            buf.read.seen = newest.time

    def due(self, now: float | None = None) -> list[Message]:
        """MARKREAD for each buffer read further than its marker, if not told lately."""
        if not self.active:
            return []
        now = time.monotonic() if now is None else now
        out = []
        for buf in self.model.buffers:
            read = buf.read
            if buf.kind not in ("room", "query") or read.seen <= max(read.sent, read.marker or 0):
                continue
            if now - read.sent_at < self.interval:
                continue
            read.sent, read.sent_at = read.seen, now
            out.append(Message("MARKREAD", [buf.name, f"timestamp={timestamp(read.seen)}"]))
        return out

    def ask(self, buf: Buffer) -> None:
        """A private chat opened: ask its marker (rooms get theirs with the JOIN)."""
        if self.active and buf.kind == "query":
            self.outbox.append(Message("MARKREAD", [buf.name]))

    # --- hearing ------------------------------------------------------------------

    def on_markread(self, msg: Message) -> None:
        if len(msg.params) < 2:
            return
        buf = self.model.find(msg.params[0])
        if buf is None:
            return
        raw = msg.params[1]
        marker = parse_time(raw.removeprefix("timestamp=")) if raw.startswith("timestamp=") \
            else None
        if marker is None:
            return     # `*` (nothing read yet) or malformed: keep counting as before
        buf.read.marker = max(marker, buf.read.marker or 0)
        self.recount(buf)

    def recount(self, buf: Buffer) -> None:
        """The unread count from the server's marker: messages newer than it, not mine
        (none in the buffer on screen: it is being read)."""
        marker = buf.read.marker
        if marker is None:
            return
        if buf is self.model.buffer:
            buf.unread = buf.mentions = 0
            return
        unread = [line for line in buf.lines
                  if line.kind in TALK and not line.own and line.time > marker]
        buf.unread = len(unread)
        buf.mentions = len([line for line in unread if line.highlight or buf.kind == "query"])
