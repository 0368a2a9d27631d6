"""Fitting what the user says into IRC lines: a long text becomes several PRIVMSGs,
each within the 512-byte limit *as the server relays it* (with my full source in
front), split at spaces so that nothing is cut or lost.
"""
from __future__ import annotations

from ..protocol import MAX_LINE, Message
from .slash import Say

CTCP_ACTION = ("\x01ACTION ", "\x01")


def text_budget(source: str, command: str, target: str, kind: str = "message") -> int:
    """Bytes of text that fit in one line as the server relays it to others, i.e. with
    `:nick!user@host COMMAND target :` in front and CRLF behind."""
    overhead = len(f":{source} {command} {target} :".encode()) + 2
    if kind == "action":
        overhead += len("".join(CTCP_ACTION))
    return MAX_LINE - overhead


def split_text(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` UTF-8 bytes, at spaces where possible
    (a word longer than a line is cut between characters). Nothing is dropped but the
    single space at each cut."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        head = rest.encode()[:limit].decode("utf-8", "ignore")
        cut = head.rfind(" ")
        if cut > 0:
            pieces.append(rest[:cut])
            rest = rest[cut + 1:]
        else:
            pieces.append(head)
            rest = rest[len(head):]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def messages_for(say: Say, source: str) -> list[tuple[str, Message]]:
    """The PRIVMSG/NOTICE lines that carry `say` whole, each within the line limit,
    with the piece of text each one carries (what the local echo shows)."""
    command_name = "NOTICE" if say.kind == "notice" else "PRIVMSG"
    out = []
    for piece in split_text(say.text, text_budget(source, command_name, say.target, say.kind)):
        text = piece.join(CTCP_ACTION) if say.kind == "action" else piece
        out.append((piece, Message(command_name, [say.target, text])))
    return out
