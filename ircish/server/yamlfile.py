"""Reading YAML files so that every problem names its file and line (`file:line: problem`):
the node tree is kept next to the data, and each check reports the node it refused."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """Bad configuration; the message is `file:line: problem`."""


def fail(path: Path, node: yaml.Node | None, problem: str) -> ConfigError:
    line = node.start_mark.line + 1 if node is not None else 1
    return ConfigError(f"{path}:{line}: {problem}")


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}:1: cannot read: {exc.strerror}") from None


def document(path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the loaded data of a YAML file."""
    loader = yaml.SafeLoader(read(path))
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    finally:
        loader.dispose()


def mapping_items(path: Path, node: yaml.Node | None, what: str
                   ) -> list[tuple[str, yaml.Node, yaml.Node]]:
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise fail(path, node, f"expected {what}")
    items: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise fail(path, key, "keys must be plain names")
        items.append((str(key.value), key, value))
    return items


def scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        hint = " (quote it: '#' starts a YAML comment)" if what == "name" else ""
        raise fail(path, node, f"{what} must be a string{hint}")
    return str(node.value)
