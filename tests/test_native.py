"""Compiled modules (build_native.py): an edited source never hides behind its old
compiled module, and the compiled build is the one the suite runs when it exists."""
from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

import pytest

import ircish.protocol
from ircish import _native

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def files(tmp_path: Path, **mtimes: float) -> None:
    for name, mtime in mtimes.items():
        path = tmp_path / name.replace("SO", SUFFIX)
        path.write_bytes(b"")
        os.utime(path, (mtime, mtime))


def test_a_source_newer_than_its_build_stops_the_import(tmp_path: Path) -> None:
    files(tmp_path, **{"outbox.py": 200.0, "outboxSO": 100.0, "outbox__mypycSO": 150.0})
    with pytest.raises(_native.StaleNativeModule, match=r"outbox\.py changed after it was "
                       r"compiled .*run `make`"):
        _native.check(tmp_path)


def test_a_rebuilt_library_behind_an_unchanged_stub_is_current(tmp_path: Path) -> None:
    files(tmp_path, **{"outbox.py": 200.0, "outboxSO": 100.0, "outbox__mypycSO": 250.0})
    _native.check(tmp_path)  # no error: the build is newer than the edit


def test_sources_without_a_build_are_left_alone(tmp_path: Path) -> None:
    files(tmp_path, **{"events.py": 300.0, "sub_modSO": 100.0})
    _native.check(tmp_path)


def test_the_compiled_build_is_what_runs_when_there_is_one() -> None:
    here = Path(ircish.__file__ or "").parent
    built = (here / f"protocol{SUFFIX}").exists()
    assert (ircish.protocol.__file__ or "").endswith(SUFFIX if built else ".py")
