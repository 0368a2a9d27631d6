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

from ircish.server.cli import build_parser
from ircish.server.config import (
    RoomSpec,
    Settings,
    example_config,
    load_config,
    resolve_files,
    settings_from_args,
)
from ircish.server.opers import OperSpec, make_hash
from ircish.server.roomsfile import load_rooms
from ircish.server.yamlfile import ConfigError

from .conftest import SERVER_NAME
from .ircclient import Client

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rooms.yaml"
    path.write_text(text)
    return path


def test_the_shipped_rooms_file_is_valid() -> None:
    rooms = load_rooms(REPO / "rooms.yaml")
    assert RoomSpec("#general", "Anything goes. Be kind.", "n") in rooms  # members set topics
    assert len(rooms) >= 3


def test_rooms_with_and_without_topics(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#a"\n    topic: "Hello there"\n  - name: "#b"\n')
    assert load_rooms(path) == [RoomSpec("#a", "Hello there"), RoomSpec("#b", None)]


def test_rooms_with_modes(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#a"\n    modes: +nt\n'
                           '  - name: "#b"\n    modes: "+mkl sesame 50"\n'
                           '  - name: "#c"\n    modes: ""\n')
    assert load_rooms(path) == [RoomSpec("#a", None, "nt"),
                                RoomSpec("#b", None, "m", "sesame", 50),
                                RoomSpec("#c", None, "")]
    assert RoomSpec("#dev", "Building ircish: the server, the client, the protocol", "n") \
        in load_rooms(REPO / "rooms.yaml")


def test_rooms_file_modes_reach_the_rooms(tmp_path: Path, start_server, connect) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#quiet"\n    modes: +mkl sesame 50\n'
                           '  - name: "#open"\n    modes: ""\n  - name: "#plain"\n')
    server = start_server(rooms=load_rooms(path), room_modes="+n")
    alice = connect("alice", target=server)
    for room, modes in (("#quiet", "+klm * 50"), ("#open", "+"), ("#plain", "+n")):
        alice.send(f"MODE {room}")
        alice.expect_exact(f":{SERVER_NAME} 324 alice {room} {modes}")
        alice.expect(f" 329 alice {room} ")
    alice.send("JOIN #quiet sesame")
    alice.expect_exact(":alice!~alice@127.0.0.1 JOIN #quiet")
    alice.expect_exact(f":{SERVER_NAME} 353 alice = #quiet :alice")  # no operator by joining


@pytest.mark.parametrize("text,line,problem", [
    ('rooms:\n  - name: "#a"\n\n    modes: +nz\n', 4, "modes of #a: unknown mode 'z'"),
    ('rooms:\n  - name: "#a"\n    modes: +k\n', 3, r"modes of #a: \+k needs a key"),
    ('rooms:\n  - name: "#a"\n    modes: +l lots\n', 3, "positive whole number, not 'lots'"),
    ('rooms:\n  - name: "#a"\n    modes: [n, t]\n', 3, "modes must be a string"),
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
        lines = [proc.stderr.readline() for _ in range(3)]  # the store's line first
        listening = re.search(r"listening on 127\.0\.0\.1:(\d+)", "".join(lines))
        assert listening is not None, lines
        port = int(listening.group(1))
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


# --- the server config file ------------------------------------------------------------


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "server.yaml"
    path.write_text(text)
    return path


def test_config_file_sets_options_by_their_flag_names(tmp_path: Path) -> None:
    path = config(tmp_path, "port: 7000\nname: irc.example\nping-interval: 30\n"
                            "flood-control: false\nmax-per-ip: 0\ncommands: [a, b]\n")
    s = load_config(path)
    assert (s.port, s.server_name, s.ping_interval, s.flood_control, s.max_clients_per_ip) \
        == (7000, "irc.example", 30.0, False, 0)
    assert s.command_dirs == [Path("a"), Path("b")]


def test_command_line_wins_over_the_config_file(tmp_path: Path) -> None:
    path = config(tmp_path, "port: 7000\nsendq: 65536\n")
    args = build_parser().parse_args(["--config", str(path), "--port", "7001",
                                      "--rooms", str(REPO / "rooms.yaml")])
    s = settings_from_args(args)
    assert (s.port, s.sendq) == (7001, 65536)
    assert [r.name for r in s.rooms] == ["#general", "#dev", "#random"]


def test_printed_config_loads_back_to_the_defaults(tmp_path: Path) -> None:
    assert load_config(config(tmp_path, example_config())) == Settings()


HASH = make_hash("pw")


@pytest.mark.parametrize("text,line,problem", [
    ("port: 7000\nprot: 7001\n", 2, "unknown setting 'prot'"),
    ("port: seven\n", 1, "port: must be a whole number"),
    ("port: 70000\n", 1, "port: must be at most 65535"),
    ("\n\nflood-rate: fast\n", 3, "flood-rate: must be a number"),
    ("flood-control: maybe\n", 1, "flood-control: must be true or false"),
    ("name:\n", 1, "name: needs a value"),
    ("port: 1\nport: 2\n", 2, "'port' given twice"),
    ("- port\n", 1, "expected a mapping of settings"),
    ("port: [1\n", 2, "invalid YAML"),
    ("sendq: 10\n", 1, "sendq: must be at least 4096"),
    ('opers:\n  - name: alice\n    password: hunter2\n', 3,
     "opers: the password of alice is not a password hash (make one with "
     "'ircish-server --hash-password'"),
    (f'opers:\n  - password: "{HASH}"\n', 2, "opers: operator has no 'name'"),
    ('opers:\n  - name: alice\n', 2, "opers: operator has no 'password'"),
    (f'opers:\n  - {{name: a, password: "{HASH}"}}\n  - {{name: a, password: "{HASH}"}}\n', 3,
     "opers: duplicate operator a (first defined on line 2)"),
    ('opers: alice\n', 1, "opers: must be a list"),
    ('opers:\n  - name: alice\n    pass: x\n', 3, "opers: unknown key 'pass'"),
    ('\nroom-modes: +nx\n', 2, "room-modes: '+nx' is not flag modes among imnst (e.g. +nt)"),
    ('room-modes: +k\n', 1, "room-modes: '+k' is not flag modes among imnst"),
])
def test_bad_config_files_fail_with_file_and_line(tmp_path: Path, text: str, line: int,
                                                   problem: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:{line}: "), info.value
    assert problem in str(info.value)


@pytest.mark.parametrize("flag,value,problem", [
    ("--sendq", "5", "--sendq: must be at least 4096"),
    ("--room-modes", "+nl", "--room-modes: '+nl' is not flag modes among imnst"),
])
def test_bad_flag_values_are_refused(tmp_path: Path, flag: str, value: str,
                                     problem: str) -> None:
    proc = subprocess.run([*SERVER, "--port", "0", flag, value], capture_output=True,
                          text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode == 2
    assert problem in proc.stderr


# --- server operators and room modes in the config file --------------------------------

def test_opers_are_read_from_the_config_file_as_hashes(tmp_path: Path) -> None:
    hashed = make_hash("pw")
    path = config(tmp_path, f'port: 7000\nopers:\n  - name: alice\n    password: "{hashed}"\n'
                            f'  - {{name: bob, password: "{hashed}"}}\nroom-modes: +ntm\n')
    s = load_config(path)
    assert s.opers == [OperSpec("alice", hashed), OperSpec("bob", hashed)]
    assert s.room_modes == "+ntm"
    assert "pw" not in repr(s.opers)


def test_without_a_rooms_file_there_are_no_default_rooms(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./rooms.yaml here
    assert resolve_files(Settings()).rooms == []
    (tmp_path / "rooms.yaml").write_text('rooms:\n  - name: "#here"\n')
    assert [spec.name for spec in resolve_files(Settings()).rooms] == ["#here"]
