"""The client's state: buffers, members, topics, unread counts, the current buffer.

A plain object fed with parsed `Message`s (`feed`) and with what the user does
(`add_own`, `switch`, `close`, ...). It knows nothing of terminals or sockets, so the
tests drive it with IRC lines. The view reads it; nothing here redraws anything.
Server replies that have no better home (errors, WHOIS, LIST, ...) land in the
current buffer, where the user just typed the command that caused them.

Lines in a batch wait until it closes (`batches`); history, search results and
redactions are `history`'s business, accounts (mine, others', rooms' owners) are
`accounts`' and read markers `markers`': each of these parts has `on_<command>`
handlers, called after the model's own, and an outbox of what it wants to ask the
server, which the session sends (`take`): the model itself still never sends anything.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

from ..protocol import Message, casefold, is_room_name, number
from .accounts import Accounts
from .batches import Batch, BatchCollector
from .buffers import TALK, Buffer, BufferList, Line, Member
from .cap_negotiation import message_time
from .history import History
from .isupport import Features
from .readmarkers import ReadMarkers
from .secrecy import secret_message
from .sentences import describe_numeric, event_sentence, nick_of, spoken

__all__ = ["TALK", "Buffer", "ClientModel", "Line", "Member", "nick_of"]


class ClientModel(BufferList):
    def __init__(self, nick: str, server_label: str = "server") -> None:
        super().__init__(server_label)
        self.nick = nick
        self.own_source = ""          # nick!user@host, learned from 001 and JOIN echoes
        self.registered = False
        self.connection = "disconnected"
        self.password_prompt: str | None = None   # the input line asks a password (hidden)
        self.caps: set[str] = set()           # this connection's, from CAP ACK
        self.features = Features()            # PREFIX, CHANMODES, CHATHISTORY, from 005
        self.known_rooms: dict[str, str] = {}  # casefolded -> name, from LIST and joins
        self.history = History(self)
        self.accounts = Accounts(self)
        self.markers = ReadMarkers(self)
        self.batches = BatchCollector()
        self._focus_on_join: set[str] = set()
        self._names: dict[str, dict[str, Member]] = {}   # NAMES replies being collected
        self._joining: set[str] = set()     # rooms whose join burst (topic, names) is on its way

    # --- buffers ------------------------------------------------------------------

    def ensure(self, name: str) -> Buffer:
        """The buffer for a room or nick; a new private chat asks for its history."""
        known = self.find(name)
        buf = super().ensure(name)
        if known is None and buf.kind == "query":
            self.query_opened(buf)
        return buf

    def query_opened(self, buf: Buffer) -> None:
        """A private chat opened (or a new connection, or a login, made its history
        mine to read): what was said, and where I stopped reading."""
        self.history.catch_up(buf)
        self.markers.ask(buf)

    def take(self, now: float | None = None) -> list[Message]:
        """What the model's parts want sent now (the session sends it)."""
        self.accounts.due()
        out = [*self.history.take(), *self.accounts.outbox, *self.markers.outbox,
               *self.markers.due(now)]
        self.accounts.outbox.clear()
        self.markers.outbox.clear()
        return out

    def open_query(self, nick: str) -> None:
        self.show(self.ensure(nick))

    def focus_on_join(self, rooms: list[str]) -> None:
        """Switch to these rooms when the server confirms the join (the user asked)."""
        self._focus_on_join.update(casefold(r) for r in rooms)

    def rooms_to_rejoin(self) -> list[str]:
        return [b.name for b in self.buffers if b.kind == "room" and b.wanted]

    def member_nicks(self) -> list[str]:
        """Everyone I share a room with, and my private chats."""
        nicks = {m.nick for b in self.buffers for m in b.members.values()}
        nicks.update(b.name for b in self.buffers if b.kind == "query")
        return sorted(nicks, key=casefold)

    # --- adding lines -------------------------------------------------------------

    def add_own(self, target: str, text: str, kind: str = "message", msgid: str = "") -> None:
        """Show what I sent: at once, or as the server echoes it back (echo-message)."""
        buf = self.ensure(target)
        self.add(buf, Line(kind, text, self.nick, own=True, msgid=msgid))
        if buf is not self.buffer:
            self.note(f"-> {target}: {text}", "status")

    def set_connection(self, state: str, detail: str = "") -> None:
        """Track the link; a drop is told once in the current buffer, and each retry
        only in the server buffer (a long outage must not flood the conversation)."""
        was_up = self.connection == "connected"
        self.connection = state
        if state == "connected":
            return
        self.caps.clear()             # a new connection negotiates afresh
        self.batches.reset()
        self.history.reset()
        self.accounts.reset()
        self.markers.outbox.clear()
        self.registered = False
        if state == "connecting":
            return
        for buf in self.buffers:
            if buf.kind == "room" and buf.joined:
                buf.joined = False
                buf.members.clear()
        text = detail or state.capitalize()
        self.add(self.server, Line("error", text))
        if was_up and self.buffer is not self.server:
            self.note(text, "error")

    def mentions_me(self, text: str) -> bool:
        word = r"[\w\[\]\\`^{|}-]"  # a character that may be part of a nick
        pattern = rf"(?<!{word})" + re.escape(casefold(self.nick)) + rf"(?!{word})"
        return re.search(pattern, casefold(text)) is not None

    def is_me(self, nick: str) -> bool:
        return casefold(nick) == casefold(self.nick)

    # --- feeding ------------------------------------------------------------------

    def feed(self, msg: Message) -> None:
        """Apply one message from the server, or the batch it closes."""
        for item in self.batches.feed(msg):
            if not isinstance(item, Batch):
                self._apply(item)
            elif not self.history.apply_batch(item):
                for inner in item.messages():   # a batch type we do not know: as live
                    self._apply(inner)

    def _apply(self, msg: Message) -> None:
        """Its lines carry its server-time tag, if it has a valid one, else the time of
        receipt."""
        handler: Callable[[Message], None] | None = getattr(
            self, f"_on_{msg.command.lower()}", None)
        self.stamp = message_time(msg)
        try:
            if handler is not None:
                handler(msg)
            elif msg.command.isdigit():
                self._numeric(msg)
            for part in (self.accounts, self.markers):
                also: Callable[[Message], None] | None = getattr(
                    part, f"on_{msg.command.lower()}", None)
                if also is not None:
                    also(msg)
        finally:
            self.stamp = None

    def _rooms_with(self, nick: str) -> Iterator[Buffer]:
        key = casefold(nick)
        return (b for b in self.buffers if b.kind == "room" and key in b.members)

    def _event(self, buf: Buffer, msg: Message) -> None:
        text = event_sentence(msg, self.nick)
        if text is not None:
            self.add(buf, Line("status", text))

    def _on_join(self, msg: Message) -> None:
        nick, room = nick_of(msg.source), msg.params[0] if msg.params else ""
        if not room:
            return
        buf = self.ensure(room)
        self.known_rooms[buf.key] = buf.name
        self._event(buf, msg)
        if not self.is_me(nick):
            buf.members[casefold(nick)] = Member(nick)
            return
        self.own_source = msg.source or self.own_source
        buf.name, buf.joined, buf.wanted = room, True, True
        buf.members = {casefold(nick): Member(nick)}
        self._joining.add(buf.key)
        self.history.catch_up(buf, buf.lines[-1])
        if buf.key in self._focus_on_join:
            self._focus_on_join.discard(buf.key)
            self.show(buf)

    def _left(self, buf: Buffer, nick: str, msg: Message) -> None:
        if self.is_me(nick):
            buf.joined = buf.wanted = False
            buf.members.clear()
        else:
            buf.members.pop(casefold(nick), None)
        self._event(buf, msg)

    def _on_part(self, msg: Message) -> None:
        buf = self.find(msg.params[0]) if msg.params else None
        if buf is not None:
            self._left(buf, nick_of(msg.source), msg)

    def _on_kick(self, msg: Message) -> None:
        buf = self.find(msg.params[0]) if len(msg.params) > 1 else None
        if buf is not None:
            self._left(buf, msg.params[1], msg)

    def _on_quit(self, msg: Message) -> None:
        nick = nick_of(msg.source)
        for buf in list(self._rooms_with(nick)):
            self._left(buf, nick, msg)
        query = self.find(nick, "query")
        if query is not None:
            self._event(query, msg)

    def _on_nick(self, msg: Message) -> None:
        old, new = nick_of(msg.source), msg.params[0] if msg.params else ""
        if not new:
            return
        me, text = self.is_me(old), event_sentence(msg, self.nick) or ""
        touched = list(self._rooms_with(old))
        for buf in touched:
            member = buf.members.pop(casefold(old))
            member.nick = new            # modes and away stay with the person
            buf.members[casefold(new)] = member
        query = self.find(old, "query")
        if query is not None and self.find(new) in (None, query):
            query.name = new
            touched.append(query)
        if me:
            self.nick = new
            self.own_source = new + self.own_source[len(old):] if self.own_source else ""
            if self.buffer not in touched:
                touched.append(self.buffer)
        for buf in touched:
            self.add(buf, Line("status", text))

    def _on_topic(self, msg: Message) -> None:
        buf = self.find(msg.params[0]) if msg.params else None
        if buf is not None:
            buf.topic = msg.params[1] if len(msg.params) > 1 else ""
            self._event(buf, msg)

    def _on_mode(self, msg: Message) -> None:
        buf = self.find(msg.params[0], "room") if msg.params else None
        if buf is None or len(msg.params) < 2:
            return   # user modes (MODE alice +i) have no buffer to show in
        for change in self.features.mode_changes(msg.params[1], msg.params[2:]):
            member = buf.members.get(casefold(change.param or "")) \
                if change.letter in self.features.prefix_modes else None
            if member is not None and change.adding:
                member.modes.add(change.letter)
            elif member is not None:
                member.modes.discard(change.letter)
        self._event(buf, msg)

    def _on_privmsg(self, msg: Message) -> None:
        said = spoken(msg)
        if said is None:
            return   # too short, or a CTCP request (VERSION, PING): not shown
        kind, text = said
        nick, target, msgid = nick_of(msg.source), msg.params[0], msg.tags.get("msgid", "")
        if "!" not in (msg.source or "") and not is_room_name(target):
            self.add(self.server, Line("notice", text, nick))   # from the server itself
            return
        if self.is_me(nick) and "echo-message" in self.caps:
            if not secret_message(msg):       # IDENTIFY to NickServ: not in the scrollback
                self.add_own(target, text, kind, msgid)
            return
        if is_room_name(target):
            buf = self.ensure(target)
        elif kind == "notice" and self.find(nick) is None:
            buf = self.buffer    # a notice does not open a private chat
        else:
            buf = self._query_from(nick, text)
        highlight = buf.kind == "room" and self.mentions_me(text)
        self.add(buf, Line(kind, text, nick, highlight, msgid=msgid))

    def _query_from(self, nick: str, text: str) -> Buffer:
        """The private chat with `nick`; a new one is pointed out where the user is,
        with what was said (the user decides from it whether to switch)."""
        buf = self.find(nick)
        if buf is None:
            buf = self.ensure(nick)
            self.note(f"Private message from {nick}: {text} "
                      f"[buffer {len(self.buffers)}: Alt-{len(self.buffers)} or /buffer {nick}]",
                      "status")
        return buf

    def _on_notice(self, msg: Message) -> None:
        self._on_privmsg(msg)

    def _on_redact(self, msg: Message) -> None:
        self.history.apply_redact(msg)

    def _on_fail(self, msg: Message) -> None:
        """Standard replies: `FAIL <command> <code> [<context>...] :<description>`."""
        if (msg.params[:1] == ["CHATHISTORY"] and self.history.failed(msg)) \
                or self.accounts.hides(msg):
            return    # an automatic request's answer: nothing for the user
        if len(msg.params) >= 3:
            self.note(f"{msg.params[0]}: {msg.params[-1]}", "error")

    def _on_error(self, msg: Message) -> None:
        self.add(self.server, Line("error", msg.params[0] if msg.params else "ERROR"))

    def _on_invite(self, msg: Message) -> None:
        """An invitation to me, or (invite-notify) one my room's operators should see."""
        who, room = nick_of(msg.source), msg.params[-1]
        target = "you" if self.is_me(msg.params[0]) else msg.params[0]
        self.note(f"{who} invites {target} to {room}" + (f" (/join {room})" * (target == "you")))

    def _on_away(self, msg: Message) -> None:
        """away-notify: a member went away (with a reason) or came back (without)."""
        away = bool(msg.params and msg.params[0])
        for buf in self._rooms_with(nick_of(msg.source)):
            buf.members[casefold(nick_of(msg.source))].away = away

    def _on_cap(self, msg: Message) -> None:
        """The link negotiates; the model keeps what was granted, the user hears it."""
        sub, names = msg.params[1:2], msg.params[-1].split()
        if sub == ["ACK"]:
            self.caps.update(n for n in names if not n.startswith("-"))
            self.caps.difference_update(n[1:] for n in names if n.startswith("-"))
            if names:
                self.add(self.server, Line("info", f"Capabilities enabled: {' '.join(names)}"))
        elif sub == ["DEL"]:
            self.caps.difference_update(names)

    # --- numerics -----------------------------------------------------------------

    def _on_001(self, msg: Message) -> None:
        self.nick, self.registered = msg.params[0], True
        last = msg.params[-1].rsplit(" ", 1)[-1]
        if "!" in last and "@" in last:
            self.own_source = last
        self._numeric(msg)
        for buf in self.buffers:      # rooms catch up as they are joined again
            if buf.kind == "query":
                self.query_opened(buf)

    def _on_005(self, msg: Message) -> None:
        self.features.apply_005(msg.params[1:-1])

    def _on_332(self, msg: Message) -> None:
        buf = self.ensure(msg.params[1])
        buf.topic = msg.params[2]
        self.add(buf, Line("status", f"Topic: {buf.topic}"))

    def _on_331(self, msg: Message) -> None:
        buf = self.ensure(msg.params[1])
        buf.topic = ""
        self.add(buf, Line("status", "No topic is set"))

    def _on_333(self, msg: Message) -> None:
        stamp = number(msg.params[3]) if len(msg.params) > 3 else None
        if stamp is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
            self.add(self.ensure(msg.params[1]),
                     Line("status", f"Set by {nick_of(msg.params[2])} on {when}"))

    def _on_353(self, msg: Message) -> None:
        """One line of NAMES: `@+alice` (multi-prefix), `bob!~b@host` (userhost-in-names)."""
        if len(msg.params) < 3:
            return
        collected = self._names.setdefault(casefold(msg.params[-2]), {})
        for item in msg.params[-1].split():
            nick, modes = self.features.names_entry(item)
            if nick:
                collected[casefold(nick)] = Member(nick, modes)

    def _on_366(self, msg: Message) -> None:
        """End of NAMES: a join burst updates the member list quietly; a NAMES the
        user asked for is also shown."""
        room = msg.params[1]
        collected = self._names.pop(casefold(room), {})
        buf = self.find(room)
        if buf is not None and buf.joined:
            buf.members = collected
        if casefold(room) in self._joining:
            self._joining.discard(casefold(room))
            return
        listing = Buffer(room, "room", members=collected).sorted_members(self.features)
        self.note(f"Members of {room} ({len(listing)}): "
                  + " ".join(self.features.sign(m.modes) + m.nick for m in listing))

    def _on_322(self, msg: Message) -> None:
        self.known_rooms[casefold(msg.params[1])] = msg.params[1]
        self._numeric(msg)

    def _numeric(self, msg: Message) -> None:
        if (msg.command in ("421", "451") and msg.params[1:2] == ["CAP"] and not self.registered) \
                or self.accounts.hides(msg):
            return   # refused what the link or the model asked, not the user
        kind, text, where = describe_numeric(msg, self.nick)
        if text is not None:
            self.add(self.server if where == "server" or self.buffer is self.server else
                     self.buffer, Line(kind, text))
