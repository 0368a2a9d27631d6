"""The rooms file (rooms.yaml): the default rooms, read with `file:line` errors, and
the start-up warnings about them.

Default rooms exist from start-up and stay when empty; nobody becomes their operator by
joining. A default room may be owned: `founder` and `operators`/`voiced` name accounts
that get `@`/`+` whenever they join (the same as ROOM REGISTER and ROOM AMODE give).
rooms.yaml wins at each start for what it sets, as it does for topics and modes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..protocol import casefold, is_valid_room_name
from .accounts.book import is_valid_account_name
from .modes import parse_mode_setting
from .yamlfile import document, fail, mapping_items, scalar

if TYPE_CHECKING:
    from .accounts import AccountBook
    from .state import RoomTable

ROOM_KEYS = ("name", "topic", "modes", "founder", "operators", "voiced")
ACCOUNT_LISTS = {"operators": "o", "voiced": "v"}  # rooms.yaml key -> access letter


@dataclass(frozen=True)
class RoomSpec:
    name: str
    topic: str | None = None
    modes: str | None = None    # flag modes ("nt"); None: the server's room-modes
    key: str | None = None
    limit: int | None = None
    founder: str | None = None  # account names, as written
    operators: tuple[str, ...] = ()
    voiced: tuple[str, ...] = ()
    origin: str | None = field(default=None, compare=False)  # "rooms.yaml:4", for warnings

    def access(self) -> dict[str, str]:
        """The access entries it sets: account key -> "o" or "v"."""
        entries = {casefold(name): "o" for name in self.operators}
        entries.update((casefold(name), "v") for name in self.voiced)
        return entries


def load_rooms(path: Path, room_length: int = 50, topic_length: int = 390,
               nick_length: int = 30) -> list[RoomSpec]:
    """Read a rooms file::

        rooms:
          - name: "#general"
            topic: "Anything goes"
            modes: +nt          # optional: flags imnst, +k <key>, +l <limit>
            founder: alice      # optional accounts: @ for founder and operators,
            operators: [bob]    # + for voiced, whenever they join
            voiced: [carol]
    """
    node, _ = document(path)
    rooms_node: yaml.Node | None = None
    for key, key_node, value in mapping_items(path, node, "a mapping with a 'rooms' list"):
        if key != "rooms":
            raise fail(path, key_node, f"unknown key '{key}' (expected 'rooms')")
        rooms_node = value
    if rooms_node is None or rooms_node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(rooms_node, yaml.SequenceNode):
        raise fail(path, rooms_node, "'rooms' must be a list")

    specs: list[RoomSpec] = []
    seen: dict[str, int] = {}
    for item in rooms_node.value:
        spec = _room(path, item, room_length, topic_length, nick_length)
        key = casefold(spec.name)
        if key in seen:
            raise fail(path, item, f"duplicate room {spec.name} "
                                   f"(first defined on line {seen[key]})")
        seen[key] = item.start_mark.line + 1
        specs.append(spec)
    return specs


def _room(path: Path, item: yaml.Node, room_length: int, topic_length: int,
          nick_length: int) -> RoomSpec:
    if not isinstance(item, yaml.MappingNode):
        raise fail(path, item, "each room must be a mapping with a 'name'")
    nodes: dict[str, yaml.Node] = {}
    for key, key_node, value in mapping_items(path, item, "a room"):
        if key not in ROOM_KEYS:
            raise fail(path, key_node, f"unknown key '{key}' (expected "
                                       f"{', '.join(repr(k) for k in ROOM_KEYS)})")
        if key in nodes:
            raise fail(path, key_node, f"'{key}' given twice")
        nodes[key] = value
    found = {key: scalar(path, value, key) for key, value in nodes.items()
             if key in ("name", "topic", "modes")}
    if "name" not in found:
        raise fail(path, item, "room has no 'name'")
    room = found["name"]
    if not is_valid_room_name(room, room_length):
        raise fail(path, item, f"invalid room name {room!r}: it must start with '#', "
                    f"have at most {room_length} characters and no spaces, commas or colons")
    topic = found.get("topic")
    if topic is not None and len(topic) > topic_length:
        raise fail(path, item, f"topic of {room} is longer than {topic_length} characters")
    flags = room_key = limit = None
    if "modes" in found:
        try:
            flags, room_key, limit = parse_mode_setting(found["modes"])
        except ValueError as exc:
            raise fail(path, nodes["modes"], f"modes of {room}: {exc}") from None
    named = _Accounts(path, room, nick_length)
    founder = named.add(nodes["founder"], "founder") if "founder" in nodes else None
    lists = {key: tuple(named.add(entry, key) for entry in _entries(path, nodes[key], room, key))
             for key in ACCOUNT_LISTS if key in nodes}
    return RoomSpec(room, topic, flags, room_key, limit, founder,
                    lists.get("operators", ()), lists.get("voiced", ()),
                    origin=f"{path}:{item.start_mark.line + 1}")


def _entries(path: Path, node: yaml.Node, room: str, key: str) -> list[yaml.Node]:
    if node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise fail(path, node, f"{key} of {room} must be a list of account names "
                               f"({key}: [alice, bob])")
    return list(node.value)


class _Accounts:
    """The accounts one room names, each once (a second mention is an error)."""

    def __init__(self, path: Path, room: str, nick_length: int) -> None:
        self.path, self.room, self.nick_length = path, room, nick_length
        self.lines: dict[str, int] = {}

    def add(self, node: yaml.Node, role: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise fail(self.path, node, f"{role} of {self.room}: an account name must be "
                                        "a string")
        name = str(node.value)
        if not is_valid_account_name(name, self.nick_length):
            raise fail(self.path, node, f"{role} of {self.room}: {name!r} is not a valid "
                                        f"account name (a nick of at most "
                                        f"{self.nick_length} characters)")
        key = casefold(name)
        if key in self.lines:
            raise fail(self.path, node, f"{name} is named twice for {self.room} "
                                        f"(first on line {self.lines[key]})")
        self.lines[key] = node.start_mark.line + 1
        return name


def start_up_warnings(specs: Iterable[RoomSpec], rooms: RoomTable,
                      accounts: AccountBook) -> list[str]:
    """What the server operator should hear about the default rooms as they start
    (after the saved state is restored): a +t room that nobody can give a topic, and
    accounts rooms.yaml names that are not registered (whoever registers the name gets
    the room's modes)."""
    warnings: list[str] = []
    for spec in specs:
        where = f"{spec.origin}: " if spec.origin else ""
        room = rooms.find(spec.name)
        if room is None:
            continue
        with room.lock:
            ownerless = room.founder is None and "o" not in room.access.values()
            topic_locked = "t" in room.modes
        if topic_locked and ownerless:
            warnings.append(f"{where}{room.name} is +t but has no founder: nobody but a "
                            "server operator can set its topic")
        named = [spec.founder] if spec.founder else []
        for name in [*named, *spec.operators, *spec.voiced]:
            if accounts.get(name) is None:
                warnings.append(f"{where}{room.name} names {name}, which is not a "
                                f"registered account: whoever registers {name} gets its "
                                f"modes in {room.name}")
    return warnings
