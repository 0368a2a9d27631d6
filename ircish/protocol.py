"""The IRC wire format, with no sockets in it (bytes in, messages out, and back).

Everything here is pure: framing a byte stream into lines, parsing a line into a
`Message` (IRCv3 tags, source, command, up to 15 params), serializing it back,
casefolding and name validation. The server and the client both build on it, and
its tests are tables of vectors (the community's `irc-parser-tests`).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

MAX_LINE = 512        # the message part, CRLF included (RFC 1459 §2.3)
MAX_TAGS = 8191       # IRCv3 message-tags: the tag part, '@' and the trailing space included
CLIENT_MAX_TAGS = 4096  # ... of what a client may send (4094 bytes of tag data)
MAX_PARAMS = 15


class ProtocolError(ValueError):
    """A line that cannot be parsed as an IRC message at all (no command)."""


# --- tags -------------------------------------------------------------------------

_TAG_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_TAG_ESCAPES = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


def unescape_tag_value(value: str) -> str:
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        # An unknown escape drops the backslash; a trailing lone backslash is dropped.
        out.append(_TAG_UNESCAPES.get(nxt, nxt))
    return "".join(out)


def escape_tag_value(value: str) -> str:
    return value.translate(_TAG_ESCAPES)


def parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if key:
            tags[key] = unescape_tag_value(value)  # a later duplicate wins
    return tags


def serialize_tags(tags: dict[str, str]) -> str:
    return ";".join(f"{k}={escape_tag_value(v)}" if v else k for k, v in tags.items())


# --- messages ---------------------------------------------------------------------

@dataclass(slots=True)
class Message:
    command: str
    params: list[str] = field(default_factory=list)
    source: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def to_line(self, force_trailing: bool = False) -> str:
        """The line without CRLF. Params are never checked here: callers build them."""
        parts: list[str] = []
        if self.tags:
            parts.append("@" + serialize_tags(self.tags))
        if self.source:
            parts.append(":" + self.source)
        parts.append(self.command)
        if self.params:
            *middle, last = self.params
            parts.extend(middle)
            if force_trailing or not last or " " in last or last[0] == ":":
                last = ":" + last
            parts.append(last)
        return " ".join(parts)

    def to_bytes(self, force_trailing: bool = False) -> bytes:
        """The line with CRLF, cut (at a character boundary) to the 512-byte limit:
        a relayed text grows by the sender's prefix, and must still fit."""
        data = self.to_line(force_trailing).encode("utf-8", "replace")
        start = data.index(b" ") + 1 if self.tags else 0
        if len(data) - start > MAX_LINE - 2:
            data = data[: start + MAX_LINE - 2].decode("utf-8", "ignore").encode("utf-8")
        return data + b"\r\n"


def parse_line(line: str) -> Message:
    """Parse one line (CRLF already stripped). Runs of spaces between parts are tolerated."""
    tags: dict[str, str] = {}
    rest = line.lstrip(" ")
    if rest.startswith("@"):
        raw_tags, _, rest = rest[1:].partition(" ")
        tags = parse_tags(raw_tags)
        rest = rest.lstrip(" ")
    source = None
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    trailing: str | None = None
    head, sep, tail = rest.partition(" :")
    if sep:
        trailing = tail
    elif head.startswith(":"):  # "CMD :x" has no space before the colon once split
        head, trailing = "", head[1:]
    words = [w for w in head.split(" ") if w]  # only ASCII space separates (not NEL etc.)
    if not words:
        raise ProtocolError("no command")
    command, *params = words
    if trailing is not None:
        params.append(trailing)
    if len(params) > MAX_PARAMS:
        # RFC 1459: past the 14th middle param, the rest is one final param.
        params = [*params[:MAX_PARAMS - 1], " ".join(params[MAX_PARAMS - 1:])]
    return Message(command=command.upper(), params=params, source=source, tags=tags)


def message_part_length(line: bytes) -> int:
    """Length of a line's non-tag part, in bytes (what the 512-byte limit applies to)."""
    if line.startswith(b"@"):
        space = line.find(b" ")
        return 0 if space < 0 else len(line) - space - 1
    return len(line)


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("ircish.latin1", _latin1_fallback)


def decode(raw: bytes) -> str:
    """UTF-8; each byte that is not part of valid UTF-8 is read as Latin-1, so no input
    fails to decode, a legacy client's text survives, and so does valid UTF-8 around a
    stray byte."""
    return raw.decode("utf-8", "ircish.latin1")


# --- framing ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LineTooLong:
    """Yielded by `LineBuffer.feed` in place of a line that broke the limit; `size` is
    how many bytes of input it stood for (its LF included), all of them thrown away."""

    size: int


class LineBuffer:
    """Splits a byte stream into lines on LF, CR or CRLF. (A bare CR ends a line too:
    relayed inside a message it would let a sender forge lines on clients that split
    on it.)

    Memory stays bounded: once the pending data exceeds the largest legal line, it
    is thrown away up to the next LF and one `LineTooLong` stands for that line.
    Nothing read goes uncounted: after each `feed`, `ignored_lines` and
    `ignored_bytes` say what said nothing (empty lines, spaces, NULs, bare CRs) and
    `discarded` how much of an unfinished over-long line has been thrown away.
    """

    def __init__(self, max_message: int = MAX_LINE, max_tags: int = MAX_TAGS) -> None:
        self.max_message = max_message
        self.max_tags = max_tags
        self.max_total = max_message + max_tags
        self._pending = b""
        self.discarded = 0          # > 0: inside an over-long line, this much thrown away
        self.ignored_lines = 0      # of the last feed
        self.ignored_bytes = 0

    def feed(self, data: bytes) -> list[bytes | LineTooLong]:
        self.ignored_lines = self.ignored_bytes = 0
        out: list[bytes | LineTooLong] = []
        buf = self._pending + data if self._pending else data
        if self.discarded:  # the rest of an over-long line: thrown away up to its LF
            end = buf.find(b"\n")
            if end < 0:
                self.discarded += len(buf)
                self._pending = b""
                return out
            out.append(LineTooLong(self.discarded + end + 1))
            self.discarded = 0
            buf = buf[end + 1:]
        *lines, rest = buf.split(b"\n")
        for line in lines:
            if not line or line == b"\r":  # the cheap way out for a stream of empty lines
                self.ignored_lines += 1
                self.ignored_bytes += len(line) + 1
                continue
            size = len(line) + 1
            if line[-1] == 13:  # CRLF: the CR is part of the line's end, not a bare CR
                line = line[:-1]
            if b"\x00" in line:
                line = line.replace(b"\x00", b"")
            said, unsaid = False, 0
            for part in line.split(b"\r") if b"\r" in line else (line,):
                if not part.strip(b" "):
                    self.ignored_lines += 1
                    unsaid += len(part) + 1
                    continue
                said = True
                message = message_part_length(part)
                too_long = message > self.max_message - 2 or len(part) - message > self.max_tags
                out.append(LineTooLong(size if part is line else len(part) + 1)
                           if too_long else part)
            self.ignored_bytes += unsaid if said else size
        if len(rest) > self.max_total:
            self.discarded = len(rest)
            rest = b""
        self._pending = rest
        return out


# --- names ------------------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def casefold(name: str) -> str:
    """The `ascii` casemapping (advertised in 005): only A-Z fold."""
    return name.translate(_ASCII_LOWER)


ROOM_PREFIX = "#"
_NICK_SPECIAL = set("[]\\`_^{|}")
_NICK_FIRST = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") | _NICK_SPECIAL
_NICK_REST = _NICK_FIRST | set("0123456789-")
_ROOM_FORBIDDEN = set(" ,\x07\x00\r\n:")


def is_valid_nick(nick: str, max_length: int) -> bool:
    """RFC 2812 nicknames: a letter or special first, then letters, digits, specials, '-'."""
    return (0 < len(nick) <= max_length and nick[0] in _NICK_FIRST
            and all(c in _NICK_REST for c in nick))


def is_room_name(name: str) -> bool:
    """Whether the name is meant as a room (as opposed to a nick)."""
    return name.startswith(ROOM_PREFIX)


def is_valid_room_name(name: str, max_length: int) -> bool:
    return (1 < len(name) <= max_length and name[0] == ROOM_PREFIX
            and not any(c in _ROOM_FORBIDDEN for c in name))


@lru_cache(maxsize=4096)
def _pattern(mask: str) -> re.Pattern[str]:
    """The compiled form of a casefolded mask, cached: bans are matched on every join
    and on messages from unvoiced members. Each `*`-separated piece but the last is
    matched at its first occurrence and never reconsidered (an atomic group): for
    wildcards that is always right, and it keeps `*a*a*a*a*b` from backtracking
    exponentially."""
    pieces = [re.escape(piece).replace(r"\?", ".") for piece in mask.split("*")]
    if len(pieces) == 1:
        return re.compile(pieces[0], re.DOTALL)
    first, *middle, last = pieces
    body = first + "".join(f"(?>.*?{piece})" for piece in middle if piece) + ".*" + last
    return re.compile(body, re.DOTALL)


def mask_matches(mask: str, text: str) -> bool:
    """IRC wildcard matching (`*` any run, `?` one character), ascii-casefolded."""
    return _pattern(casefold(mask)).fullmatch(casefold(text)) is not None


def matches_any(masks: Iterable[str], text: str) -> bool:
    """Whether `text` matches one of the (already casefolded) masks."""
    folded = casefold(text)
    return any(_pattern(mask).fullmatch(folded) is not None for mask in masks)


def number(text: str) -> int | None:
    """A parameter's whole number, or None. (`str.isdigit` also accepts digits such as
    '³' that `int` refuses: only ASCII digits count here.)"""
    return int(text) if text.isascii() and text.isdigit() else None


def split_list(param: str) -> list[str]:
    """A comma-separated parameter (`#a,#b`), empty items dropped."""
    return [item for item in param.split(",") if item]


def join_params(items: Iterable[str]) -> str:
    return ",".join(items)


# --- packing lists into lines -----------------------------------------------------

def groups(items: Iterable[T], budget: int, size: Callable[[T], int],
           gap: int = 0) -> list[list[T]]:
    """`items`, in order, in as few groups as keep each within `budget`: the sizes of
    its items plus `gap` between neighbours. An item too big for any group gets one of
    its own (the line is cut when sent, which beats losing the item)."""
    found: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        cost = size(item)
        if current and used + gap + cost > budget:
            found.append(current)
            current, used = [], 0
        used += cost + (gap if current else 0)
        current.append(item)
    if current:
        found.append(current)
    return found


def pack(items: Iterable[str], budget: int, sep: str = " ") -> list[str]:
    """Join `items` with `sep` into as few strings as keep each within `budget` bytes
    of UTF-8 (a NAMES or MONITOR list over several lines); no items, no strings."""
    return [sep.join(group)
            for group in groups(items, budget, _utf8_length, len(sep.encode()))]


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())
