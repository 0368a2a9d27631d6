"""IRCv3 labeled-response: what one labeled command sends its own client, framed as
one labeled reply.

The reply is exactly the lines this thread staged for that client's outbox while the
command ran (inside a `delivery_batch`, see `outbox.py`). The label registers itself
in the thread's staging (`staging.label`) while the command runs, so the outbox can
ask it to frame what leaves early (`put_now`) or last (`finish`).
"""
from __future__ import annotations

import itertools

from ..protocol import escape_tag_value
from .outbox import Sink
from .staging import staging


class labeled_response:
    """A single line carries the `label` tag, several are wrapped in a
    `labeled-response` batch, none gets a labeled ACK. A `put_now` (the JOIN echo)
    opens the batch early."""

    _ids = itertools.count(1)
    __slots__ = ("outbox", "label", "source", "batch", "aside", "spent")

    def __init__(self, outbox: Sink, label: str, server_name: str) -> None:
        self.outbox = outbox
        self.label = b"label=" + escape_tag_value(label).encode("utf-8", "replace")
        self.source = server_name.encode()
        self.batch: bytes | None = None
        self.aside: list[bytes] = []  # lines to this client that are not the reply
        self.spent = False

    def __enter__(self) -> None:
        stage, owed = staging.stage, staging.owed
        assert stage is not None and owed is not None, "used inside a delivery_batch"
        earlier = stage.pop(self.outbox, None)  # answers to earlier commands
        if earlier and self.outbox.commit(earlier):
            owed.add(self.outbox)
        staging.label = self

    def __exit__(self, *exc: object) -> None:
        staging.label = None
        stage = staging.stage
        assert stage is not None, "used inside a delivery_batch"
        if not self.spent:
            lines = stage.pop(self.outbox, None)
            stage[self.outbox] = self.reply(lines or [])

    def reply(self, lines: list[bytes]) -> list[bytes]:
        """The labeled form of the command's lines (once: the label is then spent)."""
        self.spent = True
        if self.batch is not None:
            reply = self._in_batch(lines)
        elif not lines:
            reply = [b"@" + self.label + b" :" + self.source + b" ACK\r\n"]
        elif len(lines) == 1 or _one_batch(lines):
            # a reply that is itself one batch (CHATHISTORY) carries the label on its
            # BATCH + line, as labeled-response allows, instead of a batch around it
            reply = [with_tag(lines[0], self.label), *lines[1:]]
        else:
            reply = self._open() + self._in_batch(lines)
        return reply + self.aside

    def now(self, lines: list[bytes]) -> list[bytes]:
        """Lines committed ahead of the rest (put_now): the batch starts with them."""
        return (self._open() if self.batch is None else []) + self._in_batch(lines, end=False)

    def _open(self) -> list[bytes]:
        self.batch = f"{next(self._ids):x}".encode()
        return [b"@%s :%s BATCH +%s labeled-response\r\n" % (self.label, self.source,
                                                             self.batch)]

    def _in_batch(self, lines: list[bytes], end: bool = True) -> list[bytes]:
        assert self.batch is not None
        tag = b"batch=" + self.batch
        # a nested batch's lines already name it: only its BATCH lines join the outer
        out = [line if _in_some_batch(line) else with_tag(line, tag) for line in lines]
        if end:
            out.append(b":%s BATCH -%s\r\n" % (self.source, self.batch))
        return out


def put_aside(outbox: Sink, data: bytes) -> None:
    """A line for a client that is not part of the reply to its labeled command: its
    own message to itself arrives unlabeled (only the echo-message copy is the reply)."""
    label = staging.label
    if label is not None and label.outbox is outbox:
        label.aside.append(data)
    else:
        outbox.put(data)


def _tags_of(line: bytes) -> list[bytes]:
    return line[1:line.find(b" ")].split(b";") if line.startswith(b"@") else []


def _in_some_batch(line: bytes) -> bool:
    return any(tag.startswith(b"batch=") for tag in _tags_of(line))


def _one_batch(lines: list[bytes]) -> bool:
    """Whether the lines are exactly one batch: `BATCH +id`, its lines, `BATCH -id`."""
    first, last = _words(lines[0]), _words(lines[-1])
    if len(lines) < 2 or first[1:2] != [b"BATCH"] or not first[2:3] or first[2][:1] != b"+":
        return False
    ref = first[2][1:]
    return (last[1:3] == [b"BATCH", b"-" + ref]
            and all(b"batch=" + ref in _tags_of(line) for line in lines[1:-1]))


def _words(line: bytes) -> list[bytes]:
    """A line's words after its tags: source, command, parameters."""
    if line.startswith(b"@"):
        line = line[line.find(b" ") + 1:]
    return line.rstrip(b"\r\n").split(b" ")


def with_tag(line: bytes, tag: bytes) -> bytes:
    """A serialized line with one more tag."""
    if line.startswith(b"@"):
        return b"@" + tag + b";" + line[1:]
    return b"@" + tag + b" " + line
