"""The server's command registry: where commands come from and how they run.

Each module in a plugin folder (the built-in `commands/`, installed as
`ircish.server.commands`, and any folder named with `--commands`) defines entries with
`@command` (from `ircish.commandspec`, re-exported here); start-up imports every module
and collects them. The same entries drive the dispatcher (which alone answers 421, 451,
461 and 481; for 461 an empty required parameter is a missing one), `HELP`, and, read
from the source without running it, the client's slash parser and completion. A plugin
whose entries the client could not read that way (not literals) stops start-up, like
one that fails to import.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ..commandspec import Command, CommandTable, PluginError, command, read_specs
from ..protocol import Message, casefold
from . import errors
from .services import Service

if TYPE_CHECKING:
    from .context import Context, Session

__all__ = ["Command", "PluginError", "Registry", "builtin_registry", "command"]

log = logging.getLogger(__name__)


class Registry(CommandTable[Command]):
    """The server's commands: loaded from plugin folders, run by `dispatch`; and the
    services (pseudo-users) the plugins declare, by casefolded nick."""

    def __init__(self, entries: Iterable[Command] = (), origin: str = "?") -> None:
        super().__init__(entries, origin)
        self.services: dict[str, Service] = {}

    def add_module(self, module: ModuleType, path: Path) -> int:
        """Add the module's commands, checking that its source says the same (what
        the client reads); a Command imported from another plugin is that one's."""
        declared = {spec.name: spec for spec in read_specs(path)}
        found = [v for v in vars(module).values()
                 if isinstance(v, Command) and v.name in declared]
        if {c.name: c.spec for c in found} != declared:
            raise PluginError(f"{path}: its @command entries must be plain literals, "
                              "so that the client can read them without running it")
        for cmd in found:
            self.add(cmd, str(path))
        for value in vars(module).values():
            if isinstance(value, Service):
                self.services[casefold(value.nick)] = value
        return len(found)

    def load_package(self, package: str) -> None:
        """Import every public module of an installed package (the built-in commands)."""
        pkg = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            path = Path(pkg.__path__[0]) / f"{info.name}.py"
            module = _import_plugin(f"{package}.{info.name}", path, by_name=True)
            self.add_module(module, path)

    def load_folder(self, folder: Path) -> None:
        """Import every `*.py` of a folder (not starting with `_`) as a plugin module."""
        if not folder.is_dir():
            raise PluginError(f"{folder}: not a folder")
        tag = f"ircish_plugins_{abs(hash(str(folder.resolve()))):x}"
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                module = _import_plugin(f"{tag}.{path.stem}", path, by_name=False)
                self.add_module(module, path)

    def dispatch(self, ctx: Context, msg: Message) -> int:
        """Run one message's command, answering the generic errors here so handlers
        start at their real work (and 481 for operator-only commands). Domain errors
        become their numerics. Returns what the command costs its sender in flood
        control tokens (`line_cost`)."""
        was_registered = ctx.user.registered
        cmd = self.get(msg.command)
        if cmd is not None and cmd.feature is not None and cmd.feature not in ctx.features:
            cmd = None  # a part of the server that is turned off: no such command
        try:
            if cmd is None:
                if not ctx.user.registered:
                    raise errors.NotRegistered()
                raise errors.UnknownCommand(msg.command[:64])  # not a 500-byte echo
            if not (cmd.before_registration or ctx.user.registered):
                raise errors.NotRegistered()
            if cmd.oper_only and not ctx.user.is_oper:
                raise errors.NoPrivileges()  # before 461: the usage is none of their business
            if cmd.min_params and _missing_params(cmd, msg.params):
                raise errors.NeedMoreParams(cmd.name)
            params = msg.params if cmd.max_params is None else msg.params[: cmd.max_params]
            ctx.message = msg
            cmd.handler(ctx, *params)
        except errors.IrcError as exc:
            ctx.reply_error(exc)
        return line_cost(ctx.session, cmd, was_registered)


# Lines a connection may send before its welcome without flood control counting them:
# CAP LS, NICK, USER, CAP REQ, a SASL or REGISTER dialogue and CAP END with room to
# spare, not an endless free stream (the registration timeout ends those anyway).
REGISTRATION_ALLOWANCE = 24


def line_cost(session: Session, cmd: Command | None, registered: bool) -> int:
    """What a line costs in flood-control tokens: nothing while registering (up to
    REGISTRATION_ALLOWANCE lines) or while its command's `free_uses` last on this
    connection, else its spec's `cost` (1 for an unknown command)."""
    if not registered:
        session.lines_before_welcome += 1
        if session.lines_before_welcome <= REGISTRATION_ALLOWANCE:
            return 0
    if cmd is None:
        return 1
    if cmd.free_uses:
        used = session.free_uses.get(cmd.name, 0)
        if used < cmd.free_uses:
            session.free_uses[cmd.name] = used + 1
            return 0
    return cmd.cost


def _missing_params(cmd: Command, params: list[str]) -> bool:
    """Whether a required parameter (one of the first `min_params`) is absent, empty
    (`JOIN :`, `USER a b c :`), or a comma list with no items (`PART ,`): an empty
    parameter is a missing one. Optional ones may be empty (`TOPIC #a :` clears it)."""
    required = cmd.min_params
    if len(params) < required or "" in params[:required]:
        return True
    return any(not params[i].strip(",") for i in cmd.usage.lists if i < required)


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
    registry.load_package("ircish.server.commands")
    for folder in extra_folders:
        registry.load_folder(folder)
    log.debug("registry: %d commands", len(registry.commands()))
    return registry
