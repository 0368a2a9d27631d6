"""draft/read-marker: MARKREAD sets (forward only) and gets an account's marker of a
room or a conversation; a marker that moves reaches every connection of the account
that has the capability, and nobody else; JOIN brings the room's marker before 366."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircish.server.registry import builtin_registry
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import together
from .ircclient import Client
from .test_chathistory import FULL, say, stamp
from .test_private_history import Person, connect, people

MARKING = FULL + " draft/read-marker"
T1 = "2025-03-01T10:00:00.123Z"
T2 = "2025-03-01T10:05:00.000Z"
T0 = "2025-02-28T23:59:59.999Z"


@pytest.fixture
def server(start_server) -> Server:
    return start_server(flood_control=False)


@pytest.fixture
def person(server: Server) -> Iterator[Person]:
    yield from people(server)


def mark(client: Client, target: str, value: str | None = None) -> str:
    """MARKREAD, and the line that answers it."""
    client.send(f"MARKREAD {target}" + (f" {value}" if value else ""))
    return client.next_line()


def marker(target: str, value: str) -> str:
    return f":{S} MARKREAD {target} {value}"


def test_set_moves_forward_only_and_get_reads_it(person: Person) -> None:
    alice = person("alice", "alice", MARKING)
    assert mark(alice, "#dev") == marker("#dev", "*")
    assert mark(alice, "#dev", f"timestamp={T1}") == marker("#dev", f"timestamp={T1}")
    assert mark(alice, "#DEV") == marker("#dev", f"timestamp={T1}")   # the room's name
    assert mark(alice, "#Other", f"timestamp={T1}") == marker("#Other", f"timestamp={T1}")
    assert mark(alice, "#OTHER") == marker("#OTHER", f"timestamp={T1}")  # as written
    for older in (T0, T1):     # earlier or equal: unchanged, and the sender is told so
        assert mark(alice, "#dev", f"timestamp={older}") == marker("#dev", f"timestamp={T1}")
    assert mark(alice, "#dev", f"TIMESTAMP={T2}") == marker("#dev", f"timestamp={T2}")
    assert mark(alice, "#else") == marker("#else", "*")           # each target its own
    before = int(time.time() * 1000)
    future = mark(alice, "#dev", "timestamp=2999-01-01T00:00:00.000Z")  # taken as now
    after = int(time.time() * 1000)
    match = re.fullmatch(rf":{S} MARKREAD #dev timestamp=(\S+)", future)
    assert match and stamp(before) <= match.group(1) <= stamp(after), future


def test_a_moved_marker_reaches_every_connection_of_the_account_and_no_one_else(
        person: Person) -> None:
    laptop = person("alice", "alice", MARKING)
    phone = person("alice_phone", "alice", MARKING)
    old = person("alice_old", "alice", FULL)          # the same account, no capability
    bob = person("bob", "bob", MARKING)
    guest = person("guest", None, MARKING)
    together("#dev", laptop, phone, bob, guest)
    assert mark(laptop, "#dev", f"timestamp={T1}") == marker("#dev", f"timestamp={T1}")
    assert phone.next_line() == marker("#dev", f"timestamp={T1}")
    for client in (old, bob, guest, phone):
        client.assert_silent()
    assert mark(phone, "#dev") == marker("#dev", f"timestamp={T1}")
    assert mark(old, "#dev") == marker("#dev", f"timestamp={T1}")   # asked, it is told
    assert mark(bob, "#dev") == marker("#dev", "*")                 # bob's own markers
    assert mark(phone, "#dev", f"timestamp={T0}") == marker("#dev", f"timestamp={T1}")
    laptop.assert_silent()                   # nothing moved: only the sender is told


def test_join_brings_the_rooms_marker_before_the_end_of_names(person: Person) -> None:
    alice = person("alice", "alice", MARKING)
    alice.send("JOIN #dev")
    lines = alice.collect(r" 366 ")
    assert " JOIN #dev" in lines[0]
    assert lines[-3:-1] == [marker("#dev", "*"), f":{S} 353 alice = #dev :alice"], lines
    mark(alice, "#dev", f"timestamp={T1}")
    alice.send("PART #dev")
    alice.expect(" PART #dev")
    alice.send("JOIN #dev")
    lines = alice.collect(r" 366 ")
    assert lines[-3] == marker("#dev", f"timestamp={T1}"), lines
    phone = person("alice_phone", "alice", MARKING)
    phone.send("JOIN #DEV")
    lines = phone.collect(r" 366 ")
    assert lines[-3] == marker("#dev", f"timestamp={T1}"), lines
    guest = person("guest", None, MARKING)     # the spec's MUST: a marker, none known
    guest.send("JOIN #dev")
    assert guest.collect(r" 366 ")[-3] == marker("#dev", "*")
    plain = person("bob", "bob", FULL)         # no capability: no MARKREAD
    plain.send("JOIN #dev")
    assert not [line for line in plain.collect(r" 366 ") if " MARKREAD " in line]


def test_a_conversations_marker_is_the_accounts_by_any_nick(person: Person) -> None:
    laptop = person("alice", "alice", MARKING)
    phone = person("alice_phone", "alice", MARKING)
    bob = person("bobby", "bob", MARKING)
    line = say(bob, "alice", "hello")
    assert laptop.next_line() == line
    when = re.search(r"time=(\S+?);", line)
    assert when
    assert mark(laptop, "bobby") == marker("bobby", "*")
    assert mark(laptop, "bobby", f"timestamp={when.group(1)}") == marker(
        "bobby", f"timestamp={when.group(1)}")
    assert phone.next_line() == marker("bobby", f"timestamp={when.group(1)}")
    bob.assert_silent()
    # bob by his account's name, while his nick is another: the same conversation
    assert mark(phone, "bob") == marker("bob", f"timestamp={when.group(1)}")
    assert mark(bob, "alice") == marker("alice", "*")     # the other side's is its own


def test_a_user_not_logged_in_has_no_markers(person: Person) -> None:
    guest = person("guest", None, MARKING)
    assert mark(guest, "#dev") == marker("#dev", "*")
    assert mark(guest, "alice") == marker("alice", "*")
    assert mark(guest, "#dev", f"timestamp={T1}") == (
        f":{S} FAIL MARKREAD INTERNAL_ERROR #dev :Read markers are kept for accounts: "
        "log in first")


def test_errors_are_the_specs_standard_replies(person: Person) -> None:
    alice = person("alice", "alice", MARKING)
    assert mark(alice, "") == f":{S} FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters"
    for target, value, bad, why in (
            ("#dev", "*", "*", "Invalid timestamp"),         # a client never sets *
            ("#dev", "timestamp=yesterday", "timestamp=yesterday", "Invalid timestamp"),
            ("#dev", T1, T1, "Invalid timestamp"),           # without timestamp=
            ("bad,target", None, "bad,target", "Invalid target"),
            ("#a,#b", f"timestamp={T1}", "#a,#b", "Invalid target")):
        assert mark(alice, target, value) == (
            f":{S} FAIL MARKREAD INVALID_PARAMS {bad} :{why}")
    alice.send("CAP REQ labeled-response")
    alice.expect(" ACK ")
    alice.send(f"@label=m1 MARKREAD #dev timestamp={T1}")
    alice.expect_exact(f"@label=m1 {marker('#dev', f'timestamp={T1}')}")


def test_the_command_entry() -> None:
    entry = builtin_registry().get("MARKREAD")
    assert entry is not None and entry.feature == "history"
    assert entry.synopsis == "MARKREAD [<target>] [<timestamp>]"


def test_markers_outlive_a_restart(start_server, tmp_path: Path) -> None:
    first: Server = start_server(data_dir=tmp_path / "data", flood_control=False)
    alice = connect(first, "alice", "alice", MARKING)
    bob = connect(first, "bob", "bob", MARKING)
    mark(alice, "#dev", f"timestamp={T1}")
    mark(alice, "bob", f"timestamp={T2}")
    for c in (alice, bob):
        c.close()
    data_dir = first.settings.data_dir
    first.stop()
    second = start_server(data_dir=data_dir, flood_control=False)
    alice = connect(second, "alice", "alice", MARKING)
    assert mark(alice, "#dev") == marker("#dev", f"timestamp={T1}")
    assert mark(alice, "bob") == marker("bob", f"timestamp={T2}")
    alice.close()
