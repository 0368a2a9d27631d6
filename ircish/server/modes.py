"""Room modes as text: reading a MODE change, ban masks, and the MODE lines that
announce changes.

Everything here is pure (strings in, values out: no room, no lock, nothing imported
from `state/__init__.py`) and is tested as tables. Applying changes to a room is
`roommodes.apply`, which runs under the room's lock and announces what really changed,
once, before releasing it (room events are committed under the room lock: see
`state/__init__.py`).

Mode types, as 005 advertises them (CHANMODES=b,k,l,imnst, PREFIX=(ov)@+):
  o v      membership prefixes: always take a nick
  b        list (type A): a mask, or no argument to see the list
  k        key (type B): a key when set; when unset, an argument is taken if present
  l        limit (type C): a number when set, nothing when unset
  i m n s t  flags (type D)
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..protocol import groups, number
from . import errors

ROOM_FLAGS = "imnst"
PREFIX_MODES = {"o": "@", "v": "+"}     # mode letter -> prefix symbol
PREFIX_SYMBOLS = "@+"                   # highest first, as PREFIX=(ov)@+ orders them
ROOM_MODE_LETTERS = ROOM_FLAGS + "".join(PREFIX_MODES) + "bkl"
MAX_PARAM_MODES = 6                     # MODES in 005: parameter modes per command
MAX_KEY_LENGTH = 23
MAX_LIMIT = 1_000_000_000
MAX_MASK_LENGTH = 250                   # a ban must fit in one MODE line with a prefix


@dataclass(frozen=True, slots=True)
class Ban:
    mask: str       # normalized nick!user@host, as set
    setter: str
    set_at: int


class Member(Protocol):
    """Whom a +o/+v change names: a `state.User` (only its nick matters here)."""

    @property
    def nick(self) -> str: ...


@dataclass(slots=True)
class Change:
    """One letter of a MODE command. `pos` is the letter's place in the mode string
    (errors are answered in that order); `target` is the member a +o/+v is about,
    looked up by the caller before `apply`."""
    pos: int
    adding: bool
    letter: str
    arg: str = ""
    target: Member | None = field(default=None, compare=False)


@dataclass(slots=True)
class ParsedModes:
    changes: list[Change]
    problems: list[tuple[int, errors.IrcError]]  # (pos, error): 472, 525, 696
    list_bans: bool = False


# --- parsing ----------------------------------------------------------------------

def takes_argument(letter: str, adding: bool) -> bool:
    return letter in PREFIX_MODES or letter in "bk" or (letter == "l" and adding)


def parse_room_modes(room_name: str, modes: str, args: Iterable[str],
                     max_params: int = MAX_PARAM_MODES) -> ParsedModes:
    """`+ov-b`, [alice, bob, *!*@x] -> the changes, in order, each with its argument.

    A parameter mode given without its argument is ignored (modern.ircdocs: type B/C
    modes being set "MUST" be), except `b`, which then asks for the list, and `-k`,
    which needs no key. Past `max_params` parameter modes the rest are ignored. Bad
    values (a limit that is not a positive number, a key with a comma) are problems
    here, whoever sends them. An empty argument (only the last can be: `+b :`) counts
    as none, so it neither bans everyone nor comes back as an empty parameter."""
    pending = [arg for arg in args if arg]
    parsed = ParsedModes([], [])
    unknown: set[str] = set()
    adding = True
    used = 0
    for pos, letter in enumerate(modes):
        if letter in "+-":
            adding = letter == "+"
            continue
        if letter not in ROOM_MODE_LETTERS:
            if letter not in unknown:
                unknown.add(letter)
                parsed.problems.append((pos, errors.UnknownMode(letter)))
            continue
        if not takes_argument(letter, adding):
            parsed.changes.append(Change(pos, adding, letter))
            continue
        if letter == "b" and not pending:
            parsed.list_bans = True
            continue
        if used >= max_params:
            continue
        if not pending:
            if letter == "k" and not adding:
                parsed.changes.append(Change(pos, False, "k"))
            continue
        arg = pending.pop(0)
        used += 1
        problem = _check_argument(room_name, letter, adding, arg)
        if problem is not None:
            parsed.problems.append((pos, problem))
        elif letter == "b":
            mask = normalize_mask(arg)
            if is_valid_mask(mask):
                parsed.changes.append(Change(pos, adding, "b", mask))
        else:
            parsed.changes.append(Change(pos, adding, letter, arg))
    return parsed


def _check_argument(room_name: str, letter: str, adding: bool,
                    arg: str) -> errors.IrcError | None:
    if letter == "l":
        value = number(arg)
        if value is None or not 0 < value <= MAX_LIMIT:
            return errors.InvalidModeParam(room_name, "l", arg,
                                           text="Invalid limit: a positive whole number")
    if letter == "k" and adding and not is_valid_key(arg):
        return errors.InvalidKey(room_name)
    return None


def is_valid_key(key: str) -> bool:
    """A key JOIN can carry: no commas or spaces (JOIN splits on them), not ':' first."""
    return (0 < len(key) <= MAX_KEY_LENGTH and not key.startswith(":")
            and all(c > " " and c != "," for c in key))


def parse_flags(text: str) -> str | None:
    """`+nt` (or `nt`) -> "nt"; None if anything but flag letters is in it."""
    letters = text[1:] if text.startswith("+") else text
    if not all(c in ROOM_FLAGS for c in letters):
        return None
    return "".join(sorted(set(letters)))


def parse_mode_setting(text: str) -> tuple[str, str | None, int | None]:
    """A room's modes as rooms.yaml gives them: `+nt`, `+ntk key`, `+ntkl key 50` ->
    ("nt", "key", 50). Raises ValueError saying what is wrong."""
    letters, *args = text.split() or [""]
    flags: set[str] = set()
    key: str | None = None
    limit: int | None = None
    for letter in letters[1:] if letters.startswith("+") else letters:
        if letter in ROOM_FLAGS:
            flags.add(letter)
        elif letter not in "kl":
            raise ValueError(f"unknown mode '{letter}' (flags {ROOM_FLAGS}, k <key>, "
                             "l <limit>)")
        elif not args:
            raise ValueError(f"+{letter} needs {'a key' if letter == 'k' else 'a limit'}")
        elif letter == "k":
            key = args.pop(0)
            if not is_valid_key(key):
                raise ValueError(f"bad key {key!r} (at most {MAX_KEY_LENGTH} characters, "
                                 "no commas or spaces)")
        else:
            arg = args.pop(0)
            limit = number(arg)
            if not limit or limit > MAX_LIMIT:
                raise ValueError(f"the limit must be a positive whole number, not {arg!r}")
    if args:
        raise ValueError(f"unexpected {' '.join(args)!r}")
    return "".join(sorted(flags)), key, limit


# --- masks ---------------------------------------------------------------------------

def normalize_mask(mask: str) -> str:
    """A ban as a full `nick!user@host` mask: `nick` -> `nick!*@*`, `user@host` ->
    `*!user@host`, `nick!user` -> `nick!user@*`; empty parts become `*`."""
    nick, bang, rest = mask.partition("!")
    if bang:
        user, _, host = rest.partition("@")
    else:
        user, at, host = mask.partition("@")
        if at:
            nick = ""
        else:
            nick, user, host = mask, "", ""
    return f"{nick or '*'}!{user or '*'}@{host or '*'}"


def is_valid_mask(mask: str) -> bool:
    """A mask that can travel as one MODE parameter."""
    return (len(mask) <= MAX_MASK_LENGTH and not mask.startswith(":")
            and not any(c in mask for c in " \r\n\x00"))


# --- prefixes and announcements ------------------------------------------------------

def with_prefix(prefixes: str, symbol: str, on: bool) -> str:
    """`+` given `@` -> `@+`: a member's prefixes, highest first."""
    wanted = set(prefixes) | {symbol} if on else set(prefixes) - {symbol}
    return "".join(s for s in PREFIX_SYMBOLS if s in wanted)


def change_lines(changes: list[Change], budget: int) -> list[list[str]]:
    """The MODE parameters announcing `changes`: `+oo-b`, `a`, `b`, `*!*@x`. One line
    unless the arguments cannot fit in `budget` bytes (long masks), then several."""
    lines: list[list[str]] = []
    for group in groups(changes, budget, _announced_size):
        letters, sign = "", None
        for change in group:
            if change.adding is not sign:
                letters += "+" if change.adding else "-"
                sign = change.adding
            letters += change.letter
        lines.append([letters, *(change.arg for change in group if change.arg)])
    return lines


def _announced_size(change: Change) -> int:
    """At most a sign and the letter, and the argument with its space."""
    return 2 + (len(change.arg.encode()) + 1 if change.arg else 0)
