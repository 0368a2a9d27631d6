"""What a command *is*, to the server and the client alike: its name, its usage (the
one source of its arity), its help and its flags. No server code is imported here.

A command is a `CommandSpec` plus one handler (`Command`). The server's plugins
declare theirs with `@command(...)` in `commands/`; the client declares its own slash
commands the same way. The client never imports the server's plugins: `read_specs`
reads their `@command(...)` entries from the source with `ast`, so the arguments of
`@command` must be literals (the server checks that when it loads a plugin).

Usage grammar: parameter tokens separated by spaces; `[tok]` is optional; a token
ending in `...` repeats. The last token takes the rest of a slash line.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from .protocol import Message, ProtocolError

Handler = Callable[..., None]
C = TypeVar("C", bound="CommandSpec")


class PluginError(Exception):
    """A plugin that cannot be loaded or read; the message names the file and why."""


@dataclass(frozen=True)
class Usage:
    """A usage string, parsed once: `<room>{,<room>} [<key>]`."""

    text: str
    tokens: tuple[str, ...]
    required: int               # parameters that must be given
    most: int | None            # parameters taken at most (None: any number)

    @classmethod
    def parse(cls, text: str) -> Usage:
        tokens = tuple(text.split())
        required = sum(1 for t in tokens if not t.startswith("["))
        variadic = any(t.rstrip("]").endswith("...") for t in tokens)
        return cls(text, tokens, required, None if variadic else len(tokens))

    @cached_property
    def lists(self) -> tuple[int, ...]:
        """Positions of comma-list parameters (`<room>{,<room>}`)."""
        return tuple(i for i, token in enumerate(self.tokens) if "{," in token)

    def kind(self, position: int) -> str | None:
        """What parameter `position` names (`<room>{,<room>}` -> "room"), or None."""
        if position >= len(self.tokens):
            return None
        return self.tokens[position].strip("[]").split(">", 1)[0].lstrip("<")

    def split(self, rest: str) -> list[str]:
        """The parameters of a slash line's text after the command name: words, and the
        last parameter keeps the rest of the line with its inner spacing."""
        return split_words(rest, self.most)

    def __str__(self) -> str:
        return self.text


def split_words(rest: str, most: int | None) -> list[str]:
    """Split `rest` into at most `most` parameters (None: any number; each word one)."""
    params: list[str] = []
    rest = rest.lstrip(" ")
    if most == 0:
        return params
    while rest and (most is None or len(params) < most - 1):
        word, _, rest = rest.partition(" ")
        params.append(word)
        rest = rest.lstrip(" ")
    if rest:
        params.append(rest)
    return params


@dataclass(frozen=True)
class CommandSpec:
    """A command as data. `min_params` overrides the usage-derived minimum for commands
    whose missing parameters have their own numerics (PRIVMSG's 411/412, NICK's 431).
    `oper_only`: the server's dispatcher answers 481 to anyone but a server operator.
    `cost`: flood-control tokens the command takes (more for much output per line).
    `free_uses`: how many times per connection it costs nothing (ergo's "command
    budgets"): a client catching up after connecting (CHATHISTORY and MARKREAD for each
    room, WHO, MONITOR) is not slowed by what it did not type.
    `feature`: a part of the server that may be turned off (`"history"`: not with
    --no-history); while it is off the command does not exist (421, not in HELP)."""

    name: str
    usage: Usage = field(default_factory=lambda: Usage.parse(""))
    help: str = ""
    aliases: tuple[str, ...] = ()
    min_params: int = 0
    before_registration: bool = False    # usable before the welcome burst
    oper_only: bool = False
    cost: int = 1
    free_uses: int = 0
    feature: str | None = None

    @property
    def max_params(self) -> int | None:
        return self.usage.most

    @property
    def synopsis(self) -> str:
        return f"{self.name} {self.usage}".rstrip()


def make_spec(name: str, usage: str = "", help: str = "", *, aliases: Iterable[str] = (),
              min_params: int | None = None, before_registration: bool = False,
              oper_only: bool = False, cost: int = 1, free_uses: int = 0,
              feature: str | None = None) -> CommandSpec:
    """A spec from the arguments `@command` takes (the decorator and `read_specs` share it)."""
    parsed = Usage.parse(usage)
    return CommandSpec(name=name.upper(), usage=parsed, help=help,
                       aliases=tuple(a.upper() for a in aliases),
                       min_params=parsed.required if min_params is None else min_params,
                       before_registration=before_registration, oper_only=oper_only,
                       cost=cost, free_uses=free_uses, feature=feature)


@dataclass(frozen=True)
class Command(CommandSpec):
    """A spec with the function that carries it out."""

    handler: Handler = field(default=lambda *args: None, repr=False, compare=False)

    @classmethod
    def carrying(cls, spec: CommandSpec, handler: Handler) -> Command:
        """`spec` carried out by `handler`."""
        return cls(**_spec_values(spec), handler=handler)

    @property
    def spec(self) -> CommandSpec:
        return CommandSpec(**_spec_values(self))

    def __call__(self, *args: Any) -> None:
        self.handler(*args)


def command(name: str, usage: str = "", help: str = "", *, aliases: Iterable[str] = (),
            min_params: int | None = None, before_registration: bool = False,
            oper_only: bool = False, cost: int = 1, free_uses: int = 0,
            feature: str | None = None) -> Callable[[Handler], Command]:
    """Declare a command (give every argument as a literal: see `read_specs`)."""
    spec = make_spec(name, usage, help, aliases=aliases, min_params=min_params,
                     before_registration=before_registration, oper_only=oper_only,
                     cost=cost, free_uses=free_uses, feature=feature)

    def wrap(handler: Handler) -> Command:
        return Command.carrying(spec, handler)
    return wrap


def _spec_values(spec: CommandSpec) -> dict[str, Any]:
    """A spec's fields by name (a Command's, without its handler)."""
    return {f.name: getattr(spec, f.name) for f in fields(CommandSpec)}


class CommandTable(Generic[C]):
    """Commands by name and alias (case-insensitive)."""

    def __init__(self, entries: Iterable[C] = (), origin: str = "?") -> None:
        self._by_name: dict[str, C] = {}
        for entry in entries:
            self.add(entry, origin)

    def add(self, entry: C, origin: str = "?") -> None:
        for key in (entry.name, *entry.aliases):
            existing = self._by_name.get(key)
            if existing is not None and existing is not entry:
                raise PluginError(f"{origin}: command {key} is already defined")
            self._by_name[key] = entry

    def get(self, name: str) -> C | None:
        return self._by_name.get(name.upper())

    def commands(self) -> list[C]:
        """Each command once, by name."""
        unique = {id(c): c for c in self._by_name.values()}
        return sorted(unique.values(), key=lambda c: c.name)

    def names(self) -> list[str]:
        """Every name a command answers to, aliases included."""
        return sorted(self._by_name)

    def parse_slash(self, line: str) -> Message:
        """`/msg bob hello there` -> PRIVMSG bob :hello there (the arity decides where
        the last parameter starts). Unknown commands split on every space."""
        name, _, rest = line.lstrip("/").partition(" ")
        if not name:
            raise ProtocolError("no command")
        spec = self.get(name)
        if spec is None:
            return Message(name.upper(), split_words(rest, None))
        return Message(spec.name, spec.usage.split(rest))


# --- reading plugins without running them ---------------------------------------------

def read_specs(path: Path) -> list[CommandSpec]:
    """The `@command(...)` entries of a plugin file, read from its source (nothing in it
    runs). Raises PluginError, naming the file and line, for an entry whose arguments
    are not literals."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise PluginError(f"{exc.filename or path}:{exc.lineno}: {exc.msg}") from None
    specs = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and _called_name(deco.func) == "command":
                specs.append(_spec_from_call(path, deco))
    return specs


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _spec_from_call(path: Path, call: ast.Call) -> CommandSpec:
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords
                  if kw.arg is not None}
        if len(kwargs) != len(call.keywords):
            raise ValueError("**kwargs")
        return make_spec(*args, **kwargs)
    except (ValueError, TypeError, SyntaxError) as exc:
        raise PluginError(f"{path}:{call.lineno}: @command arguments must be literals "
                          f"(the client reads them without running the plugin): {exc}"
                          ) from None


def builtin_plugin_folder() -> Path:
    """Where the server's built-in plugins are installed (`ircish.server.commands`),
    found without importing the server."""
    import importlib.util
    spec = importlib.util.find_spec("ircish.server.commands")
    if spec is None or not spec.submodule_search_locations:
        raise PluginError("ircish.server.commands: not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def read_folder(folder: Path) -> list[CommandSpec]:
    """The entries of every plugin module in `folder` (names starting with `_` skipped)."""
    return [spec for path in sorted(folder.glob("*.py")) if not path.name.startswith("_")
            for spec in read_specs(path)]
