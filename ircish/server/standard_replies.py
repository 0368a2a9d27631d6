"""IRCv3 standard replies (`FAIL`, `WARN`, `NOTE`) and `SUCCESS`: how a command that
speaks them answers. A command raises `Fail`; `failures(ctx)` around its body sends it,
once. Used by CHATHISTORY, REDACT, SEARCH and the account commands (REGISTER, VERIFY,
ACCOUNT, ROOM), whose specs word their errors this way rather than as numerics."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..protocol import Message

if TYPE_CHECKING:
    from .context import Context


class Fail(Exception):
    """A standard reply ending a command: `FAIL <command> <code> <context...> :<text>`.
    Context taken from the client's input goes through `safe` first."""

    def __init__(self, command: str, code: str, *context: str, text: str) -> None:
        super().__init__(command, code, *context, text)
        self.command = command
        self.code = code
        self.context = context
        self.text = text

    def send(self, ctx: Context) -> None:
        msg = Message("FAIL", [self.command, self.code, *self.context, self.text],
                      source=ctx.settings.server_name)
        ctx.send(msg, force_trailing=True)


@contextmanager
def failures(ctx: Context) -> Iterator[None]:
    """Send a `Fail` raised in the block as the command's answer."""
    try:
        yield
    except Fail as fail:
        fail.send(ctx)


def safe(param: str) -> str:
    """A parameter the client gave, fit to be repeated as a middle parameter: `*` for
    one that is empty, has a space or starts with ':' (the last parameter may), and
    never more than 64 characters (ergo's SafeErrorParam)."""
    if not param or " " in param or param.startswith(":"):
        return "*"
    return param[:64]


def standard_reply(ctx: Context, kind: str, command: str, code: str, *context: str,
                   text: str) -> None:
    """`NOTE`/`WARN`/`SUCCESS <command> <code> <context...> :<text>` to this client."""
    msg = Message(kind, [command, code, *context, text], source=ctx.settings.server_name)
    ctx.send(msg, force_trailing=True)


__all__ = ["Fail", "failures", "safe", "standard_reply"]
