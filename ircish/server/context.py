"""What a command handler gets: the user it runs for, the server, and a reply API.

Handlers never touch sockets: everything they send goes through `reply`/`send`, which
only queue bytes on an outbox (see `outbox.py`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from ..protocol import Message
from .errors import IrcError
from .replies import numeric_line, numeric_lines

if TYPE_CHECKING:
    from .config import Settings
    from .connection import Connection
    from .server import Server


T = TypeVar("T")


class Context:
    __slots__ = ("server", "conn", "user", "message")

    def __init__(self, server: Server, conn: Connection) -> None:
        self.server = server
        self.conn = conn
        self.user = conn.user
        self.message: Message | None = None

    @property
    def settings(self) -> Settings:
        return self.server.settings

    def reply(self, numeric: str, *params: str) -> None:
        """A numeric to this user: `:<server> <numeric> <nick> <params…>`."""
        self.user.send(numeric_line(self.server.settings.server_name, self.user.nick, numeric,
                                    *params))

    def reply_list(self, numeric: str, *params: str, items: Iterable[str],
                   sep: str = " ") -> None:
        """`numeric` replies carrying `items` joined by `sep` in their text, packed into
        as few lines as the line limit allows (none for no items)."""
        for line in numeric_lines(self.server.settings.server_name, self.user.nick, numeric,
                                  *params, items=items, sep=sep):
            self.user.send(line)

    def send(self, msg: Message, force_trailing: bool = False) -> None:
        self.user.send(msg.to_bytes(force_trailing))

    def each(self, items: Iterable[T], action: Callable[[T], None],
             quiet: bool = False) -> None:
        """Run `action` on each target of a list parameter (`#a,#b`): an error on one
        is answered (unless `quiet`) and the others still run."""
        for item in items:
            try:
                action(item)
            except IrcError as exc:
                if not quiet:
                    self.reply(exc.numeric, *exc.reply_params())
