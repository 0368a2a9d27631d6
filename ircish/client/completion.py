"""Tab completion: command names (with usage and help), rooms, nicks, buffers.

What a command's argument completes to comes from its usage string, the same entry
the server's HELP shows: `<room>` offers rooms, `<nick>` nicks, `<target>` both,
`<buffer>` buffer names, `<command>` command names, `<sent>` my messages in this buffer
(`/redact`), `<result>` search results (`/goto`), each number shown with its text.
Plain text completes nicks of the
current room, and a nick at the start of a line gets the usual `alice: `. Matching
ignores case.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from .history import SEARCH_BUFFER
from .model import ClientModel
from .slash import Catalog

RECENT_LINES = 200      # how far back "who spoke last" looks


def _fold(text: str) -> str:
    return text.lower()   # ascii casemapping folds A-Z; lower() also folds the rest


class ChatCompleter(Completer):
    def __init__(self, model: ClientModel, catalog: Catalog) -> None:
        self.model = model
        self.catalog = catalog

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterator[Completion]:
        if self.model.password_prompt is not None:
            return      # a password: nothing to complete, nothing to show
        before = document.text_before_cursor
        if "\n" in before:
            before = before.rsplit("\n", 1)[1]
        if before.startswith("/") and " " not in before:
            yield from self._command_names(before[1:], "/")
            return
        word = before.rsplit(" ", 1)[-1]
        if before.startswith("/") and not before.startswith("//"):
            kind = self._argument_kind(before)
        else:
            kind = "room" if word.startswith("#") else "text"
        if kind == "command":
            yield from self._command_names(word.lstrip("/"), "")
        elif kind == "room" or word.startswith("#"):
            yield from _matching(word, self._rooms())
        elif kind == "nick":
            yield from _matching(word, self.model.member_nicks())
        elif kind == "target":
            yield from _matching(word, [*self._rooms(), *self.model.member_nicks()])
        elif kind == "buffer":
            yield from _matching(word, [b.name for b in self.model.buffers])
        elif kind in ("sent", "result"):
            yield from self._numbered(word, kind)
        elif word:   # plain text: an empty word would offer every nick on Enter
            suffix = ": " if before == word else ""   # addressing someone
            yield from _matching(word, self._room_nicks(), suffix)

    def _command_names(self, typed: str, slash: str) -> Iterator[Completion]:
        for cmd in self.catalog.commands():
            meta = f"{cmd.usage}  {cmd.help}".strip()
            for name in (cmd.name, *cmd.aliases):
                if _fold(name).startswith(_fold(typed)):
                    yield Completion(f"{slash}{name.lower()}{' ' if slash else ''}",
                                     -len(typed) - len(slash), display=f"{slash}{name.lower()}",
                                     display_meta=meta)

    def _argument_kind(self, before: str) -> str:
        """What the argument under the cursor is, from the command's usage tokens."""
        words = before[1:].split(" ")
        cmd = self.catalog.get(words[0])
        if cmd is None:
            return "text"
        token = cmd.usage.kind(len([w for w in words[1:-1] if w]))
        return {"room": "room", "nick": "nick", "target": "target", "mask": "target",
                "buffer": "buffer", "name": "buffer", "command": "command", "sent": "sent",
                "result": "result"}.get(token or "", "text")

    def _numbered(self, typed: str, kind: str) -> Iterator[Completion]:
        """`1`, `2`, ... with what each is: my messages newest first, or search results."""
        if kind == "sent":
            texts = [line.text for line in self.model.buffer.own_lines()]
        else:
            found = self.model.find(SEARCH_BUFFER, "search")
            texts = [line.text for line in found.lines if line.kind == "result"] if found else []
        for n, text in enumerate(texts, 1):
            if str(n).startswith(typed):
                yield Completion(str(n), -len(typed), display=str(n), display_meta=text)

    def _rooms(self) -> list[str]:
        joined = [b.name for b in self.model.buffers if b.kind == "room"]
        return list(dict.fromkeys([*joined, *self.model.known_rooms.values()]))

    def _room_nicks(self) -> list[str]:
        """Members of the current room, who spoke last first (the likely addressee)."""
        buf, me = self.model.buffer, _fold(self.model.nick)
        present = {_fold(m.nick): m.nick for m in buf.sorted_members(self.model.features)}
        recent = [line.nick for line in itertools.islice(reversed(buf.lines), RECENT_LINES)
                  if line.nick and not line.own]
        ordered = [*(present[_fold(n)] for n in recent if _fold(n) in present),
                   *present.values()]
        return [n for n in dict.fromkeys(ordered) if _fold(n) != me]


def _matching(word: str, candidates: Iterable[str], suffix: str = "") -> Iterator[Completion]:
    typed = _fold(word)
    for name in dict.fromkeys(candidates):
        if _fold(name).startswith(typed):
            yield Completion(name + suffix, -len(word), display=name)
