"""The rooms file (rooms.yaml): the default rooms, read with `file:line` errors.

Default rooms exist from start-up and stay when empty; nobody becomes their operator by
joining. The file is read here, on its own, because it will grow (founders by account).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..protocol import casefold, is_valid_room_name
from .modes import parse_mode_setting
from .yamlfile import document, fail, mapping_items, scalar


@dataclass(frozen=True)
class RoomSpec:
    name: str
    topic: str | None = None
    modes: str | None = None    # flag modes ("nt"); None: the server's room-modes
    key: str | None = None
    limit: int | None = None


def load_rooms(path: Path, room_length: int = 50, topic_length: int = 390) -> list[RoomSpec]:
    """Read a rooms file::

        rooms:
          - name: "#general"
            topic: "Anything goes"
            modes: +nt          # optional: flags imnst, +k <key>, +l <limit>
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
        if not isinstance(item, yaml.MappingNode):
            raise fail(path, item, "each room must be a mapping with a 'name'")
        found: dict[str, str] = {}
        nodes: dict[str, yaml.Node] = {}
        for key, key_node, value in mapping_items(path, item, "a room"):
            if key not in ("name", "topic", "modes"):
                raise fail(path, key_node,
                            f"unknown key '{key}' (expected 'name', 'topic' or 'modes')")
            if key in found:
                raise fail(path, key_node, f"'{key}' given twice")
            found[key] = scalar(path, value, key)
            nodes[key] = value
        if "name" not in found:
            raise fail(path, item, "room has no 'name'")
        room = found["name"]
        if not is_valid_room_name(room, room_length):
            raise fail(path, item, f"invalid room name {room!r}: it must start with '#', "
                        f"have at most {room_length} characters and no spaces, commas or colons")
        topic = found.get("topic")
        if topic is not None and len(topic) > topic_length:
            raise fail(path, item, f"topic of {room} is longer than {topic_length} characters")
        key = casefold(room)
        if key in seen:
            raise fail(path, item, f"duplicate room {room} (first defined on line {seen[key]})")
        seen[key] = item.start_mark.line + 1
        modes = found.get("modes")
        if modes is None:
            specs.append(RoomSpec(room, topic))
        else:
            try:
                flags, room_key, limit = parse_mode_setting(modes)
            except ValueError as exc:
                raise fail(path, nodes["modes"], f"modes of {room}: {exc}") from None
            specs.append(RoomSpec(room, topic, flags, room_key, limit))
    return specs
