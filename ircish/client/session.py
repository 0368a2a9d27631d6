"""The glue between what the user types, the model and the link to the server.

`Session.submit` runs typed text (several lines when pasted) through the command
interpreter and carries out the actions; `Session.handle` applies what the link
delivers. Both run on the UI thread only, so the model needs no locks. No terminal
here either: the view calls these two methods and redraws.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..protocol import Message, split_list
from . import slash as C
from .link import LinkEvent, LinkState
from .model import ClientModel


class Link(Protocol):
    def send(self, msg: Message) -> bool: ...


class Session:
    def __init__(self, model: ClientModel, link: Link, catalog: C.Catalog,
                 autojoin: list[str], on_quit: Callable[[str], None]) -> None:
        self.model = model
        self.link = link
        self.catalog = catalog
        self.autojoin = autojoin
        self.on_quit = on_quit
        model.focus_on_join(autojoin[:1])

    # --- from the server ----------------------------------------------------------

    def handle(self, event: LinkEvent) -> None:
        if isinstance(event, LinkState):
            self.model.set_connection(event.state, event.detail)
            return
        self.model.feed(event)
        if event.command == "001":
            # --join counts for the first welcome; after a reconnect, the rooms I was in.
            rooms = list(dict.fromkeys(self.autojoin + self.model.rooms_to_rejoin()))
            self.autojoin = []
            if rooms:
                self.send(Message("JOIN", [",".join(rooms)]))

    # --- from the user ------------------------------------------------------------

    def submit(self, text: str) -> None:
        """Each line of the input is one message or command (pasting sends several)."""
        for line in text.splitlines():
            for action in C.interpret(line, self.where(), self.catalog):
                self.apply(action)

    def where(self) -> C.Where:
        buf = self.model.buffer
        return C.Where(None if buf.kind == "server" else buf.name, buf.kind)

    def apply(self, action: C.Action) -> None:
        model = self.model
        if isinstance(action, C.Say):
            source = model.own_source or f"{model.nick}!~{model.nick[:10]}@{'h' * 63}"
            for piece, msg in C.messages_for(action, source):
                if self.send(msg):
                    model.add_own(action.target, piece, action.kind)
        elif isinstance(action, C.Send):
            if action.message.command == "JOIN" and action.message.params:
                self._join(action.message)
            else:
                self.send(action.message)
        elif isinstance(action, C.OpenQuery):
            model.open_query(action.nick)
        elif isinstance(action, C.CloseBuffer):
            self._close(action.name)
        elif isinstance(action, C.SwitchTo):
            self._switch(action)
        elif isinstance(action, (C.Info, C.Error)):
            model.note(action.text, "error" if isinstance(action, C.Error) else "info")
        elif isinstance(action, C.Quit):
            self.on_quit(action.reason)

    def send(self, msg: Message) -> bool:
        if self.link.send(msg):
            return True
        self.model.note(f"Not sent, the connection is down: {msg.to_line()}", "error")
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
