"""History, search and redaction as the model does them: what to ask the server for,
and what its answers do to the buffers.

IRCv3 `draft/chathistory`: on joining a room (again, after a drop) or opening a private
chat, `CHATHISTORY LATEST <target> <*|msgid=last seen> N` catches up (when a long
outage fills that page, `BETWEEN` the last line seen and the page fills the gap); PgUp
at the top asks `BEFORE msgid=<oldest shown>` until a page comes back short; a search
result is opened with `AROUND`. `soju.im/search`: `SEARCH text=..;in=..;from=..` fills one
search buffer. `draft/message-redaction`: `REDACT <target> <msgid> [:reason]`, sent
for my own lines and shown as "removed" when anyone's arrives.

Sans-I/O: requests wait in `outbox` for the session to send. Answers come back in
order, so each `chathistory` batch (it names its target) answers the oldest request
pending for that target, and each search batch the oldest search. History lines are
dimmed (`Line.history`) and keep their server times; a buffer never shows a msgid
twice (`Buffer.insert`), which is what makes reconnects and overlapping pages safe.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..protocol import Message, casefold, is_room_name
from .batches import Batch
from .buffers import Buffer, Line, SearchResult
from .cap_negotiation import message_time
from .sentences import event_sentence, nick_of, spoken

if TYPE_CHECKING:
    from .model import ClientModel

PAGE = 50                   # lines per request, unless the server's CHATHISTORY= is lower
GAP_PAGES = 10              # a catch-up fills at most this many pages of an outage
SEARCH_LIMIT = 50
SEARCH_BUFFER = "(search)"  # not a nick or a room name: it cannot clash with either


@dataclass
class Request:
    buffer: Buffer
    subcommand: str             # LATEST, BEFORE, AROUND or BETWEEN
    limit: int
    floor: Line | None = None   # a catch-up goes after the last line seen...
    ceiling: Line | None = None  # ... and above the join line; an older page above the oldest
    live_from: float | None = None  # a catch-up: lines from the join on are seen live
    automatic: bool = False     # not asked by the user: its failure is not news
    pages: int = 1              # of a catch-up: this one and those before it


def timestamp(when: float) -> str:
    """A `timestamp=` reference: RFC 3339 UTC with milliseconds, as the spec writes it."""
    stamp = datetime.fromtimestamp(when, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def removed(line: Line, by: str, reason: str) -> str:
    """How a redacted line reads: who removed it when not its author, and why."""
    who = "" if casefold(by) == casefold(line.nick) or not by else f" by {by}"
    return f"(message removed{who}{': ' + reason if reason else ''})"


class History:
    def __init__(self, model: ClientModel) -> None:
        self.model = model
        self.outbox: list[Message] = []
        self._pending: list[Request] = []
        self._searches: list[str] = []      # what each search on its way asked, oldest first

    def has(self, cap: str) -> bool:
        return cap in self.model.caps

    def readable(self, buf: Buffer) -> bool:
        """Whether the server keeps history I may read here: a private chat's only
        while I am logged in (a nick alone proves nothing, so servers keep private
        history by account)."""
        return self.has("draft/chathistory") and (
            buf.kind != "query" or self.model.accounts.account is not None)

    def take(self) -> list[Message]:
        """What to send now (the session sends it)."""
        out, self.outbox = self.outbox, []
        return out

    def reset(self) -> None:
        """A new connection: what was asked on the old one will not be answered."""
        for request in self._pending:
            request.buffer.history.loading = False
        self._pending.clear()
        self._searches.clear()
        self.outbox.clear()

    def page(self) -> int:
        most = self.model.features.history_max
        return min(PAGE, most) if most > 0 else PAGE

    # --- asking -------------------------------------------------------------------

    def catch_up(self, buf: Buffer, join_line: Line | None = None) -> None:
        """What was said here that I have not seen: the latest page, or only what came
        after the newest line I have (a rejoin, a reconnect)."""
        if not self.readable(buf):
            return
        last = buf.newest()
        self._ask(Request(buf, "LATEST", self.page(), last, join_line,
                          join_line.time if join_line else None, automatic=True),
                  f"msgid={last.msgid}" if last else "*")

    def older(self, buf: Buffer) -> None:
        """The page before the oldest line shown (PgUp at the top), until none is left."""
        state = buf.history
        if not self.readable(buf) or buf.kind not in ("room", "query") \
                or state.loading or state.beginning:
            return
        oldest = buf.oldest()
        if oldest is None and not buf.lines:
            self._ask(Request(buf, "LATEST", self.page()), "*")
            return
        ref = f"msgid={oldest.msgid}" if oldest else f"timestamp={timestamp(buf.lines[0].time)}"
        self._ask(Request(buf, "BEFORE", self.page(), ceiling=oldest), ref)

    def _ask(self, request: Request, *refs: str) -> None:
        self._pending.append(request)
        request.buffer.history.loading = True
        self.outbox.append(Message("CHATHISTORY", [request.subcommand, request.buffer.name,
                                                   *refs, str(request.limit)]))

    def _fill_gap(self, request: Request, low: Line, high: Line) -> None:
        """A catch-up page came back full: ask for what lies between the last line seen
        and that page (`BETWEEN` gives the oldest first), page by page until one comes
        back short, as the spec's client pseudocode does; past GAP_PAGES, say so."""
        buf = request.buffer
        if request.pages >= GAP_PAGES:
            buf.insert(Line("status", "More was said while you were away than is loaded "
                                      "here: /search finds it", time=high.time), low, high)
            return
        self._ask(Request(buf, "BETWEEN", request.limit, low, high, automatic=True,
                          pages=request.pages + 1), f"msgid={low.msgid}", f"msgid={high.msgid}")

    def search(self, words: str, room: str | None, nick: str | None) -> str | None:
        """Ask for messages matching; None, or why it cannot be done."""
        if not self.has("soju.im/search"):
            return "This server does not offer search"
        given = {"text": words, "in": room or "", "from": nick or ""}
        attributes = [f"{key}={value}" for key, value in given.items() if value]
        # Written like tag values: the server unescapes `\:` (;) and `\\` (\).
        escaped = [a.replace("\\", "\\\\").replace(";", "\\:") for a in attributes]
        scope = [f"{key} {value}" for key, value in given.items() if key != "text" and value]
        self._searches.append(" ".join([words, *scope]).strip())
        self.outbox.append(Message("SEARCH", [";".join([*escaped, f"limit={SEARCH_LIMIT}"])]))
        return None

    def goto(self, number: int | None) -> str | None:
        """Open search result `number` (1-based; None: the selected one) in its room or
        private chat, scrolled to it, with what was said around it."""
        results = self.model.find(SEARCH_BUFFER, "search")
        if results is None or not results.results:
            return "No search results to open: /search words first"
        index = results.selected if number is None else number - 1
        if not 0 <= index < len(results.results):
            return f"No result {number}: there are {len(results.results)}"
        results.selected = index
        result = results.results[index]
        buf = self.model.ensure(result.target)
        buf.history.jump_to = buf.history.found = result.msgid
        self.model.show(buf)
        if result.msgid not in buf.msgids and self.has("draft/chathistory"):
            self._ask(Request(buf, "AROUND", self.page()), f"msgid={result.msgid}")
        return None

    def redact(self, buf: Buffer, number: int, reason: str) -> str | None:
        """Remove my `number`-th message here, counted back from the last (1)."""
        if not self.has("draft/message-redaction"):
            return "This server cannot remove messages"
        own = buf.own_lines()
        if not own:
            return "You have no message here to remove"
        if not 1 <= number <= len(own):
            return f"No message {number}: you have {len(own)} here (1 is your last)"
        self.outbox.append(Message("REDACT", [buf.name, own[number - 1].msgid,
                                              *([reason] if reason else [])]))
        return None

    # --- answers ------------------------------------------------------------------

    def apply_batch(self, batch: Batch) -> bool:
        """Apply a batch this module asked for; False for any other kind."""
        if batch.type == "chathistory":
            self._history(batch)
        elif batch.type == "soju.im/search":
            self._results(batch)
        else:
            return False
        return True

    def _take(self, target: str | None) -> Request | None:
        """The oldest request pending for `target` (None: the oldest of all)."""
        key = casefold(target) if target else None
        for request in self._pending:
            if key is None or request.buffer.key == key:
                self._pending.remove(request)
                buf = request.buffer
                buf.history.loading = any(r.buffer is buf for r in self._pending)
                return request
        return None

    def _history(self, batch: Batch) -> None:
        target = batch.params[0] if batch.params else ""
        request = self._take(target)
        buf = request.buffer if request is not None else self.model.find(target)
        if request is None or buf not in self.model.buffers:
            return   # not asked for, or its buffer was closed meanwhile
        messages = batch.messages()
        added, first, last = self._place(request, [
            line for line in map(self.line, messages) if line is not None
            and (request.live_from is None or line.time < request.live_from)])
        for msg in messages:
            if msg.command == "REDACT":
                self.apply_redact(msg, buf)
        sub, full = request.subcommand, len(messages) >= request.limit
        if full and request.floor is not None and first and last and first.msgid and last.msgid:
            if sub == "LATEST":
                self._fill_gap(request, request.floor, first)     # the newest page came
            elif sub == "BETWEEN" and request.ceiling is not None:
                self._fill_gap(request, last, request.ceiling)    # the oldest page came
        if (sub == "BEFORE" and (not full or not added)) or \
                (sub == "LATEST" and request.floor is None and not full):
            buf.history.beginning = True
        self.model.markers.recount(buf)     # what came may be older than the read marker

    def _place(self, request: Request, lines: list[Line]) -> tuple[int, Line | None, Line | None]:
        """Insert a batch's lines in the server's order: each after the one before it and
        before the next one already shown (an overlap with what is here). Returns how
        many were new, and the first and last of them as they are here now."""
        buf = request.buffer
        ceilings, ceiling = [], request.ceiling
        for line in reversed(lines):
            ceilings.append(ceiling)
            ceiling = buf.line_with(line.msgid) or ceiling
        added, floor, first = 0, request.floor, None
        for line, ceiling in zip(lines, reversed(ceilings), strict=True):
            placed, new = buf.insert(line, floor, ceiling)
            added += new
            if placed is not None:
                floor, first = placed, first or placed
        return added, first, floor if first is not None else None

    def line(self, msg: Message) -> Line | None:
        """A history line: dimmed, at its own time, mine when I sent it."""
        when = message_time(msg) or time.time()
        nick, msgid = nick_of(msg.source), msg.tags.get("msgid", "")
        said = spoken(msg) if msg.command in ("PRIVMSG", "NOTICE") else None
        if said is not None:
            return Line(said[0], said[1], nick, own=self.model.is_me(nick), time=when,
                        msgid=msgid, history=True)
        text = event_sentence(msg, self.model.nick)
        return None if text is None else Line("status", text, time=when, msgid=msgid,
                                              history=True)

    def failed(self, msg: Message) -> bool:
        """`FAIL CHATHISTORY <code> [<subcommand> <target>...] :text` ends its request;
        True when the user need not hear of it. A catch-up from a msgid the server no
        longer knows asks again for the latest page (dedupe keeps lines from repeating);
        a target the server keeps no history of (INVALID_TARGET: a private chat, today)
        is not asked again."""
        names = {casefold(p) for p in msg.params[2:-1]}
        target = next((r.buffer.name for r in self._pending if r.buffer.key in names), None)
        request = self._take(target)
        if request is None:
            return False
        if msg.params[1:2] == ["INVALID_TARGET"]:
            request.buffer.history.beginning = True
        elif request.automatic and request.floor is not None:
            self._ask(Request(request.buffer, "LATEST", request.limit, None, request.ceiling,
                              request.live_from, automatic=True), "*")
        return request.automatic

    def _results(self, batch: Batch) -> None:
        """One search buffer, refilled by each search, its newest result selected."""
        query = self._searches.pop(0) if self._searches else ""
        buf = self.model.find(SEARCH_BUFFER, "search")
        if buf is None:
            buf = Buffer(SEARCH_BUFFER, "search")
            self.model.buffers.append(buf)
        buf.lines.clear()
        buf.msgids.clear()
        buf.results = []
        for msg in batch.messages():
            said, nick = spoken(msg), nick_of(msg.source)
            if said is None:
                continue
            target = msg.params[0]
            if not is_room_name(target) and self.model.is_me(target):
                target = nick                 # a private message to me: the chat with them
            buf.results.append(SearchResult(target, msg.tags.get("msgid", "")))
            buf.append(Line("result", said[1], nick, own=self.model.is_me(nick),
                            time=message_time(msg) or time.time(),
                            msgid=msg.tags.get("msgid", ""),
                            label=f"{len(buf.results)} {target}"))
        count = len(buf.results)
        buf.lines.appendleft(Line("info", f"Search for '{query}': " + (
            f"{count} message{'s' * (count != 1)} (Up/Down, Enter or /goto N opens one)"
            if count else "nothing found")))
        buf.selected = max(0, count - 1)
        self.model.show(buf)

    def apply_redact(self, msg: Message, buf: Buffer | None = None) -> None:
        """`REDACT <target> <msgid> [:reason]` from anyone: that line shows as removed.
        A msgid not in that conversation is ignored, as the spec asks."""
        if len(msg.params) < 2:
            return
        by, target = nick_of(msg.source), msg.params[0]
        if buf is None:
            if not is_room_name(target) and self.model.is_me(target):
                target = by                   # they removed a line of our private chat
            buf = self.model.find(target)
        if buf is not None:
            reason = msg.params[2] if len(msg.params) > 2 else ""
            buf.redact(msg.params[1], lambda line: removed(line, by, reason))
