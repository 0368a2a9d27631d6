"""Server settings: one dataclass is the single source of every option.

Each configurable field carries its help text; from it come the `ircish-server` flags
(`--ping-interval`), the keys of the YAML config file (`ping-interval: 120`) and their
validation. Precedence: built-in default < config file < command line. Configuration
errors stop start-up with `file:line: what is wrong`, found by walking PyYAML's node
tree (which keeps line numbers) rather than the plain loaded data.
"""
from __future__ import annotations

import argparse
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from . import affinity
from .modes import ROOM_FLAGS, parse_flags
from .opers import HashPasswordAction, OperSpec, hash_problem
from .roomsfile import RoomSpec as RoomSpec  # part of this module's API
from .roomsfile import load_rooms
from .yamlfile import ConfigError as ConfigError  # part of this module's API
from .yamlfile import document, fail, mapping_items, read, scalar

DEFAULT_MOTD = """Welcome to ircish, a small multi-room chat that speaks IRC.
Try /list to see the rooms, /join #general to talk, /help for the commands."""


def option(default: Any, help: str, *, flag: str | None = None, minimum: float | None = None,
           maximum: float | None = None, check: Any = None, secret: bool = False,
           metavar: str | None = None) -> Any:
    """A configurable setting: a flag, a config-file key, a help text and bounds;
    `check(value)` returns what is wrong with a value, or None. A `secret` one is left
    out of the settings' repr (so a log line or traceback never shows it)."""
    meta = {"help": help, "flag": flag, "minimum": minimum, "maximum": maximum,
            "check": check, "metavar": metavar}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta, repr=not secret)


@dataclass
class Settings:
    # where and who
    host: str = option("127.0.0.1", "address to listen on (:: or an IPv6 address for IPv6)")
    port: int = option(6667, "TCP port; 0 picks a free one", minimum=0, maximum=65535)
    tls_port: int = option(6697, "TLS port, used when a certificate is given",
                           minimum=0, maximum=65535)
    tls_cert: Path | None = option(None, "TLS certificate chain (PEM); enables the TLS listener")
    tls_key: Path | None = option(None, "TLS private key (PEM); default: inside --tls-cert")
    server_name: str = option("ircish.local", "server name shown to clients", flag="name")
    network: str = option("ircish", "network name (NETWORK in 005)")
    password: str | None = option(None, "password clients must give with PASS to connect "
                                  "(keep it in the --config file: others can see a "
                                  "command line)", secret=True,
                                  check=lambda value: "must not be empty" if value == ""
                                  else None)
    rooms_file: Path | None = option(None, "rooms file (YAML); default ./rooms.yaml if present, "
                                     "else none", flag="rooms")
    motd_file: Path | None = option(None, "message of the day file (default: a greeting)",
                                    flag="motd")
    no_motd: bool = option(False, "send 422 (no MOTD) instead of a message of the day")
    command_dirs: list[Path] = option([], "extra plugin folder (repeatable)", flag="commands")
    # names and limits
    nick_length: int = option(30, "NICKLEN", minimum=1, maximum=200)
    room_length: int = option(50, "CHANNELLEN", minimum=2, maximum=200)
    topic_length: int = option(390, "TOPICLEN", minimum=1, maximum=450)
    max_rooms_per_user: int = option(50, "rooms one user may join", flag="max-rooms", minimum=1)
    max_targets: int = option(4, "targets of one PRIVMSG/NOTICE", minimum=1)
    whowas_size: int = option(1000, "departed nicks remembered for WHOWAS", minimum=0)
    realname_length: int = option(100, "longest real name (USER, SETNAME); NAMELEN", minimum=1,
                                  maximum=400)
    room_modes: str = option("+nt", "modes of rooms users create (flag modes among imnst)",
                             check=lambda value: None if parse_flags(value) is not None
                             else f"'{value}' is not flag modes among {ROOM_FLAGS} (e.g. +nt)")
    max_bans: int = option(100, "bans one room may hold (MAXLIST)", minimum=1)
    monitor_size: int = option(100, "nicks one client may MONITOR", minimum=0)
    admin_location: str = option("An ircish server", "ADMIN: where the server is run, by whom")
    admin_email: str = option("admin@localhost", "ADMIN: how to reach its administrator")
    # what the server remembers (store/): rooms and history, in --data-dir
    data_dir: Path = option(Path("data"), "directory of the server's database (rooms and "
                            "history); created if missing", metavar="DIR")
    no_history: bool = option(False, "remember nothing: no database, rooms and history "
                              "live in memory only and are gone at a restart")
    history_flush_ms: int = option(100, "history is committed at least this often, in ms "
                                   "(a crash loses at most this window)", minimum=1,
                                   maximum=60_000)
    history_max_age: float = option(30.0, "days a message is kept; 0: for ever", minimum=0,
                                   metavar="DAYS")
    history_max_messages: int = option(0, "messages kept per room or conversation (the "
                                       "oldest go first); 0: no limit", minimum=0)
    history_query_limit: int = option(100, "most messages one CHATHISTORY returns "
                                      "(CHATHISTORY in 005)", minimum=1, maximum=1000)
    search_limit: int = option(100, "most messages one SEARCH returns", minimum=1,
                               maximum=1000)
    redact_window: float = option(900.0, "seconds during which people may REDACT their own "
                                  "messages (room and server operators: any time); 0: never",
                                  minimum=0)
    # accounts (accounts/): who may register, what owning a nick means, how logins go
    registration: str = option("anyone", "who may REGISTER an account: anyone, opers (server "
                               "operators only) or nobody (accounts are then made with "
                               "ircish-server --create-account)",
                               check=lambda v: None if v in ("anyone", "opers", "nobody")
                               else "must be anyone, opers or nobody")
    nick_enforcement: str = option("strict", "using a registered nick without being logged "
                                   "in to its account: strict (refused with 433), timeout "
                                   "(renamed to Guest... unless logged in within "
                                   "--nick-timeout) or none",
                                   check=lambda v: None if v in ("strict", "timeout", "none")
                                   else "must be strict, timeout or none")
    nick_timeout: float = option(30.0, "seconds to log in before a registered nick is taken "
                                 "back (--nick-enforcement timeout)", minimum=1)
    nick_reserve_days: float = option(30.0, "days the nick of a dropped account stays "
                                      "reserved", minimum=0, metavar="DAYS")
    min_password_length: int = option(8, "shortest account password (shorter: WEAK_PASSWORD)",
                                      minimum=1, maximum=300)
    plain_requires_tls: bool = option(False, "accept SASL PLAIN and PASS account:password "
                                      "only over TLS")
    tls_client_ca: Path | None = option(None, "CA certificates (PEM) whose client "
                                        "certificates the TLS listener asks for and "
                                        "accepts: enables SASL EXTERNAL (fingerprints "
                                        "registered with ACCOUNT CERT)")
    login_failures: int = option(5, "failed logins from one address, or to one account, "
                                 "before further attempts are refused for a while",
                                 minimum=1)
    login_failure_delay: float = option(1.0, "seconds a connection waits, after a failed "
                                        "login, before its next command is read "
                                        "(Dovecot's auth_failure_delay): guessing costs "
                                        "the guesser time, not the server CPU", minimum=0.0,
                                        maximum=60.0)
    # keeping one client from hurting the rest
    max_clients: int = option(16000, "connections held at once (all addresses); lowered at "
                              "start to fit the file-descriptor limit", minimum=1)
    fd_headroom: int = option(32, "file descriptors kept for other uses than clients "
                              "(listeners, logs, files); the rest bound --max-clients",
                              minimum=0)
    max_clients_per_ip: int = option(64, "connections from one address; 0: no limit",
                                     flag="max-per-ip", minimum=0)
    sendq: int = option(1 << 20, "bytes queued for one client before it is dropped",
                        minimum=4096)
    socket_sndbuf: int = option(128 * 1024, "kernel send buffer per client, in bytes (bounds "
                                "kernel memory and makes SendQ count); 0: kernel default",
                                flag="sndbuf", minimum=0)
    recvq: int = option(16384, "unprocessed input bytes before a flooder is dropped",
                        minimum=1024)
    flood_control: bool = option(True, "slow down clients that send too fast (fakelag)")
    flood_burst: int = option(10, "lines a client may send at once", minimum=1)
    flood_rate: float = option(2.0, "lines per second a client may keep sending", minimum=0.1,
                               metavar="N")
    ping_interval: float = option(120.0, "seconds of silence before the server PINGs",
                                  minimum=0.1)
    ping_timeout: float = option(60.0, "seconds to answer that PING", minimum=0.1)
    registration_timeout: float = option(60.0, "seconds to complete NICK/USER", minimum=0.1)
    # the process
    thread_stack_size: int = option(256 * 1024, "stack size of each thread, in bytes",
                                    flag="thread-stack", minimum=32768)
    listen_backlog: int = option(1024, "listen() backlog", minimum=1)
    cpu_affinity: str = option("auto", "where the threads run: auto (with several CPUs, the "
                               "chat on one of them, where handing the interpreter lock "
                               "between threads is cheapest, and password hashing on the "
                               "others), all (wherever the system puts them) or a CPU "
                               "number (see affinity.py)", check=affinity.check,
                               metavar="auto|all|CPU")
    log_level: str = option("INFO", "DEBUG, INFO, WARNING or ERROR")
    # resolved at start-up from the files above (not options)
    rooms: list[RoomSpec] = field(default_factory=list)
    motd: str | None = DEFAULT_MOTD
    # set in the config file only (`opers:`), never on the command line
    opers: list[OperSpec] = field(default_factory=list)


def _options() -> list[tuple[str, str, Any, Mapping[str, Any]]]:
    """(field name, flag/key, type, metadata) of every configurable setting."""
    hints = typing.get_type_hints(Settings)
    return [(f.name, f.metadata["flag"] or f.name.replace("_", "-"), hints[f.name], f.metadata)
            for f in fields(Settings) if "help" in f.metadata]


def _base_type(kind: Any) -> Any:
    """`Path | None` -> Path; `list[Path]` -> Path; `int` -> int."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    return args[0] if args else kind


def _is_list(kind: Any) -> bool:
    return typing.get_origin(kind) is list


# --- the command line ----------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings()
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="server config file (YAML); its keys are these options' names, "
                             "plus 'opers' (server operators: a list of name and password "
                             "hash)")
    parser.add_argument("--hash-password", action=HashPasswordAction, nargs=0,
                        help="read a password (from the terminal, or a line of stdin), "
                             "print its hash for the config file's 'opers', and exit")
    for name, key, kind, meta in _options():
        default = getattr(defaults, name)
        text = meta["help"] + (f" (default {default})" if default not in (None, [], False)
                               else "")
        text = text.replace("%", "%%")
        base = _base_type(kind)
        if base is bool and default is False:
            parser.add_argument(f"--{key}", dest=name, default=None, help=text,
                                action="store_const", const=True)
        elif base is bool:
            parser.add_argument(f"--{key}", dest=name, default=None, help=text,
                                action=argparse.BooleanOptionalAction)
        elif _is_list(kind):
            parser.add_argument(f"--{key}", dest=name, default=None, help=text,
                                type=base, action="append", metavar="DIR")
        else:
            metavar = meta["metavar"] or {int: "N", float: "SECONDS", Path: "FILE"}.get(
                base, key.upper())
            parser.add_argument(f"--{key}", dest=name, default=None, help=text, type=base,
                                metavar=metavar)


def _option_error(key: str, problem: str) -> ConfigError:
    return ConfigError(f"--{key}: {problem}")


def _setting_error(path: Path, node: yaml.Node, key: str, problem: str) -> ConfigError:
    return fail(path, node, f"{key}: {problem}")


def settings_from_args(args: argparse.Namespace) -> Settings:
    settings = load_config(args.config) if args.config else Settings()
    for name, key, _kind, meta in _options():
        value = getattr(args, name)
        if value is not None:
            _check_bounds(value, meta, partial(_option_error, key))
            setattr(settings, name, value)
    return resolve_files(settings)


def resolve_files(settings: Settings) -> Settings:
    """Read the rooms and MOTD files the settings name."""
    rooms_file = settings.rooms_file
    if rooms_file is None and Path("rooms.yaml").is_file():
        rooms_file = Path("rooms.yaml")
    if rooms_file is not None:
        settings.rooms = load_rooms(rooms_file, settings.room_length, settings.topic_length,
                                    settings.nick_length)
    if settings.no_motd:
        settings.motd = None
    elif settings.motd_file is not None:
        settings.motd = read(settings.motd_file)
    return settings


# --- YAML files ------------------------------------------------------------------------

def _check_bounds(value: Any, meta: Mapping[str, Any], error: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if meta.get("minimum") is not None and value < meta["minimum"]:
            raise error(f"must be at least {meta['minimum']}")
        if meta.get("maximum") is not None and value > meta["maximum"]:
            raise error(f"must be at most {meta['maximum']}")
    problem = meta["check"](value) if meta.get("check") else None
    if problem:
        raise error(problem)


def load_config(path: Path) -> Settings:
    """A server config file: keys are the option names, e.g. `ping-interval: 120`."""
    node, data = document(path)
    known = {key: (name, kind, meta) for name, key, kind, meta in _options()}
    settings = Settings()
    seen: set[str] = set()
    for key, key_node, value_node in mapping_items(path, node, "a mapping of settings"):
        if key in seen:
            raise fail(path, key_node, f"'{key}' given twice")
        seen.add(key)
        if key == "opers":
            settings.opers = load_opers(path, value_node)
            continue
        if key not in known:
            raise fail(path, key_node, f"unknown setting '{key}'")
        name, kind, meta = known[key]
        error = partial(_setting_error, path, value_node, key)
        value = _convert(data[key], kind, error)
        _check_bounds(value, meta, error)
        setattr(settings, name, value)
    return settings


def load_opers(path: Path, node: yaml.Node) -> list[OperSpec]:
    """The config file's server operators::

        opers:
          - name: alice
            password: "scrypt$16384$8$1$...$..."   # ircish-server --hash-password
    """
    if node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise fail(path, node, "opers: must be a list of operators (name and password)")
    opers: list[OperSpec] = []
    seen: dict[str, int] = {}
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            raise fail(path, item, "opers: each operator must be a mapping with "
                                    "'name' and 'password'")
        found: dict[str, tuple[str, yaml.Node]] = {}
        for key, key_node, value in mapping_items(path, item, "an operator"):
            if key not in ("name", "password"):
                raise fail(path, key_node, f"opers: unknown key '{key}' "
                                            "(expected 'name' or 'password')")
            if key in found:
                raise fail(path, key_node, f"opers: '{key}' given twice")
            found[key] = (scalar(path, value, key), value)
        for needed in ("name", "password"):
            if needed not in found:
                raise fail(path, item, f"opers: operator has no '{needed}'")
        name, name_node = found["name"]
        if not name or any(c in name for c in " ,\r\n\0"):
            raise fail(path, name_node, f"opers: invalid operator name {name!r}")
        password, password_node = found["password"]
        problem = hash_problem(password)
        if problem:
            raise fail(path, password_node, f"opers: the password of {name} {problem}")
        if name in seen:
            raise fail(path, item, f"opers: duplicate operator {name} "
                                    f"(first defined on line {seen[name]})")
        seen[name] = item.start_mark.line + 1
        opers.append(OperSpec(name, password))
    return opers


def _convert(value: Any, kind: Any, error: Any) -> Any:
    base = _base_type(kind)
    optional = type(None) in typing.get_args(kind) and not _is_list(kind)
    if value is None:
        if optional:
            return None
        raise error("needs a value")
    if _is_list(kind):
        items = value if isinstance(value, list) else [value]
        return [_convert(item, base, error) for item in items]
    if base is bool:
        if not isinstance(value, bool):
            raise error("must be true or false")
        return value
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise error("must be a whole number")
        return value
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error("must be a number")
        return float(value)
    if isinstance(value, (dict, list)):
        raise error("must be a single value")
    return Path(str(value)) if base is Path else str(value)


def example_config() -> str:
    """Every option with its default, as a commented config file."""
    lines = ["# ircish server settings: every key is also a command-line flag (--KEY),",
             "# and a flag given on the command line wins over this file."]
    defaults = Settings()
    for name, key, _, meta in _options():
        value = getattr(defaults, name)
        shown = "" if value is None else "[]" if value == [] else str(value).lower() \
            if isinstance(value, bool) else value
        lines.append(f"# {meta['help']}")
        lines.append(f"{'# ' if value is None or value == [] else ''}{key}: {shown}".rstrip())
    lines += ["# server operators (OPER name password); a hash comes from",
              "# 'ircish-server --hash-password', never write the password itself",
              "# opers:",
              "#   - name: alice",
              '#     password: "scrypt$16384$8$1$...$..."']
    return "\n".join(lines) + "\n"

