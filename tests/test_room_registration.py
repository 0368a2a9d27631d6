"""Rooms that belong to an account: ROOM REGISTER/DROP/AMODE/INFO/TRANSFER and
ChanServ, the founder's and the access list's modes on joining (also after a restart),
over real sockets."""
from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME, src
from .ircclient import Client

Start = Callable[..., Server]
PASSWORD = "correct horse"


def user(server: Server, nick: str, account: str | None = None) -> Client:
    """A registered client, logged in to `account` (created if need be) with `PASS
    account:password` if given."""
    c = Client(server.address, nick)
    if account is None:
        c.register(nick)
        return c
    ensure_account(server, account)
    c.send(f"PASS :{account}:{PASSWORD}")
    c.register(nick)
    assert nick in [u.nick for u in server.accounts.connections(account)]  # logged in
    return c


def ensure_account(server: Server, account: str) -> None:
    if server.accounts.get(account) is None:
        server.accounts.create(account, PASSWORD)


def log_in(server: Server, client: Client, account: str) -> list[str]:
    """Log a registered client in to `account` (created if need be) with SASL PLAIN;
    returns what came between the login (900) and SASL's success (903)."""
    ensure_account(server, account)
    client.send("CAP REQ :sasl")
    client.expect(r" CAP \S+ ACK :sasl$")
    client.send("AUTHENTICATE PLAIN")
    client.expect_exact("AUTHENTICATE +")
    token = base64.b64encode(f"\0{account}\0{PASSWORD}".encode()).decode()
    client.send(f"AUTHENTICATE {token}")
    client.expect_exact(f":{SERVER_NAME} 900 {client.name} {src(client.name)[1:]} {account} "
                        f":You are now logged in as {account}")
    return client.collect(rf" 903 {client.name} :")[:-1]


def joined(client: Client, room: str) -> list[str]:
    """JOIN and everything up to the end of NAMES."""
    client.send(f"JOIN {room}")
    return client.collect(rf" 366 {client.name} {re.escape(room)} ")


def names(lines: list[str]) -> str:
    return next(line.split(" :", 1)[1] for line in lines if " 353 " in line)


@pytest.fixture
def alice(server: Server) -> Client:
    """alice, logged in to her account, operator of #club (she made it)."""
    c = user(server, "alice", "alice")
    joined(c, "#club")
    return c


def register(client: Client, room: str = "#club") -> None:
    client.send(f"ROOM REGISTER {room}")
    client.expect_exact(f":{SERVER_NAME} SUCCESS ROOM REGISTER {room} {client.name} "
                        f":{room} is now registered to {client.name}")


# --- REGISTER -------------------------------------------------------------------------

def test_an_operator_logged_in_registers_the_room(server: Server, alice: Client) -> None:
    before = int(time.time())
    register(alice)
    alice.send("ROOM INFO #club")
    line = alice.next_line()
    found = re.fullmatch(rf":{SERVER_NAME} NOTE ROOM REGISTERED #club alice (\d+) "
                         r":#club is registered to alice", line)
    assert found is not None, line
    assert before <= int(found.group(1)) <= time.time()
    alice.assert_silent()  # no access entries yet


def test_register_is_refused_when_not_logged_in_not_operator_or_taken(
        server: Server, alice: Client) -> None:
    bob = user(server, "bob")
    joined(bob, "#club")
    bob.send("ROOM REGISTER #club")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM ACCOUNT_REQUIRED #club "
                     ":You must be logged in to an account to register a room")
    assert log_in(server, bob, "bob") == []  # nothing to grant bob in #club
    bob.send("ROOM REGISTER #club")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM NOT_OPERATOR #club "
                     ":You must be an operator of #club to register it")
    alice.drain()
    register(alice)
    alice.send("ROOM REGISTER #club")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM ALREADY_REGISTERED #club "
                       ":#club is already registered")
    bob.send("ROOM REGISTER #nowhere")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM NO_SUCH_ROOM #nowhere :No such room")
    bob.send("ROOM FROB #club")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM UNKNOWN_COMMAND FROB :Unknown subcommand: "
                     "ROOM REGISTER, DROP, AMODE, INFO or TRANSFER <room>")


# --- joining ----------------------------------------------------------------------------

def test_the_founder_gets_op_on_joining_after_everyone_left(server: Server,
                                                            alice: Client) -> None:
    register(alice)
    alice.send("TOPIC #club :Members only")
    alice.send("PART #club")
    alice.expect(r" PART #club")
    assert server.rooms.find("#club") is not None  # kept while empty

    bob = user(server, "bob", "bob")
    assert names(joined(bob, "#club")) == "bob"  # no @ for the first to join
    bob.drain()
    lines = joined(alice, "#club")
    assert lines[:2] == [f"{src('alice')} JOIN #club",
                         f":{SERVER_NAME} MODE #club +o alice"]
    assert names(lines) in ("@alice bob", "bob @alice")
    bob.expect_exact(f"{src('alice')} JOIN #club", f":{SERVER_NAME} MODE #club +o alice")
    alice.send("TOPIC #club")
    alice.expect(r" 332 alice #club :Members only$")


def test_a_member_who_logs_in_gets_the_founders_op_then(server: Server,
                                                          alice: Client) -> None:
    register(alice)
    alice.send("PART #club")
    alice.expect(r" PART #club")
    bob = user(server, "bob")
    joined(bob, "#club")
    again = user(server, "alice2")
    assert names(joined(again, "#club")) in ("bob alice2", "alice2 bob")
    bob.drain()
    assert log_in(server, again, "alice") == [f":{SERVER_NAME} MODE #club +o alice2"]
    bob.expect_exact(f":{SERVER_NAME} MODE #club +o alice2")


# --- AMODE --------------------------------------------------------------------------------

def test_amode_gives_and_takes_op_and_voice(server: Server, alice: Client) -> None:
    register(alice)
    bob = user(server, "bob", "bob")
    joined(bob, "#club")
    alice.drain()
    alice.send("ROOM AMODE #club +o bob")  # bob is there: he gets it now
    alice.expect_exact(f":{SERVER_NAME} MODE #club +o bob",
                       f":{SERVER_NAME} SUCCESS ROOM AMODE #club bob +o "
                       ":bob gets +o in #club on joining")
    bob.expect_exact(f":{SERVER_NAME} MODE #club +o bob")
    user(server, "carol", "carol").close()
    alice.send("ROOM AMODE #club +v carol")  # carol is not: on her next join
    alice.expect_exact(f":{SERVER_NAME} SUCCESS ROOM AMODE #club carol +v "
                       ":carol gets +v in #club on joining")
    alice.send("ROOM AMODE #club")
    alice.expect_exact(f":{SERVER_NAME} NOTE ROOM AMODE #club bob +o :bob gets +o in #club "
                       "on joining",
                       f":{SERVER_NAME} NOTE ROOM AMODE #club carol +v :carol gets +v in "
                       "#club on joining",
                       f":{SERVER_NAME} SUCCESS ROOM AMODE #club :End of the access list "
                       "of #club (2 entries)")
    carol = user(server, "carol", "carol")
    assert joined(carol, "#club")[:2] == [f"{src('carol')} JOIN #club",
                                          f":{SERVER_NAME} MODE #club +v carol"]
    bob.drain()
    alice.drain()
    alice.send("ROOM AMODE #club -o bob")
    alice.expect_exact(f":{SERVER_NAME} MODE #club -o bob",
                       f":{SERVER_NAME} SUCCESS ROOM AMODE #club bob -o "
                       ":bob no longer gets +o in #club on joining")
    bob.expect_exact(f":{SERVER_NAME} MODE #club -o bob")
    bob.send("PART #club")
    bob.expect(" PART #club")
    assert names(joined(bob, "#club")) in ("@alice +carol bob", "bob @alice +carol",
                                           "@alice bob +carol", "+carol @alice bob",
                                           "+carol bob @alice", "bob +carol @alice")


def test_amode_is_the_founders(server: Server, alice: Client) -> None:
    register(alice)
    bob = user(server, "bob", "bob")
    joined(bob, "#club")
    bob.send("ROOM AMODE #club +o bob")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM NOT_FOUNDER #club "
                     ":Only the founder of #club may do that")
    alice.drain()
    alice.send("ROOM AMODE #club +h bob")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM INVALID_MODE #club +h "
                       ":The change must be +o, -o, +v or -v")
    alice.send("ROOM AMODE #club +o nobody")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM NO_SUCH_ACCOUNT #club nobody "
                       ":nobody is not a registered account")
    alice.send("ROOM AMODE #club +o")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM NEED_MORE_PARAMS #club "
                       ":AMODE +o needs an account")
    joined(alice, "#open")
    alice.send("ROOM AMODE #open")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM NOT_REGISTERED #open "
                       ":#open is not registered")


# --- INFO -----------------------------------------------------------------------------

def test_info_lists_the_founder_and_the_access_list(server: Server, alice: Client) -> None:
    register(alice)
    user(server, "bob", "bob").close()
    alice.send("ROOM AMODE #club +v bob")
    alice.expect(r" SUCCESS ROOM AMODE ")
    registered_at = server.rooms.get("#club").registered_at
    dave = user(server, "dave")  # not logged in, not in the room: anyone who sees it
    dave.send("ROOM INFO #CLUB")
    dave.expect_exact(f":{SERVER_NAME} NOTE ROOM REGISTERED #club alice {registered_at} "
                      ":#club is registered to alice",
                      f":{SERVER_NAME} NOTE ROOM AMODE #club bob +v :bob gets +v in #club "
                      "on joining")
    joined(dave, "#free")
    dave.send("ROOM INFO #free")
    dave.expect_exact(f":{SERVER_NAME} NOTE ROOM NOT_REGISTERED #free "
                      ":#free is not registered")
    alice.send("MODE #club +s")
    alice.expect(r"MODE #club \+s")
    dave.send("ROOM INFO #club")  # secret, and dave is not in it
    dave.expect_exact(f":{SERVER_NAME} FAIL ROOM NO_SUCH_ROOM #club :No such room")


# --- DROP and TRANSFER ------------------------------------------------------------------

def test_drop_makes_it_an_ordinary_room_again(server: Server, alice: Client) -> None:
    register(alice)
    bob = user(server, "bob", "bob")
    joined(bob, "#club")
    bob.send("ROOM DROP #club")
    bob.expect_exact(f":{SERVER_NAME} FAIL ROOM NOT_FOUNDER #club "
                     ":Only the founder of #club may do that")
    alice.drain()
    alice.send("ROOM DROP #club")
    alice.expect_exact(f":{SERVER_NAME} SUCCESS ROOM DROP #club :#club is no longer registered")
    alice.send("ROOM INFO #club")
    alice.expect_exact(f":{SERVER_NAME} NOTE ROOM NOT_REGISTERED #club "
                       ":#club is not registered")
    alice.send("ROOM DROP #club")
    alice.expect_exact(f":{SERVER_NAME} FAIL ROOM NOT_REGISTERED #club "
                       ":#club is not registered")
    for c in (alice, bob):
        c.send("PART #club")
        c.expect(rf"^{src(c.name)} PART #club")
    assert server.rooms.find("#club") is None  # emptied: gone, like any room


def test_drop_of_an_empty_room_removes_it_and_a_server_operator_may(
        server: Server, alice: Client) -> None:
    register(alice)
    alice.send("PART #club")
    alice.expect(" PART #club")
    oper = user(server, "oper")
    server.nicks.get("oper").modes.add("o")  # type: ignore[union-attr]
    oper.send("ROOM DROP #club")
    oper.expect_exact(f":{SERVER_NAME} SUCCESS ROOM DROP #club :#club is no longer registered")
    assert server.rooms.find("#club") is None
    oper.send("ROOM INFO #club")
    oper.expect_exact(f":{SERVER_NAME} FAIL ROOM NO_SUCH_ROOM #club :No such room")


def test_transfer_hands_the_room_to_another_account(server: Server, alice: Client) -> None:
    register(alice)
    bob = user(server, "bob", "bob")
    joined(bob, "#club")
    alice.drain()
    alice.send("ROOM TRANSFER #club bob")
    alice.expect_exact(f":{SERVER_NAME} MODE #club +o bob",
                       f":{SERVER_NAME} SUCCESS ROOM TRANSFER #club bob :#club now belongs to bob")
    bob.expect_exact(f":{SERVER_NAME} MODE #club +o bob")
    alice.send("ROOM AMODE #club +v alice")
    alice.expect(" FAIL ROOM NOT_FOUNDER #club ")
    bob.send("ROOM INFO #club")
    bob.expect(rf"^:{SERVER_NAME} NOTE ROOM REGISTERED #club bob \d+ :#club is registered to bob$")


# --- ChanServ --------------------------------------------------------------------------

def test_chanserv_speaks_for_room(server: Server, alice: Client) -> None:
    alice.send("PRIVMSG ChanServ :register #club")
    alice.expect_exact(f":{SERVER_NAME} SUCCESS ROOM REGISTER #club alice "
                       ":#club is now registered to alice")
    alice.send("CS AMODE #club")
    alice.expect_exact(f":{SERVER_NAME} SUCCESS ROOM AMODE #club :End of the access list "
                       "of #club (0 entries)")
    alice.send("/cs info #club")
    alice.expect(rf"^:{SERVER_NAME} NOTE ROOM REGISTERED #club alice \d+ ")
    alice.send("PRIVMSG ChanServ :HELP AMODE")
    alice.expect_exact(f":ChanServ!ChanServ@services.{SERVER_NAME} NOTICE alice "
                       ":AMODE <#room> [+o|-o|+v|-v <account>]: list or edit who gets @ "
                       "(+o) or + (+v) on joining")
    alice.send("CHANSERV DROP #club")
    alice.expect_exact(f":{SERVER_NAME} SUCCESS ROOM DROP #club :#club is no longer registered")


def test_help_room_names_each_subcommand(server: Server, alice: Client) -> None:
    alice.send("HELP ROOM")
    lines = alice.collect(" 706 ")
    assert lines[0] == f":{SERVER_NAME} 704 alice ROOM :Usage: ROOM <subcommand> <room> [<args>...]"
    for word in ("REGISTER", "DROP", "AMODE", "INFO", "TRANSFER"):
        assert word in lines[1]


# --- across a restart (the store keeps the founder and the access list) ---------------

def test_a_registered_room_outlives_a_restart(start_server: Start, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    alice = user(first, "alice", "alice")
    joined(alice, "#club")
    register(alice)
    user(first, "bob", "bob").close()
    alice.send("ROOM AMODE #club +v bob")
    alice.send("TOPIC #club :Ours")
    alice.expect(" TOPIC #club :Ours")
    alice.close()
    registered_at = first.rooms.get("#club").registered_at

    first.stop()
    second = start_server(data_dir=tmp_path / "data")
    carol = user(second, "carol", "carol")
    assert names(joined(carol, "#club")) == "carol"  # nobody gets @ by joining first
    carol.send("PART #club")
    carol.expect(" PART #club")
    assert second.rooms.find("#club") is not None   # still registered: kept when empty
    alice = user(second, "alice", "alice")
    assert joined(alice, "#club")[1] == f":{SERVER_NAME} MODE #club +o alice"
    bob = user(second, "bob", "bob")
    assert joined(bob, "#club")[1] == f":{SERVER_NAME} MODE #club +v bob"
    bob.send("ROOM INFO #club")
    bob.expect_exact(f":{SERVER_NAME} NOTE ROOM REGISTERED #club alice {registered_at} "
                     ":#club is registered to alice",
                     f":{SERVER_NAME} NOTE ROOM AMODE #club bob +v :bob gets +v in #club "
                     "on joining")
    bob.send("TOPIC #club")
    bob.expect(r" 332 bob #club :Ours$")


def test_a_room_dropped_after_a_restart_goes_like_any_room(start_server: Start,
                                                             tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    alice = user(first, "alice", "alice")
    joined(alice, "#club")
    register(alice)
    alice.close()
    first.stop()
    second = start_server(data_dir=tmp_path / "data")
    alice = user(second, "alice", "alice")
    joined(alice, "#club")
    alice.send("ROOM DROP #club")
    alice.expect(" SUCCESS ROOM DROP #club ")
    alice.send("PART #club")
    alice.expect(" PART #club")
    assert second.rooms.find("#club") is None
    second.stop()
    third = start_server(data_dir=tmp_path / "data")
    assert third.rooms.find("#club") is None


def test_a_dropped_account_leaves_its_rooms(server: Server, alice: Client) -> None:
    """ACCOUNT DROP: whoever registers the name once it is free again inherits neither
    the rooms it founded nor its access entries."""
    register(alice)
    bob = user(server, "bob", "bob")
    joined(bob, "#other")
    bob.send("ROOM REGISTER #other")
    bob.expect(" SUCCESS ROOM REGISTER #other ")
    bob.send("ROOM AMODE #other +o alice")
    bob.expect(" SUCCESS ROOM AMODE #other alice ")
    bob.send("PART #other")
    bob.expect(" PART #other")
    alice.send("PART #club")
    alice.expect(" PART #club")
    alice.send(f"ACCOUNT DROP :{PASSWORD}")
    alice.expect(" SUCCESS ACCOUNT DROPPED alice ")
    assert server.rooms.find("#club") is None  # unregistered and empty: gone
    bob.send("ROOM INFO #other")
    bob.expect_exact(f":{SERVER_NAME} NOTE ROOM REGISTERED #other bob "
                     f"{server.rooms.get('#other').registered_at} "
                     ":#other is registered to bob")
    bob.assert_silent()  # alice's +o entry is gone
