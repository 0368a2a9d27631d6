"""The dispatcher's rule for 461: an empty required parameter is a missing one (`JOIN :`,
`PART ,`), while an empty optional one is a value (`TOPIC #r :` clears the topic).
Commands with their own numerics for what is missing keep them."""
from __future__ import annotations

import pytest

from .conftest import SERVER_NAME as S
from .conftest import src


def missing(command: str) -> str:
    return f":{S} 461 alice {command} :Not enough parameters"


@pytest.mark.parametrize("line,reply", [
    ("JOIN :", missing("JOIN")),
    ("JOIN ,", missing("JOIN")),             # a list with no items
    ("PART :", missing("PART")),
    ("PART ,,", missing("PART")),
    ("TOPIC :", missing("TOPIC")),
    ("MODE :", missing("MODE")),
    ("KICK #dev :", missing("KICK")),
    ("KICK #dev ,", missing("KICK")),
    ("USER a b c :", missing("USER")),       # missing before already registered
    ("OPER admin :", missing("OPER")),
    ("INVITE bob :", missing("INVITE")),     # its own rule: a nick needs a room
    ("PRIVMSG :", f":{S} 411 alice :No recipient given (PRIVMSG)"),
    ("PRIVMSG bob :", f":{S} 412 alice :No text to send"),
    ("NICK :", f":{S} 431 alice :No nickname given"),
])
def test_an_empty_required_parameter_is_a_missing_one(connect, line: str, reply: str) -> None:
    alice = connect("alice")
    alice.send(line)
    alice.expect_exact(reply)
    assert alice.drain() == []


def test_an_empty_optional_parameter_is_a_value(room) -> None:
    alice, bob = room("#r", "alice", "bob")
    alice.send("TOPIC #r :set")
    alice.send("TOPIC #r :")                 # clears it
    for client in (alice, bob):
        client.expect_exact(f"{src('alice')} TOPIC #r :set", f"{src('alice')} TOPIC #r :")
    alice.send("AWAY :")
    alice.expect_exact(f":{S} 305 alice :You are no longer marked as being away")
    bob.send("PART #r :")
    alice.expect_exact(f"{src('bob')} PART #r")
    alice.send("QUIT :")
    alice.expect_exact("ERROR :Closing Link: 127.0.0.1 (Client Quit)")
