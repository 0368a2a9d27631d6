"""Server operators: OPER against hashed credentials, KILL, 481 for operator-only
commands, and an operator's override of room modes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from ircish.server.accounts.passwords import make_hash, verify
from ircish.server.opers import OperSpec

from .conftest import SERVER_NAME as S
from .ircclient import Client

HASH = make_hash("s3cret phrase")
A = ":alice!~alice@127.0.0.1"


@pytest.fixture
def server(start_server):
    return start_server(opers=[OperSpec("admin", HASH)])


def become_oper(client: Client) -> None:
    client.send("OPER admin :s3cret phrase")
    client.expect_exact(f":{S} 381 {client.name} :You are now an IRC operator",
                        f":{client.name}!~{client.name}@127.0.0.1 MODE {client.name} :+o")


def test_oper_with_the_right_password_and_the_wrong_ones(connect) -> None:
    alice = connect("alice")
    alice.send("OPER admin wrong")
    alice.expect_exact(f":{S} 464 alice :Password incorrect")
    alice.send("OPER root :s3cret phrase")
    alice.expect_exact(f":{S} 491 alice :No O-lines for your host")
    alice.send("OPER admin")
    alice.expect_exact(f":{S} 461 alice OPER :Not enough parameters")
    alice.send("MODE alice")
    alice.expect_exact(f":{S} 221 alice +")
    become_oper(alice)
    alice.send("MODE alice")
    alice.expect_exact(f":{S} 221 alice +o")
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 1 users and 0 invisible on 1 servers",
                       f":{S} 252 alice 1 :operator(s) online")
    alice.drain()
    alice.send("MODE alice -o")  # giving it up
    alice.expect_exact(f"{A} MODE alice :-o")
    alice.send("LUSERS")
    alice.expect(" 251 ")
    rest = [alice.next_line(), *alice.drain()]
    assert not [line for line in rest if " 252 " in line], rest


def test_operator_only_commands_answer_481_to_others(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("KILL alice :go away")
    bob.expect_exact(f":{S} 481 bob :Permission Denied- You're not an IRC operator")
    bob.send("KILL")  # 481 comes before the parameters are looked at
    bob.expect_exact(f":{S} 481 bob :Permission Denied- You're not an IRC operator")
    bob.send("HELP KILL")
    bob.expect_exact(f":{S} 704 bob KILL :Usage: KILL <nick> [<reason>]",
                     f":{S} 705 bob KILL :Disconnect a user from the server, with a reason "
                     "everyone sees. (server operators only)")
    alice.send("PING still-here")
    alice.expect("PONG")


def test_kill_disconnects_and_everyone_sees_why(connect) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    bob.join("#general")
    carol.join("#general")
    become_oper(alice)
    alice.send("KILL ghost :spam")
    alice.expect_exact(f":{S} 401 alice ghost :No such nick/channel")
    alice.send("KILL")
    alice.expect_exact(f":{S} 461 alice KILL :Not enough parameters")
    assert carol.drain() == []  # the failed KILLs told nobody
    alice.send("KILL bob :flooding the room")
    bob.expect_exact(":carol!~carol@127.0.0.1 JOIN #general",
                     f"{A} KILL bob :flooding the room",
                     "ERROR :Closing Link: 127.0.0.1 (Killed (alice (flooding the room)))")
    bob.assert_closed()
    carol.expect_exact(":bob!~bob@127.0.0.1 QUIT :Killed (alice (flooding the room))")
    carol.assert_silent()
    alice.send("WHOIS bob")
    alice.expect_exact(f":{S} 401 alice bob :No such nick/channel")


def test_operators_override_room_modes(connect) -> None:
    alice, bob, dave = connect("alice"), connect("bob"), connect("dave")
    alice.join("#r")
    bob.join("#r")
    assert alice.drain() == [":bob!~bob@127.0.0.1 JOIN #r"]
    alice.send("MODE #r +imklb sesame 2 dave")
    alice.expect_exact(f"{A} MODE #r +imklb sesame 2 dave!*@*")
    become_oper(dave)
    dave.send("MODE #r -m")  # not even a member
    dave.expect_exact(":dave!~dave@127.0.0.1 MODE #r -m")
    alice.expect_exact(":dave!~dave@127.0.0.1 MODE #r -m")
    dave.send("MODE #r")
    dave.expect_exact(f":{S} 324 dave #r +iklnt sesame 2")  # the key shown to operators
    dave.expect(" 329 dave #r ")
    dave.send("TOPIC #r :set from outside")  # +t, no op, no membership
    alice.expect_exact(":dave!~dave@127.0.0.1 TOPIC #r :set from outside")
    dave.expect_exact(":dave!~dave@127.0.0.1 TOPIC #r :set from outside")
    assert bob.drain() == [f"{A} MODE #r +imklb sesame 2 dave!*@*",
                           ":dave!~dave@127.0.0.1 MODE #r -m",
                           ":dave!~dave@127.0.0.1 TOPIC #r :set from outside"]
    dave.join("#r")  # invite-only, keyed, full, and banned
    dave.send("PRIVMSG #r :no voice needed")
    bob.expect_exact(":dave!~dave@127.0.0.1 JOIN #r",
                     ":dave!~dave@127.0.0.1 PRIVMSG #r :no voice needed")
    dave.send("KICK #r alice :the operator's say")
    bob.expect_exact(":dave!~dave@127.0.0.1 KICK #r alice :the operator's say")


def test_first_joiners_of_new_rooms_are_operators_but_not_of_default_rooms(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#general")
    alice.send("MODE #general +m")
    alice.expect_exact(f":{S} 482 alice #general :You're not channel operator")
    become_oper(bob)
    bob.send("MODE #general +o alice")  # the way a default room gets an operator
    alice.expect_exact(":bob!~bob@127.0.0.1 MODE #general +o alice")


def test_a_hash_is_made_from_stdin_and_never_holds_the_password() -> None:
    for command in ([sys.executable, "-m", "ircish.server.opers"],
                    [sys.executable, "-m", "ircish.server", "--hash-password"]):
        proc = subprocess.run(command, input="correct horse\n", capture_output=True,
                              text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        made = proc.stdout.strip()
        assert made.startswith("scrypt$") and "correct horse" not in made
        assert verify("correct horse", made) and not verify("correct horse!", made)
    assert make_hash("same") != make_hash("same")  # salted


def test_chghost_is_seen_by_those_with_the_capability(connect, server) -> None:
    admin, plain = connect("admin"), connect("plain")
    become_oper(admin)
    watcher = Client(server.address, "watcher")
    try:
        watcher.send("CAP REQ chghost")
        watcher.send("CAP END")
        watcher.register("watcher")
        for c in (admin, plain, watcher):
            c.join("#h")
        for c in (admin, plain, watcher):
            c.drain()
        plain.send("CHGHOST admin x y")
        plain.expect_exact(f":{S} 481 plain :Permission Denied- You're not an IRC operator")
        admin.send("CHGHOST plain visitor cloaked.example")
        watcher.expect_exact(":plain!~plain@127.0.0.1 CHGHOST visitor cloaked.example")
        admin.expect_exact(f":{S} NOTICE admin :plain is now plain!visitor@cloaked.example")
        plain.assert_silent()
        plain.send("PRIVMSG #h :new look")
        for c in (admin, watcher):
            c.expect_exact(":plain!visitor@cloaked.example PRIVMSG #h :new look")
        admin.send("CHGHOST plain bad!user host")
        admin.expect_exact(f":{S} FAIL CHGHOST INVALID_PARAMS :That is not a valid username "
                           "and host")
        admin.send("CHGHOST nobody a b")
        admin.expect_exact(f":{S} 401 admin nobody :No such nick/channel")
    finally:
        watcher.close()


def test_three_failed_opers_on_one_connection_end_its_guessing(connect) -> None:
    guesser = connect("guesser")
    for guess in ("a", "b", "c"):
        guesser.send(f"OPER admin {guess}")
        guesser.expect_exact(f":{S} 464 guesser :Password incorrect")
    guesser.send("OPER admin :s3cret phrase")  # right, but no longer checked here
    guesser.expect_exact(f":{S} 464 guesser :Password incorrect")
    fresh = connect("fresh")
    become_oper(fresh)


def test_oper_on_a_server_without_operators_is_491(start_server) -> None:
    server = start_server()  # no opers: configured
    c = Client(server.address, "nobody")
    try:
        c.register("nobody")
        c.send("OPER admin :anything")
        c.expect_exact(f":{S} 491 nobody :No O-lines for your host")
    finally:
        c.close()
