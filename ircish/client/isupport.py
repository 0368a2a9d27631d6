"""What RPL_ISUPPORT (005) tells the client: member prefixes, mode kinds, history size.

`PREFIX=(ov)@+` maps the modes a member can hold in a room (operator, voice) to the
signs shown before nicks, highest first; `CHANMODES=b,k,l,imnst` says which other room
modes take a parameter. Both are needed to read a NAMES entry (`@+alice` with
multi-prefix, `alice!~a@host` with userhost-in-names) and a MODE line (`+o-v alice bob`
pairs each letter with its parameter only if one knows which letters take one).
`CHATHISTORY=50` is the most messages one history request may ask for (0: no limit).
Without a 005, the RFC 2812 defaults below hold.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_PREFIX = ("ov", "@+")
DEFAULT_CHANMODES = ("b", "k", "l", "imnst")


class ModeChange(NamedTuple):
    adding: bool
    letter: str
    param: str | None


@dataclass
class Features:
    prefix_modes: str = DEFAULT_PREFIX[0]      # mode letters, highest first
    prefix_signs: str = DEFAULT_PREFIX[1]      # their signs, in the same order
    chanmodes: tuple[str, str, str, str] = DEFAULT_CHANMODES   # types A, B, C, D
    history_max: int = 0                       # CHATHISTORY=: per request, 0 for no limit

    def apply_005(self, tokens: Iterable[str]) -> None:
        """Take the tokens of one 005 line (neither my nick nor the trailing text)."""
        for token in tokens:
            key, _, value = token.partition("=")
            if key == "PREFIX":
                match = re.fullmatch(r"\(([A-Za-z]*)\)(\S*)", value)
                if match and len(match[1]) == len(match[2]):
                    self.prefix_modes, self.prefix_signs = match[1], match[2]
            elif key == "-PREFIX":
                self.prefix_modes, self.prefix_signs = DEFAULT_PREFIX
            elif key == "CHANMODES":
                groups = ([*value.split(","), "", "", ""])[:4]
                self.chanmodes = (groups[0], groups[1], groups[2], groups[3])
            elif key == "-CHANMODES":
                self.chanmodes = DEFAULT_CHANMODES
            elif key == "CHATHISTORY":
                self.history_max = int(value) if value.isdigit() else 0

    # --- members ------------------------------------------------------------------

    def sign(self, modes: Iterable[str]) -> str:
        """The sign of the highest prefix mode held ("" for none)."""
        held = set(modes)
        pairs = zip(self.prefix_modes, self.prefix_signs, strict=False)
        return next((sign for mode, sign in pairs if mode in held), "")

    def rank(self, modes: Iterable[str]) -> int:
        """0 for the highest prefix mode, ..., len(prefix_modes) for none: a sort key."""
        held = set(modes)
        return next((i for i, m in enumerate(self.prefix_modes) if m in held),
                    len(self.prefix_modes))

    def names_entry(self, entry: str) -> tuple[str, set[str]]:
        """`@+alice!~a@host` -> ("alice", {"o", "v"}): the nick and its prefix modes."""
        modes: set[str] = set()
        start = 0
        while start < len(entry) and entry[start] in self.prefix_signs:
            modes.add(self.prefix_modes[self.prefix_signs.index(entry[start])])
            start += 1
        return entry[start:].split("!", 1)[0], modes

    # --- MODE lines ---------------------------------------------------------------

    def takes_param(self, letter: str, adding: bool) -> bool:
        kind_a, kind_b, kind_c, _ = self.chanmodes
        return (letter in self.prefix_modes or letter in kind_a or letter in kind_b
                or (adding and letter in kind_c))

    def mode_changes(self, modestring: str, params: Iterable[str]) -> Iterator[ModeChange]:
        """`+o-v`, [alice, bob] -> (True, o, alice), (False, v, bob). A letter whose
        parameter is missing gets None; letters of unknown kind take none."""
        args = iter(params)
        adding = True
        for letter in modestring:
            if letter in "+-":
                adding = letter == "+"
            else:
                param = next(args, None) if self.takes_param(letter, adding) else None
                yield ModeChange(adding, letter, param)
