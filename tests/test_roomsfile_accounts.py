"""rooms.yaml's owners (founder, operators, voiced): validation with file:line, their
modes on joining, and the start-up warnings (a +t room nobody can give a topic,
accounts not registered yet); the shipped rooms.yaml lets members set #general's topic."""
from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.server.roomsfile import RoomSpec, load_rooms
from ircish.server.server import Server
from ircish.server.yamlfile import ConfigError

from .conftest import SERVER_NAME, src
from .test_room_registration import joined, names, user

REPO = Path(__file__).resolve().parent.parent
Start = Callable[..., Server]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rooms.yaml"
    path.write_text(text)
    return path


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.name.startswith("ircish")]


# --- reading ---------------------------------------------------------------------------

def test_founder_operators_and_voiced_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#a"\n    founder: Alice\n'
                           '    operators: [bob, "dave"]\n    voiced:\n      - carol\n'
                           '  - name: "#b"\n    operators: []\n')
    a, b = load_rooms(path)
    assert a == RoomSpec("#a", founder="Alice", operators=("bob", "dave"), voiced=("carol",))
    assert a.access() == {"bob": "o", "dave": "o", "carol": "v"}
    assert a.origin == f"{path}:2"
    assert b == RoomSpec("#b")


@pytest.mark.parametrize("text,line,problem", [
    ('rooms:\n  - name: "#a"\n    founder: [alice]\n', 3,
     "founder of #a: an account name must be a string"),
    ('rooms:\n  - name: "#a"\n    founder:\n', 3,
     "founder of #a: an account name must be a string"),
    ('rooms:\n  - name: "#a"\n    founder: "9lives"\n', 3,
     "founder of #a: '9lives' is not a valid account name"),
    ('rooms:\n  - name: "#a"\n    founder: ChanServ\n', 3,
     "founder of #a: 'ChanServ' is not a valid account name"),
    ('rooms:\n  - name: "#a"\n    operators: alice\n', 3,
     r"operators of #a must be a list of account names \(operators: \[alice, bob\]\)"),
    ('rooms:\n  - name: "#a"\n    voiced: {carol: 1}\n', 3,
     "voiced of #a must be a list of account names"),
    ('rooms:\n  - name: "#a"\n    operators:\n      - bob\n      - [x]\n', 5,
     "operators of #a: an account name must be a string"),
    ('rooms:\n  - name: "#a"\n    operators:\n      - bob\n      - "a b"\n', 5,
     "operators of #a: 'a b' is not a valid account name"),
    ('rooms:\n  - name: "#a"\n    operators:\n      - bob\n      - BOB\n', 5,
     r"BOB is named twice for #a \(first on line 4\)"),
    ('rooms:\n  - name: "#a"\n    founder: alice\n    voiced: [carol, Alice]\n', 4,
     r"Alice is named twice for #a \(first on line 3\)"),
    ('rooms:\n  - name: "#a"\n    operators: [bob]\n    voiced: [bob]\n', 4,
     r"bob is named twice for #a \(first on line 3\)"),
    ('rooms:\n  - name: "#a"\n    founder: alice\n    founder: bob\n', 4,
     "'founder' given twice"),
    ('rooms:\n  - name: "#a"\n    owner: alice\n', 3,
     "unknown key 'owner' .expected 'name', 'topic', 'modes', 'founder', 'operators', "
     "'voiced'"),
])
def test_bad_owners_fail_with_file_and_line(tmp_path: Path, text: str, line: int,
                                            problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rooms(path)
    assert re.fullmatch(rf"{re.escape(str(path))}:{line}: {problem}.*", str(info.value)), \
        info.value


def test_account_names_are_as_long_as_nicks_may_be(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#a"\n    founder: abcdefghij\n')
    assert load_rooms(path, nick_length=10)[0].founder == "abcdefghij"
    with pytest.raises(ConfigError, match=r":3: founder of #a: 'abcdefghij' is not a valid "
                                          r"account name \(a nick of at most 9 characters\)"):
        load_rooms(path, nick_length=9)


# --- their effect ------------------------------------------------------------------------

OWNED = ('rooms:\n'
         '  - name: "#owned"\n'
         '    modes: +nt\n'
         '    founder: alice\n'
         '    operators: [bob]\n'
         '    voiced: [carol]\n')


def test_the_accounts_rooms_yaml_names_get_their_modes_on_joining(
        start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, OWNED)
    server = start_server(rooms=load_rooms(path))
    # none of them is registered yet: the server says so (whoever registers one gets it)
    assert warnings(caplog) == [
        f"{path}:2: #owned names {name}, which is not a registered account: whoever "
        f"registers {name} gets its modes in #owned" for name in ("alice", "bob", "carol")]
    dave = user(server, "dave", "dave")
    assert names(joined(dave, "#owned")) == "dave"  # no @ for the first to join
    clients = []  # kept: a client that is collected quits
    for nick, mode in (("alice", "+o"), ("bob", "+o"), ("carol", "+v")):
        clients.append(client := user(server, nick, nick))
        assert joined(client, "#owned")[:2] == [f"{src(nick)} JOIN #owned",
                                                f":{SERVER_NAME} MODE #owned {mode} {nick}"]
    dave.drain()
    dave.send("TOPIC #owned :mine")
    dave.expect_exact(f":{SERVER_NAME} 482 dave #owned :You're not channel operator")
    carol = clients[-1]
    carol.drain()
    carol.send("ROOM INFO #owned")
    info = carol.collect(" NOTE ROOM AMODE #owned carol ")
    assert re.fullmatch(rf":{SERVER_NAME} NOTE ROOM REGISTERED #owned alice \d+ "
                        ":#owned is registered to alice", info[0]), info
    assert info[1:] == [f":{SERVER_NAME} NOTE ROOM AMODE #owned bob +o :bob gets +o in "
                        "#owned on joining",
                        f":{SERVER_NAME} NOTE ROOM AMODE #owned carol +v :carol gets +v in "
                        "#owned on joining"]
    alice = user(server, "alice2", "alice")
    alice.send("ROOM DROP #owned")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM CONFIGURED #owned "
                       ":The founder of #owned is set in rooms.yaml: change it there")


def test_a_plus_t_room_without_founder_warns_at_start_up(
        start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, 'rooms:\n'
                           '  - name: "#locked"\n'        # 2
                           '    modes: +nt\n'
                           '  - name: "#open"\n'          # 4
                           '    modes: +n\n'
                           '  - name: "#ruled"\n'         # 6
                           '    modes: +t\n'
                           '    operators: [bob]\n'
                           '  - name: "#default"\n')      # 9: the server's room-modes
    start_server(rooms=load_rooms(path), room_modes="+nt")
    text = ": nobody but a server operator can set its topic"
    assert [w for w in warnings(caplog) if "+t" in w] == [
        f"{path}:2: #locked is +t but has no founder{text}",
        f"{path}:9: #default is +t but has no founder{text}"]


def test_the_warning_reaches_the_servers_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, 'rooms:\n  - name: "#ok"\n    modes: +n\n'
                           '  - name: "#locked"\n    modes: +nt\n')
    proc = subprocess.Popen([sys.executable, "-m", "ircish.server", "--port", "0",
                             "--rooms", str(path), "--no-history"],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not lines or "listening on" not in lines[-1]:
            line = proc.stderr.readline()
            assert line, lines
            lines.append(line)
        warned = [line for line in lines if " WARNING " in line]
        assert len(warned) == 1, lines
        assert warned[0].rstrip().endswith(
            f"WARNING ircish.server: {path}:4: #locked is +t but has no founder: nobody but "
            "a server operator can set its topic")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_shipped_rooms_let_a_plain_member_set_the_topic(
        start_server: Start, caplog: pytest.LogCaptureFixture) -> None:
    server = start_server(rooms=load_rooms(REPO / "rooms.yaml"))
    assert warnings(caplog) == []  # no +t room without a founder, no unknown account
    bob, carol = user(server, "bob"), user(server, "carol")
    assert names(joined(bob, "#general")) == "bob"  # nobody is operator by joining
    joined(carol, "#general")
    bob.drain()
    bob.send("TOPIC #general :Lunch at noon")
    for client in (bob, carol):
        client.expect_exact(f"{src('bob')} TOPIC #general :Lunch at noon")
