"""Server settings and the rooms file.

Configuration errors stop start-up with `file:line: what is wrong`, found by walking
PyYAML's node tree (which keeps line numbers) rather than the plain loaded data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .protocol import casefold, is_valid_room_name

DEFAULT_MOTD = """Welcome to ircish, a small multi-room chat that speaks IRC.
Try /list to see the rooms, /join #general to talk, /help for the commands."""


class ConfigError(Exception):
    """Bad configuration; the message is `file:line: problem`."""


@dataclass(frozen=True)
class RoomSpec:
    name: str
    topic: str | None = None


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 6667
    server_name: str = "ircish.local"
    network: str = "ircish"
    motd: str | None = DEFAULT_MOTD
    rooms: list[RoomSpec] = field(default_factory=lambda: [RoomSpec("#general")])
    command_dirs: list[Path] = field(default_factory=list)
    nick_length: int = 30
    room_length: int = 50
    topic_length: int = 390
    max_rooms_per_user: int = 50
    max_targets: int = 4
    whowas_size: int = 1000            # departed nicks remembered for WHOWAS
    ping_interval: float = 120.0       # a quiet registered client is PINGed after this
    ping_timeout: float = 60.0         # ... and dropped if still quiet this much later
    registration_timeout: float = 60.0
    sendq: int = 1 << 20               # bytes queued for one client before it is dropped
    thread_stack_size: int = 256 * 1024
    listen_backlog: int = 1024


def _fail(path: Path, node: yaml.Node | None, problem: str) -> ConfigError:
    line = node.start_mark.line + 1 if node is not None else 1
    return ConfigError(f"{path}:{line}: {problem}")


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        hint = " (quote it: '#' starts a YAML comment)" if what == "name" else ""
        raise _fail(path, node, f"{what} must be a string{hint}")
    return str(node.value)


def load_rooms(path: Path, room_length: int = 50, topic_length: int = 390) -> list[RoomSpec]:
    """Read a rooms file::

        rooms:
          - name: "#general"
            topic: "Anything goes"
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}:1: cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, "expected a mapping with a 'rooms' list")
    rooms_node: yaml.Node | None = None
    for key, value in root.value:
        if _scalar(path, key, "key") != "rooms":
            raise _fail(path, key, f"unknown key '{key.value}' (expected 'rooms')")
        rooms_node = value
    if rooms_node is None or rooms_node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(rooms_node, yaml.SequenceNode):
        raise _fail(path, rooms_node, "'rooms' must be a list")

    specs: list[RoomSpec] = []
    seen: dict[str, int] = {}
    for item in rooms_node.value:
        if not isinstance(item, yaml.MappingNode):
            raise _fail(path, item, "each room must be a mapping with a 'name'")
        fields: dict[str, str] = {}
        for key, value in item.value:
            name = _scalar(path, key, "key")
            if name not in ("name", "topic"):
                raise _fail(path, key, f"unknown key '{name}' (expected 'name' or 'topic')")
            if name in fields:
                raise _fail(path, key, f"'{name}' given twice")
            fields[name] = _scalar(path, value, name)
        if "name" not in fields:
            raise _fail(path, item, "room has no 'name'")
        room = fields["name"]
        if not is_valid_room_name(room, room_length):
            raise _fail(path, item, f"invalid room name {room!r}: it must start with '#', "
                        f"have at most {room_length} characters and no spaces, commas or colons")
        topic = fields.get("topic")
        if topic is not None and len(topic) > topic_length:
            raise _fail(path, item, f"topic of {room} is longer than {topic_length} characters")
        key = casefold(room)
        if key in seen:
            raise _fail(path, item, f"duplicate room {room} (first defined on line {seen[key]})")
        seen[key] = item.start_mark.line + 1
        specs.append(RoomSpec(room, topic))
    return specs


def load_motd(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}:1: cannot read: {exc.strerror}") from None
