"""The command registry: what a command is, where commands come from, how they run.

A command is data plus one function. Each module in a plugin folder (the built-in
`commands/` and any folder named with `--commands`) defines entries with `@command`;
start-up imports every module and collects them. The same entries drive the server's
dispatcher (which alone answers 421, 451, 461 and 481), `HELP`, the slash-line parser, and
the client's completion: the usage string is the one source of a command's arity.

Usage grammar: parameter tokens separated by spaces; `[tok]` is optional; a token
ending in `...` repeats. The last token takes the rest of a slash line.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import errors
from .protocol import Message, ProtocolError

if TYPE_CHECKING:
    from .context import Context

log = logging.getLogger(__name__)

Handler = Callable[..., None]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler = field(repr=False, compare=False)
    usage: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()
    min_params: int = 0
    max_params: int | None = 0           # None: any number
    before_registration: bool = False    # usable before the welcome burst
    oper_only: bool = False              # server operators only (481 for others)

    def __call__(self, *args: Any) -> None:
        self.handler(*args)

    @property
    def synopsis(self) -> str:
        return f"{self.name} {self.usage}".rstrip()


def arity(usage: str) -> tuple[int, int | None]:
    """(minimum, maximum) parameter count described by a usage string."""
    tokens = usage.split()
    required = sum(1 for t in tokens if not t.startswith("["))
    variadic = any(t.rstrip("]").endswith("...") for t in tokens)
    return required, None if variadic else len(tokens)


def command(name: str, usage: str = "", help: str = "", *, aliases: Iterable[str] = (),
            min_params: int | None = None, before_registration: bool = False,
            oper_only: bool = False) -> Callable[[Handler], Command]:
    """Declare a command. `min_params` overrides the usage-derived minimum, for commands
    whose missing parameters have their own numerics (PRIVMSG's 411/412, NICK's 431).
    `oper_only`: the dispatcher answers 481 to anyone but a server operator, so the
    handler never checks it."""
    least, most = arity(usage)

    def wrap(handler: Handler) -> Command:
        return Command(name=name.upper(), handler=handler, usage=usage, help=help,
                       aliases=tuple(a.upper() for a in aliases),
                       min_params=least if min_params is None else min_params,
                       max_params=most, before_registration=before_registration,
                       oper_only=oper_only)
    return wrap


class PluginError(Exception):
    """A plugin module that cannot be loaded; the message names the file and why."""


class Registry:
    def __init__(self) -> None:
        self._by_name: dict[str, Command] = {}

    # --- building ---------------------------------------------------------------

    def add(self, cmd: Command, origin: str = "?") -> None:
        for key in (cmd.name, *cmd.aliases):
            existing = self._by_name.get(key)
            if existing is not None and existing is not cmd:
                raise PluginError(f"{origin}: command {key} is already defined")
            self._by_name[key] = cmd

    def add_module(self, module: ModuleType, origin: str) -> int:
        found = [v for v in vars(module).values() if isinstance(v, Command)]
        for cmd in found:
            self.add(cmd, origin)
        return len(found)

    def load_package(self, package: str) -> None:
        """Import every public module of an installed package (the built-in commands)."""
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            path = Path(pkg.__path__[0]) / f"{info.name}.py"
            module = _import_plugin(f"{package}.{info.name}", path, by_name=True)
            self.add_module(module, str(path))

    def load_folder(self, folder: Path) -> None:
        """Import every `*.py` of a folder (not starting with `_`) as a plugin module."""
        if not folder.is_dir():
            raise PluginError(f"{folder}: not a folder")
        tag = f"ircish_plugins_{abs(hash(str(folder.resolve()))):x}"
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                module = _import_plugin(f"{tag}.{path.stem}", path, by_name=False)
                self.add_module(module, str(path))

    # --- looking up ---------------------------------------------------------------

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name.upper())

    def commands(self) -> list[Command]:
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
        cmd = self.get(name)
        most = None if cmd is None else cmd.max_params
        params: list[str] = []
        rest = rest.lstrip(" ")
        if most != 0:
            while rest and (most is None or len(params) < most - 1):
                word, _, rest = rest.partition(" ")
                params.append(word)
                rest = rest.lstrip(" ")
            if rest:
                params.append(rest)  # the last parameter keeps its inner spacing
        return Message(cmd.name if cmd else name.upper(), params)

    # --- running ------------------------------------------------------------------

    def dispatch(self, ctx: Context, msg: Message) -> None:
        """Run one message's command, answering the generic errors here so handlers
        start at their real work (and 481 for operator-only commands). Domain errors
        become their numerics."""
        cmd = self.get(msg.command)
        try:
            if cmd is None:
                if not ctx.user.registered:
                    raise errors.NotRegistered()
                raise errors.UnknownCommand(msg.command[:64])  # not a 500-byte echo
            if not (cmd.before_registration or ctx.user.registered):
                raise errors.NotRegistered()
            if cmd.oper_only and not ctx.user.is_oper:
                raise errors.NoPrivileges()  # before 461: the usage is none of their business
            if len(msg.params) < cmd.min_params:
                raise errors.NeedMoreParams(cmd.name)
            params = msg.params if cmd.max_params is None else msg.params[: cmd.max_params]
            ctx.message = msg
            cmd.handler(ctx, *params)
        except errors.IrcError as exc:
            ctx.reply(exc.numeric, *exc.reply_params())


def _import_plugin(module_name: str, path: Path, by_name: bool) -> ModuleType:
    """Import one plugin module, turning any failure into one line naming the file."""
    try:
        if by_name:
            return importlib.import_module(module_name)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"{path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module
    except PluginError:
        raise
    except SyntaxError as exc:
        raise PluginError(f"{exc.filename or path}:{exc.lineno}: {exc.msg}") from None
    except Exception as exc:  # anything a plugin's top level can raise
        tb = exc.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                line = tb.tb_lineno
            tb = tb.tb_next
        where = f"{path}:{line}" if line else str(path)
        raise PluginError(f"{where}: {type(exc).__name__}: {exc}") from None


def builtin_registry(extra_folders: Iterable[Path] = ()) -> Registry:
    registry = Registry()
    registry.load_package("ircish.commands")
    for folder in extra_folders:
        registry.load_folder(folder)
    log.debug("registry: %d commands", len(registry.commands()))
    return registry
