"""The client's state: buffers, members, topics, unread counts, the current buffer.

A plain object fed with parsed `Message`s (`feed`) and with what the user does
(`add_own`, `switch`, `close`, ...). It knows nothing of terminals or sockets, so the
tests drive it with IRC lines. The view reads it; nothing here redraws anything.
Server replies that have no better home (errors, WHOIS, LIST, ...) land in the
current buffer, where the user just typed the command that caused them.
"""
from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator

from ..protocol import Message, casefold, is_room_name, number
from .buffers import Buffer, Line, Member
from .cap_negotiation import message_time
from .isupport import Features
from .sentences import describe_numeric

__all__ = ["Buffer", "ClientModel", "Line", "Member", "nick_of"]

TALK = ("message", "action", "notice")   # line kinds that count as unread


def nick_of(source: str | None) -> str:
    return (source or "").split("!", 1)[0]


class ClientModel:
    def __init__(self, nick: str, server_label: str = "server") -> None:
        self.nick = nick
        self.own_source = ""          # nick!user@host, learned from 001 and JOIN echoes
        self.registered = False
        self.connection = "disconnected"
        self.features = Features()            # PREFIX and CHANMODES, from 005
        self.known_rooms: dict[str, str] = {}  # casefolded -> name, from LIST and joins
        self.buffers: list[Buffer] = [Buffer(server_label, "server")]
        self.current = 0
        self._focus_on_join: set[str] = set()
        self._names: dict[str, dict[str, Member]] = {}   # NAMES replies being collected
        self._joining: set[str] = set()     # rooms whose join burst (topic, names) is on its way
        self._stamp: float | None = None    # server-time of the message being fed

    # --- buffers ------------------------------------------------------------------

    @property
    def server(self) -> Buffer:
        return self.buffers[0]

    @property
    def buffer(self) -> Buffer:
        return self.buffers[self.current]

    def find(self, name: str) -> Buffer | None:
        key = casefold(name)
        return next((b for b in self.buffers if b.key == key and b.kind != "server"), None)

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

    def open_query(self, nick: str) -> None:
        self.show(self.ensure(nick))

    def close(self, buf: Buffer) -> None:
        """Drop a buffer (not the server's); the view moves to its left neighbour."""
        if buf.kind == "server":
            return
        index = self.buffers.index(buf)
        del self.buffers[index]
        if self.current >= index:
            self.switch(max(self.current - 1, 0))

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

    def add(self, buf: Buffer, line: Line) -> None:
        if self._stamp is not None:   # every line a message causes carries its time
            line = dataclasses.replace(line, time=self._stamp)
        buf.lines.append(line)
        if buf is not self.buffer and line.kind in TALK and not line.own:
            buf.unread += 1
            if line.highlight or buf.kind == "query":
                buf.mentions += 1

    def note(self, text: str, kind: str = "info") -> None:
        """A line for the user in the current buffer (command output, errors)."""
        self.add(self.buffer, Line(kind, text))

    def add_own(self, target: str, text: str, kind: str = "message") -> None:
        """Echo what I sent (the server does not send it back to me)."""
        buf = self.ensure(target)
        self.add(buf, Line(kind, text, self.nick, own=True))
        if buf is not self.buffer:
            self.note(f"-> {target}: {text}", "status")

    def set_connection(self, state: str, detail: str = "") -> None:
        """Track the link; a drop is told once in the current buffer, and each retry
        only in the server buffer (a long outage must not flood the conversation)."""
        was_up = self.connection == "connected"
        self.connection = state
        if state in ("connecting", "connected"):
            return
        self.registered = False
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

    # --- feeding ------------------------------------------------------------------

    def feed(self, msg: Message) -> None:
        """Apply one message from the server; its lines carry its server-time tag, if
        it has a valid one, else the time of receipt."""
        handler: Callable[[Message], None] | None = getattr(
            self, f"_on_{msg.command.lower()}", None)
        self._stamp = message_time(msg)
        try:
            if handler is not None:
                handler(msg)
            elif msg.command.isdigit():
                self._numeric(msg)
        finally:
            self._stamp = None

    def _is_me(self, nick: str) -> bool:
        return casefold(nick) == casefold(self.nick)

    def _rooms_with(self, nick: str) -> Iterator[Buffer]:
        key = casefold(nick)
        return (b for b in self.buffers if b.kind == "room" and key in b.members)

    def _on_join(self, msg: Message) -> None:
        nick, room = nick_of(msg.source), msg.params[0] if msg.params else ""
        if not room:
            return
        buf = self.ensure(room)
        self.known_rooms[buf.key] = buf.name
        if self._is_me(nick):
            self.own_source = msg.source or self.own_source
            buf.name, buf.joined, buf.wanted = room, True, True
            buf.members = {casefold(nick): Member(nick)}
            self._joining.add(buf.key)
            self.add(buf, Line("status", f"You joined {room}"))
            if buf.key in self._focus_on_join:
                self._focus_on_join.discard(buf.key)
                self.show(buf)
            return
        buf.members[casefold(nick)] = Member(nick)
        host = (msg.source or "").partition("!")[2]
        who = f"{nick} ({host})" if host else nick
        self.add(buf, Line("status", f"{who} joined {room}"))

    def _left(self, buf: Buffer, nick: str, text: str) -> None:
        if self._is_me(nick):
            buf.joined = buf.wanted = False
            buf.members.clear()
        else:
            buf.members.pop(casefold(nick), None)
        self.add(buf, Line("status", text))

    def _on_part(self, msg: Message) -> None:
        nick = nick_of(msg.source)
        buf = self.find(msg.params[0]) if msg.params else None
        if buf is not None:
            reason = f" ({msg.params[1]})" if len(msg.params) > 1 and msg.params[1] else ""
            who = "You" if self._is_me(nick) else nick
            self._left(buf, nick, f"{who} left {buf.name}{reason}")

    def _on_kick(self, msg: Message) -> None:
        buf = self.find(msg.params[0]) if len(msg.params) > 1 else None
        if buf is not None:
            victim, reason = msg.params[1], msg.params[2] if len(msg.params) > 2 else ""
            self._left(buf, victim, f"{victim} was kicked by {nick_of(msg.source)} ({reason})")

    def _on_quit(self, msg: Message) -> None:
        nick = nick_of(msg.source)
        reason = msg.params[0] if msg.params else ""
        text = f"{nick} quit ({reason})" if reason else f"{nick} quit"
        for buf in list(self._rooms_with(nick)):
            self._left(buf, nick, text)
        query = self.find(nick)
        if query is not None and query.kind == "query":
            self.add(query, Line("status", text))

    def _on_nick(self, msg: Message) -> None:
        old, new = nick_of(msg.source), msg.params[0] if msg.params else ""
        if not new:
            return
        me = self._is_me(old)
        text = f"You are now known as {new}" if me else f"{old} is now known as {new}"
        touched = list(self._rooms_with(old))
        for buf in touched:
            member = buf.members.pop(casefold(old))
            member.nick = new            # modes and away stay with the person
            buf.members[casefold(new)] = member
        query = self.find(old)
        if query is not None and query.kind == "query" and self.find(new) in (None, query):
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
            who = nick_of(msg.source)
            self.add(buf, Line("status", f"{who} changed the topic to: {buf.topic}"
                               if buf.topic else f"{who} cleared the topic"))

    def _on_mode(self, msg: Message) -> None:
        buf = self.find(msg.params[0]) if msg.params else None
        if buf is None or buf.kind != "room" or len(msg.params) < 2:
            return   # user modes (MODE alice +i) have no buffer to show in
        for change in self.features.mode_changes(msg.params[1], msg.params[2:]):
            member = buf.members.get(casefold(change.param or "")) \
                if change.letter in self.features.prefix_modes else None
            if member is not None and change.adding:
                member.modes.add(change.letter)
            elif member is not None:
                member.modes.discard(change.letter)
        self.add(buf, Line("status", f"{nick_of(msg.source)} sets mode {' '.join(msg.params[1:])}"))

    def _on_privmsg(self, msg: Message, kind: str = "message") -> None:
        if len(msg.params) < 2:
            return
        nick, (target, text) = nick_of(msg.source), msg.params[:2]
        if text.startswith("\x01"):
            verb, _, rest = text.strip("\x01").partition(" ")
            if verb.upper() != "ACTION":
                return   # other CTCP requests (VERSION, PING) are not shown
            kind, text = "action", rest
        if "!" not in (msg.source or "") and not is_room_name(target):
            self.add(self.server, Line("notice", text, nick))   # from the server itself
            return
        if is_room_name(target):
            buf = self.ensure(target)
        elif kind == "notice" and self.find(nick) is None:
            buf = self.buffer    # a notice does not open a private chat
        else:
            buf = self._query_from(nick)
        highlight = buf.kind == "room" and self.mentions_me(text)
        self.add(buf, Line(kind, text, nick, highlight))

    def _query_from(self, nick: str) -> Buffer:
        """The private chat with `nick`; a new one is pointed out where the user is."""
        buf = self.find(nick)
        if buf is None:
            buf = self.ensure(nick)
            self.note(f"Private message from {nick}: buffer {len(self.buffers)} "
                      f"(Alt-{len(self.buffers)} or /buffer {nick})", "status")
        return buf

    def _on_notice(self, msg: Message) -> None:
        self._on_privmsg(msg, "notice")

    def _on_error(self, msg: Message) -> None:
        self.add(self.server, Line("error", msg.params[0] if msg.params else "ERROR"))

    def _on_invite(self, msg: Message) -> None:
        """An invitation to me, or (invite-notify) one my room's operators should see."""
        who, room = nick_of(msg.source), msg.params[-1]
        target = "you" if self._is_me(msg.params[0]) else msg.params[0]
        self.note(f"{who} invites {target} to {room}" + (f" (/join {room})" * (target == "you")))

    def _on_away(self, msg: Message) -> None:
        """away-notify: a member went away (with a reason) or came back (without)."""
        away = bool(msg.params and msg.params[0])
        for buf in self._rooms_with(nick_of(msg.source)):
            buf.members[casefold(nick_of(msg.source))].away = away

    def _on_cap(self, msg: Message) -> None:
        """The link negotiates; the user only hears what was granted."""
        if msg.params[1:2] == ["ACK"] and msg.params[-1].strip():
            self.add(self.server, Line("info", f"Capabilities enabled: {msg.params[-1].strip()}"))

    # --- numerics -----------------------------------------------------------------

    def _on_001(self, msg: Message) -> None:
        self.nick, self.registered = msg.params[0], True
        last = msg.params[-1].rsplit(" ", 1)[-1]
        if "!" in last and "@" in last:
            self.own_source = last
        self._numeric(msg)

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
        if msg.command in ("421", "451") and msg.params[1:2] == ["CAP"] and not self.registered:
            return   # a server without CAP refused the link's negotiation, not the user
        kind, text, where = describe_numeric(msg, self.nick)
        if text is not None:
            self.add(self.server if where == "server" or self.buffer is self.server else
                     self.buffer, Line(kind, text))
