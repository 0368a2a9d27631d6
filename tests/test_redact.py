"""REDACT (IRCv3 draft/message-redaction): who may take back which message, what the
others see, and that history leaves a redacted message out."""
from __future__ import annotations

import re
import time

import pytest

from ircish.server.opers import OperSpec, make_hash
from ircish.server.server import Server

from .conftest import MSGID, TIME, src
from .conftest import SERVER_NAME as S
from .ircclient import Client
from .test_chathistory import FULL, batch, msgid_of, say

REDACTING = FULL + " draft/message-redaction"


@pytest.fixture
def server(start_server) -> Server:
    return start_server(flood_control=False, opers=[OperSpec("admin", make_hash("pw"))])


def redacted(line: str, by: str, target: str, msgid: str, reason: str = "") -> None:
    """`line` is the relayed REDACT, with a msgid and time of its own."""
    tail = f" :{reason}" if reason else ""
    assert re.fullmatch(rf"@{TIME};{MSGID} {re.escape(src(by))} REDACT {re.escape(target)} "
                        rf"{re.escape(msgid)}{re.escape(tail)}", line), line


@pytest.fixture
def trio(capped):
    """#dev: alice (first: its operator) with draft/message-redaction, bob with it,
    carol without; each drained."""
    alice = capped("alice", REDACTING)
    bob = capped("bob", REDACTING)
    carol = capped("carol", FULL)
    for client in (alice, bob, carol):
        client.join("#new")
    for client in (alice, bob, carol):
        client.drain()
    return alice, bob, carol


def texts(client: Client, room: str) -> list[str]:
    return [line.rsplit(" :", 1)[1] for line in batch(client, f"CHATHISTORY LATEST {room} * 50")[1]]


def test_own_message_is_redacted_for_those_with_the_capability(trio) -> None:
    alice, bob, carol = trio
    keep, oops = say(bob, "#new", "keep this"), say(bob, "#new", "oops")
    alice.drain()
    carol.drain()
    bob.send(f"REDACT #new {msgid_of(oops)} :typo")
    redacted(bob.next_line(), "bob", "#new", msgid_of(oops), "typo")  # the redactor too
    redacted(alice.next_line(), "bob", "#new", msgid_of(oops), "typo")
    carol.assert_silent()                                    # no capability, no line
    assert texts(carol, "#new") == ["keep this"]             # history leaves it out
    assert msgid_of(keep) != msgid_of(oops)
    bob.send(f"REDACT #NEW {msgid_of(keep)}")                # no reason; the room's name
    redacted(bob.next_line(), "bob", "#new", msgid_of(keep))
    redacted(alice.next_line(), "bob", "#new", msgid_of(keep))
    assert texts(alice, "#new") == []


def test_a_tagmsg_is_redactable_too(trio) -> None:
    alice, bob, carol = trio
    bob.send("@+draft/react=👍 TAGMSG #new")
    react = bob.expect(" TAGMSG #new").string
    bob.send(f"REDACT #new {msgid_of(react)}")
    redacted(bob.next_line(), "bob", "#new", msgid_of(react))


def test_own_message_past_the_window(server, trio) -> None:
    alice, bob, carol = trio
    line = say(bob, "#new", "too late")
    server.settings.redact_window = 0
    bob.send(f"REDACT #new {msgid_of(line)}")
    bob.expect_exact(f":{S} FAIL REDACT REDACT_WINDOW_EXPIRED #new {msgid_of(line)} 0 "
                     ":You can no longer delete this message")
    server.settings.redact_window = 0.02
    time.sleep(0.05)
    bob.send(f"REDACT #new {msgid_of(line)}")
    bob.expect_exact(f":{S} FAIL REDACT REDACT_WINDOW_EXPIRED #new {msgid_of(line)} 0.02 "
                     ":You can no longer delete this message")
    server.settings.redact_window = 900
    bob.send(f"REDACT #new {msgid_of(line)}")
    redacted(bob.next_line(), "bob", "#new", msgid_of(line))


def test_others_messages_only_by_room_operators(server, trio) -> None:
    alice, bob, carol = trio
    first = say(carol, "#new", "spam")
    say(carol, "#new", "more spam")
    alice.drain()
    bob.drain()
    bob.send(f"REDACT #new {msgid_of(first)}")
    bob.expect_exact(f":{S} FAIL REDACT REDACT_FORBIDDEN #new {msgid_of(first)} "
                     ":You are not authorised to delete this message")
    server.settings.redact_window = 0  # an operator is not bound by it
    alice.send(f"REDACT #new {msgid_of(first)} :spam")
    redacted(alice.next_line(), "alice", "#new", msgid_of(first), "spam")
    redacted(bob.next_line(), "alice", "#new", msgid_of(first), "spam")
    assert texts(bob, "#new") == ["more spam"]


def test_a_server_operator_redacts_anywhere(trio, capped) -> None:
    alice, bob, carol = trio
    line = say(bob, "#new", "rude")
    alice.drain()
    oper = capped("oper", REDACTING)
    oper.send(f"REDACT #new {msgid_of(line)}")   # not an operator yet
    oper.expect_exact(f":{S} FAIL REDACT INVALID_TARGET #new :You cannot delete messages "
                      "from #new")
    oper.send("OPER admin pw")
    oper.expect(" MODE oper :\\+o")
    oper.send(f"REDACT #new {msgid_of(line)} :rude")
    redacted(oper.next_line(), "oper", "#new", msgid_of(line), "rude")   # outside, it sees it
    redacted(bob.next_line(), "oper", "#new", msgid_of(line), "rude")
    redacted(alice.next_line(), "oper", "#new", msgid_of(line), "rude")


def test_outsiders_and_unknown_rooms_get_the_same_answer(trio, capped) -> None:
    alice, bob, carol = trio
    line = say(bob, "#new", "hello")
    mallory = capped("mallory", REDACTING)
    for room in ("#new", "#nosuchroom"):
        mallory.send(f"REDACT {room} {msgid_of(line)}")
        mallory.expect_exact(f":{S} FAIL REDACT INVALID_TARGET {room} "
                             f":You cannot delete messages from {room}")
    mallory.send(f"REDACT bad,target {msgid_of(line)}")
    mallory.expect_exact(f":{S} FAIL REDACT INVALID_TARGET bad,target "
                         ":You cannot delete messages from bad,target")


def test_unknown_msgids_and_lines_that_are_no_message(trio) -> None:
    alice, bob, carol = trio
    alice.join("#other")
    elsewhere = say(alice, "#other", "in #other")
    for msgid in ("nosuchmsgid", msgid_of(elsewhere)):
        alice.send(f"REDACT #new {msgid}")
        alice.expect_exact(f":{S} FAIL REDACT UNKNOWN_MSGID #new {msgid} "
                           ":This message does not exist or is too old")
    bob.send("PART #new")
    part = bob.expect(" PART #new").string
    alice.drain()
    alice.send(f"REDACT #new {msgid_of(part)}")   # an event has a msgid, but is no message
    alice.expect_exact(f":{S} FAIL REDACT REDACT_FORBIDDEN #new {msgid_of(part)} "
                       ":Only PRIVMSG, NOTICE and TAGMSG can be deleted")


def test_a_nick_changed_since_owns_nothing(trio) -> None:
    alice, bob, carol = trio
    line = say(bob, "#new", "as bob")
    bob.send("NICK robert")
    bob.expect(" NICK robert")
    bob.send(f"REDACT #new {msgid_of(line)}")
    bob.expect_exact(f":{S} FAIL REDACT REDACT_FORBIDDEN #new {msgid_of(line)} "
                     ":You are not authorised to delete this message")


def test_private_messages_need_an_account(capped) -> None:
    """A private message is its sender's account's to redact (test_private_history):
    without one there is no conversation to redact in, as CHATHISTORY answers."""
    alice = capped("alice", REDACTING)
    bob = capped("bob", REDACTING)
    line = say(alice, "bob", "secret")
    assert bob.next_line() == line
    alice.send(f"REDACT bob {msgid_of(line)}")
    alice.expect_exact(f":{S} FAIL REDACT INVALID_TARGET bob "
                       ":You cannot delete messages from bob")
    bob.assert_silent()


def test_labeled_redact(trio) -> None:
    """The redactor's copy is the labeled reply; without the capability it is an ACK."""
    alice, bob, carol = trio
    for client in (alice, carol):
        client.send("CAP REQ labeled-response")
        client.expect(" ACK ")
    line = say(alice, "#new", "one")
    alice.send(f"@label=r1 REDACT #new {msgid_of(line)}")
    reply = alice.next_line()
    assert reply.startswith("@label=r1;"), reply
    redacted("@" + reply.split(";", 1)[1], "alice", "#new", msgid_of(line))
    line = say(carol, "#new", "two")
    alice.drain()
    carol.send(f"@label=r2 REDACT #new {msgid_of(line)}")
    carol.expect_exact(f"@label=r2 :{S} ACK")
    redacted(alice.next_line(), "carol", "#new", msgid_of(line))
    alice.send("@label=r3 REDACT #new nosuch")
    alice.expect_exact(f"@label=r3 :{S} FAIL REDACT UNKNOWN_MSGID #new nosuch "
                       ":This message does not exist or is too old")
