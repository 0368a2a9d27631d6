"""The glue between what the user types, the model and the link to the server.

`Session.submit` runs typed text (several lines when pasted) through the command
interpreter and carries out the actions; `Session.handle` applies what the link
delivers; `load_older` is PgUp at the top of a buffer; `tick` (every second) marks
what is on screen as read. All run on the UI thread only, so the model needs no locks.
After each, what the model's parts want to ask the server (catch-ups, older pages,
searches, read markers, a room's owner) is sent. Logging in, registering and logging
out from inside are `login`'s (with its hidden password prompt: while it is open, a
typed line is the password and nothing else). No terminal here either: the view calls
these methods and redraws.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..protocol import Message, split_list
from . import slash as C
from .buffers import Line
from .link import LinkEvent, LinkNote, LinkState
from .login import LoginFlow
from .model import ClientModel
from .outgoing import messages_for
from .sasl import Credentials
from .secrecy import secret_message


class Link(Protocol):
    def send(self, msg: Message) -> bool: ...
    def remember(self, credentials: Credentials | None) -> None: ...
    def reconnect(self, reason: str) -> None: ...


class Session:
    def __init__(self, model: ClientModel, link: Link, catalog: C.Catalog,
                 autojoin: list[str], on_quit: Callable[[str], None]) -> None:
        self.model = model
        self.link = link
        self.catalog = catalog
        self.autojoin = autojoin
        self.on_quit = on_quit
        self.login = LoginFlow(model, self.send, link)
        model.focus_on_join(autojoin[:1])

    # --- from the server ----------------------------------------------------------

    def handle(self, event: LinkEvent) -> None:
        if isinstance(event, LinkState):
            self.model.set_connection(event.state, event.detail)
            return
        if isinstance(event, LinkNote):
            self.model.add(self.model.server, Line("error", event.text))
            return
        self.model.feed(event)
        self.login.handle(event)
        if event.command == "001":
            # --join counts for the first welcome; after a reconnect, the rooms I was in.
            rooms = list(dict.fromkeys(self.autojoin + self.model.rooms_to_rejoin()))
            self.autojoin = []
            if rooms:
                self.send(Message("JOIN", [",".join(rooms)]))
        self.flush()

    def load_older(self) -> None:
        """Older history for the current buffer (PgUp at its top), if there is any."""
        self.model.history.older(self.model.buffer)
        self.flush()

    def tick(self, at_bottom: bool, now: float | None = None) -> None:
        """Every second: the buffer on screen, at its bottom, has been read."""
        if at_bottom:
            self.model.markers.seen(self.model.buffer)
        self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Send what the model's parts asked for (nothing, without their capabilities)."""
        for msg in self.model.take(now):
            self.send(msg)

    # --- from the user ------------------------------------------------------------

    def submit(self, text: str) -> None:
        """Each line of the input is one message or command (pasting sends several);
        at the password prompt, the whole input is the password."""
        if self.login.asking is not None:
            self.login.password(text)
            self.flush()
            return
        for line in text.splitlines() or [""]:     # Enter alone opens a search result
            for action in C.interpret(line, self.where(), self.catalog):
                self.apply(action)
        self.flush()

    def where(self) -> C.Where:
        buf = self.model.buffer
        return C.Where(buf.name if buf.kind in ("room", "query") else None, buf.kind)

    def apply(self, action: C.Action) -> None:
        model = self.model
        if isinstance(action, C.Say):
            source = model.own_source or f"{model.nick}!~{model.nick[:10]}@{'h' * 63}"
            for piece, msg in messages_for(action, source):
                if not self.send(msg):
                    continue
                if secret_message(msg):     # its echo is not shown either
                    model.note(f"Sent to {action.target} (not shown: it holds a password)")
                elif "echo-message" not in model.caps:   # else: its echo
                    model.add_own(action.target, piece, action.kind)
        elif isinstance(action, C.Send):
            if action.message.command == "JOIN" and action.message.params:
                self._join(action.message)
            elif self.send(action.message):
                model.accounts.sent(action.message)
        elif isinstance(action, C.AskPassword):
            self.login.ask(action)
        elif isinstance(action, C.Logout):
            self.login.logout()
        elif isinstance(action, C.OpenQuery):
            model.open_query(action.nick)
        elif isinstance(action, C.CloseBuffer):
            self._close(action.name)
        elif isinstance(action, C.SwitchTo):
            self._switch(action)
        elif isinstance(action, (C.Search, C.Goto, C.Redact)):
            self._history(action)
        elif isinstance(action, (C.Info, C.Error)):
            model.note(action.text, "error" if isinstance(action, C.Error) else "info")
        elif isinstance(action, C.Quit):
            self.on_quit(action.reason)

    def send(self, msg: Message) -> bool:
        if self.link.send(msg):
            return True
        shown = msg.command if secret_message(msg) else msg.to_line()
        self.model.note(f"Not sent, the connection is down: {shown}", "error")
        return False

    def _join(self, msg: Message) -> None:
        """`/join` a room I am in just shows it; the others get the focus once joined."""
        rooms = split_list(msg.params[0])
        joined = [b for b in map(self.model.find, rooms) if b is not None and b.joined]
        if joined:
            self.model.show(joined[-1])
        todo = [r for r in rooms if self.model.find(r) not in joined]
        if todo or len(msg.params) > 1:    # with keys, send as typed: keys pair with rooms
            self.model.focus_on_join(rooms)
            self.send(msg if len(msg.params) > 1 else Message("JOIN", [",".join(todo)]))

    def _close(self, name: str | None) -> None:
        buf = self.model.buffer if name is None else self.model.find(name)
        if buf is None:
            self.model.note(f"No buffer named {name}", "error")
        elif buf.kind == "server":
            self.model.note("The server buffer stays; /quit to leave", "error")
        else:
            if buf.kind == "room" and buf.joined:
                self.send(Message("PART", [buf.name]))
            self.model.close(buf)

    def _switch(self, action: C.SwitchTo) -> None:
        model = self.model
        if action.index is not None and not model.switch(action.index - 1):
            model.note(f"No buffer {action.index}: there are {len(model.buffers)}", "error")
        elif action.name is not None and not model.switch_to(action.name):
            model.note(f"No buffer matches {action.name!r} (/join a room, /query someone)", "error")

    def _history(self, action: C.Search | C.Goto | C.Redact) -> None:
        history = self.model.history
        if isinstance(action, C.Search):
            error = history.search(action.words, action.room, action.nick)
        elif isinstance(action, C.Goto):
            error = history.goto(action.number)
        else:
            error = history.redact(self.model.buffer, action.number, action.reason)
        if error is not None:
            self.model.note(error, "error")
