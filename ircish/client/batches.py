"""IRCv3 `batch`: lines that belong together, collected by their id and handed over
whole when the batch closes.

`BATCH +id type params...` opens one, each line tagged `batch=id` belongs to it, and
`BATCH -id` closes it. A batch opened inside another (its BATCH line tagged with the
outer id) becomes an item of the outer one. Sans-I/O like the wire format: the model
feeds every message and gets back what to apply now: the message itself when it is in
no batch, nothing while a batch is open, the whole `Batch` when an outermost one closes.
A line naming a batch that was never opened is applied as if untagged (the server's
mistake should not make a message vanish).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol import Message


@dataclass
class Batch:
    id: str
    type: str                  # "chathistory", "soju.im/search", or one we do not know
    params: list[str]          # after the type: the target, for chathistory
    items: list[Message | Batch] = field(default_factory=list)

    def messages(self) -> list[Message]:
        """The lines of this batch and of those inside it, in order."""
        out: list[Message] = []
        for item in self.items:
            out.extend(item.messages() if isinstance(item, Batch) else [item])
        return out


class BatchCollector:
    def __init__(self) -> None:
        self._open: dict[str, tuple[Batch, str | None]] = {}   # id -> (batch, outer id)

    def reset(self) -> None:
        """A new connection: batches left open by the old one never close."""
        self._open.clear()

    def feed(self, msg: Message) -> list[Message | Batch]:
        """What to apply now (see the module's docstring)."""
        parent = msg.tags.get("batch")
        if parent is not None and parent not in self._open:
            parent = None
        if msg.command == "BATCH" and msg.params and msg.params[0][:1] in "+-":
            ref = msg.params[0][1:]
            if msg.params[0][0] == "+":
                batch = Batch(ref, msg.params[1] if len(msg.params) > 1 else "", msg.params[2:])
                self._open[ref] = (batch, parent)
                if parent is not None:    # an item of the outer one where it opened
                    self._open[parent][0].items.append(batch)
                return []
            closed = self._open.pop(ref, None)
            return [closed[0]] if closed is not None and closed[1] is None else []
        if parent is not None:
            self._open[parent][0].items.append(msg)
            return []
        return [msg]
