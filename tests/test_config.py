"""rooms.yaml validation (file:line errors) and the ircish-server command line."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ircish.config import ConfigError, RoomSpec, load_rooms

from .ircclient import Client

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rooms.yaml"
    path.write_text(text)
    return path


def test_the_shipped_rooms_file_is_valid() -> None:
    rooms = load_rooms(REPO / "rooms.yaml")
    assert RoomSpec("#general", "Anything goes. Be kind.") in rooms
    assert len(rooms) >= 3


def test_rooms_with_and_without_topics(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#a"\n    topic: "Hello there"\n  - name: "#b"\n')
    assert load_rooms(path) == [RoomSpec("#a", "Hello there"), RoomSpec("#b", None)]


@pytest.mark.parametrize("text,line,problem", [
    ('rooms:\n  - name: "#a"\n  - name: [oops\n', 4, "invalid YAML"),
    ('rooms:\n  - name: "#a"\n    colour: red\n', 3, "unknown key 'colour'"),
    ('roms:\n  - name: "#a"\n', 1, "unknown key 'roms'"),
    ('rooms:\n  - name: "#a"\n  - name: "#b"\n  - name: "#A"\n', 4,
     r"duplicate room #A \(first defined on line 2\)"),
    ('rooms:\n  - name: "#a"\n  - name: "bad name"\n', 3, "invalid room name 'bad name'"),
    ('rooms:\n  - name: #general\n', 2, "name must be a string .quote it"),
    ('rooms:\n  - topic: "no name"\n', 2, "room has no 'name'"),
    ('rooms: "#a"\n', 1, "'rooms' must be a list"),
    ('rooms:\n  - "#a"\n', 2, "each room must be a mapping"),
    ('- "#a"\n', 1, "expected a mapping"),
    ('rooms:\n  - name: "#a"\n    topic: "' + "t" * 400 + '"\n', 2, "longer than 390"),
])
def test_bad_rooms_files_fail_with_file_and_line(tmp_path: Path, text: str, line: int,
                                                  problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rooms(path)
    assert re.match(rf"{re.escape(str(path))}:{line}: .*{problem}", str(info.value)), info.value


# --- the console script ---------------------------------------------------------------

SERVER = [sys.executable, "-m", "ircish.server"]


def test_help_documents_every_option() -> None:
    out = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, timeout=30).stdout
    for option in ("--host", "--port", "--name", "--rooms", "--motd", "--commands",
                   "--log-level", "--nick-length", "--ping-interval", "--sendq"):
        assert option in out, option


def test_bad_rooms_file_stops_start_up(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#ok"\n  - name: "nope"\n')
    proc = subprocess.run([*SERVER, "--port", "0", "--rooms", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert f"{path}:3: invalid room name 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_broken_plugin_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import nowhere_to_be_found\n")
    proc = subprocess.run([*SERVER, "--port", "0", "--commands", str(tmp_path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert f"{tmp_path / 'bad.py'}:1: ModuleNotFoundError" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_server_process_serves_and_shuts_down_on_sigterm(tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("Hello from the test MOTD\n")
    proc = subprocess.Popen([*SERVER, "--port", "0", "--name", "proc.test", "--motd", str(motd),
                             "--rooms", str(REPO / "rooms.yaml")],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        client = Client(("127.0.0.1", port), "alice")
        client.register("alice")
        client.send("MOTD")
        client.expect(r"^:proc\.test 372 alice :- Hello from the test MOTD$")
        client.send("LIST")
        client.expect(r"^:proc\.test 322 alice #general 0 :Anything goes")
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        client.expect(r"^ERROR :Server shutting down$")
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 2.5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
