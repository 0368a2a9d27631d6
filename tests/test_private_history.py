"""Private history by account: CHATHISTORY on a nick, TARGETS listing people, REDACT and
SEARCH in private conversations. A conversation belongs to the accounts of its sides,
so every connection of an account (a laptop and a phone) reads it, and no one else:
not a user who is not logged in, not the next holder of a nick."""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import src
from .ircclient import Client
from .test_chathistory import FULL, INVALID_TARGET, batch, fail, msgid_of, say, stamp
from .test_redact import redacted

PRIVATE = FULL + " draft/message-redaction soju.im/search"
TARGETS = "draft/chathistory-targets"

Person = Callable[..., Client]


def password(account: str) -> str:
    return f"{account}-password"


def connect(server: Server, nick: str, account: str | None = None,
            caps: str = PRIVATE) -> Client:
    """A client that negotiates `caps` and registers as `nick`; given an account
    (created if need be), it logs in to it as a client without SASL does, with
    `PASS account:password`, and gets its 900 before the welcome."""
    if account is not None and server.accounts.get(account) is None:
        server.accounts.create(account, password(account))
    c = Client(server.address, nick)
    c.send("CAP LS 302")
    c.expect(r" CAP \* LS :")
    c.send(f"CAP REQ :{caps}")
    c.expect_exact(f":{S} CAP * ACK :{caps}")
    if account is not None:
        c.send(f"PASS {account}:{password(account)}")
    c.send("CAP END")
    c.name = nick
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :Test User")
    burst = c.collect(r" (376|422) ")
    logged_in = [line for line in burst if re.match(rf":{S} 900 {re.escape(nick)} ", line)]
    assert logged_in == ([f":{S} 900 {nick} {src(nick)[1:]} {account} :You are now logged "
                          f"in as {account}"] if account else []), burst
    c.drain()
    return c


@pytest.fixture
def server(start_server) -> Server:
    return start_server(flood_control=False)


def people(server: Server) -> Generator[Person, None, None]:
    """The `person` fixture's body (test_read_marker's too): person(nick,
    account=None, caps=PRIVATE, target=server) is a connected client."""
    clients: list[Client] = []

    def make(nick: str, account: str | None = None, caps: str = PRIVATE,
             target: Server | None = None) -> Client:
        c = connect(target or server, nick, account, caps)
        clients.append(c)
        return c

    try:
        yield make
    finally:
        for c in clients:
            c.close()


@pytest.fixture
def person(server: Server) -> Iterator[Person]:
    yield from people(server)


def latest(client: Client, target: str, limit: int = 50) -> tuple[str, list[str]]:
    return batch(client, f"CHATHISTORY LATEST {target} * {limit}")


def talk(sender: Client, recipient: Client, text: str) -> str:
    """`sender` says `text` to `recipient`, who gets it as the sender's echo shows it."""
    line = say(sender, recipient.name, text)
    assert recipient.next_line() == line
    return line


# --- reading a conversation ---------------------------------------------------------

def test_both_sides_read_their_conversation_as_it_went_out(person) -> None:
    alice, bob = person("alice", "alice"), person("bob", "bob")
    sent = [talk(alice, bob, "hi bob"), talk(bob, alice, "hi alice"),
            talk(alice, bob, "how are you?")]
    assert latest(alice, "bob") == ("bob", sent)
    # the batch names the target as the asker wrote it; lines keep their nicks of then
    assert latest(bob, "ALICE") == ("ALICE", sent)
    assert sent[1] == f"{sent[1].split(' ', 1)[0]} {src('bob')} PRIVMSG alice :hi alice"
    assert latest(bob, "alice", 1) == ("alice", sent[2:])
    assert batch(alice, f"CHATHISTORY BEFORE bob msgid={msgid_of(sent[2])} 10") == (
        "bob", sent[:2])
    assert batch(bob, f"CHATHISTORY AFTER alice msgid={msgid_of(sent[0])} 1") == (
        "alice", sent[1:2])


def test_every_connection_of_an_account_reads_it(person) -> None:
    """A laptop and a phone: what one said, the other reads, whichever nick each has."""
    laptop, bob = person("alice", "alice"), person("bob", "bob")
    phone = person("alice_phone", "alice")
    sent = [talk(laptop, bob, "from the laptop"), talk(phone, bob, "from the phone"),
            talk(bob, phone, "to the phone")]
    assert latest(laptop, "bob") == ("bob", sent)
    assert latest(phone, "bob") == ("bob", sent)
    # bob names the account by either of its nicks, or by its name while it is away
    assert latest(bob, "alice_phone") == ("alice_phone", sent)
    laptop.send("QUIT")
    laptop.expect("ERROR")
    phone.send("NICK ally")
    phone.expect(" NICK ally")
    assert latest(bob, "alice") == ("alice", sent)
    assert latest(bob, "ally") == ("ally", sent)


def test_a_user_not_logged_in_reads_no_private_history(person) -> None:
    """Not its own conversations, not anyone's: INVALID_TARGET, as for a room it may
    not read. The account on the other side reads the conversation."""
    alice, guest = person("alice", "alice"), person("guest")
    sent = [talk(guest, alice, "hello, I have no account"), talk(alice, guest, "welcome")]
    for target in ("alice", "guest", "nobody"):
        fail(guest, f"CHATHISTORY LATEST {target} * 10",
             f"CHATHISTORY INVALID_TARGET LATEST {target} {INVALID_TARGET}")
    assert latest(alice, "guest") == ("guest", sent)
    for target in ("*", "bad,nick", "#nosuchroom"):
        fail(alice, f"CHATHISTORY LATEST {target} * 10",
             f"CHATHISTORY INVALID_TARGET LATEST {target} {INVALID_TARGET}")


def test_the_next_holder_of_a_nick_reads_nothing_of_the_last_one(person) -> None:
    alice, dave = person("alice", "alice"), person("dave")
    talk(dave, alice, "I am the first dave")
    dave.send("QUIT")
    dave.expect("ERROR")
    impostor = person("dave")                     # not logged in: no private history
    fail(impostor, "CHATHISTORY LATEST alice * 10",
         f"CHATHISTORY INVALID_TARGET LATEST alice {INVALID_TARGET}")
    impostor.close()
    registered = person("dave", "dave")           # dave's account is someone else
    assert latest(registered, "alice") == ("alice", [])


def test_a_nick_held_by_another_account_names_that_account(start_server) -> None:
    """Without nick enforcement another account may hold alice's nick: its history is
    its own, and the nick leads to it, not to alice's conversations."""
    server = start_server(flood_control=False, nick_enforcement="none")
    clients = people(server)
    person = next(clients)
    alice, bob = person("alice", "alice"), person("bob", "bob")
    kept = talk(alice, bob, "for alice's account only")
    alice.send("QUIT")
    alice.expect("ERROR")
    mallory = person("alice", "mallory")
    assert latest(mallory, "bob") == ("bob", [])
    assert latest(bob, "alice") == ("alice", [])   # the nick alice is mallory's now
    assert latest(person("alice2", "alice"), "bob") == ("bob", [kept])
    clients.close()


def test_messages_to_oneself_are_one_conversation(person) -> None:
    alice = person("alice", "alice")
    phone = person("alice_phone", "alice")
    line = say(alice, "alice", "note to self")
    assert alice.next_line() == line          # the delivery, after the echo
    assert latest(phone, "alice_phone") == ("alice_phone", [line])


# --- TARGETS --------------------------------------------------------------------------

def test_targets_lists_people_and_rooms_by_latest_message(person) -> None:
    alice, bob = person("Alice", "Alice"), person("bob", "bob")
    carol, guest = person("carol", "carol"), person("guest")
    start = stamp(int(time.time() * 1000) - 1000)
    alice.join("#dev")
    say(alice, "#dev", "first, in #dev")
    talk(alice, bob, "then bob")
    talk(guest, alice, "then a guest")
    talk(carol, bob, "not alice's")
    time.sleep(0.002)
    last = talk(bob, alice, "bob again, last")
    end = stamp(int(time.time() * 1000) + 1000)
    alice.drain()

    def targets(client: Client, limit: int = 10) -> list[str]:
        params, lines = batch(client, f"CHATHISTORY TARGETS timestamp={start} "
                                      f"timestamp={end} {limit}", TARGETS)
        assert params == ""
        return lines

    listed = targets(alice)
    assert [line.split(" ")[3] for line in listed] == ["#dev", "guest", "bob"]
    assert listed[-1] == f":{S} CHATHISTORY TARGETS bob {stamp_of(last)}"
    assert [line.split(" ")[3] for line in targets(alice, 2)] == ["guest", "bob"]
    # bob sees alice by her account's name as registered; a guest sees no one
    assert [line.split(" ")[3] for line in targets(bob)] == ["carol", "Alice"]
    assert targets(guest) == []


def stamp_of(line: str) -> str:
    match = re.search(r"time=(\S+?)[; ]", line)
    assert match, line
    return match.group(1)


# --- REDACT ---------------------------------------------------------------------------

def test_only_the_sender_redacts_a_private_message(server, person) -> None:
    """By its account, from any of its connections, within the window; the REDACT
    reaches every connection of both sides that has the capability."""
    alice, bob = person("alice", "alice"), person("bob", "bob")
    phone = person("alice_phone", "alice")
    old = person("old", "alice", caps=FULL)        # no draft/message-redaction
    line = talk(alice, bob, "oops")
    bob.send(f"REDACT alice {msgid_of(line)}")     # the recipient may not
    bob.expect_exact(f":{S} FAIL REDACT REDACT_FORBIDDEN alice {msgid_of(line)} "
                     ":You are not authorised to delete this message")
    phone.send(f"REDACT bob {msgid_of(line)} :typo")   # the sender's other connection
    redacted(phone.next_line(), "alice_phone", "bob", msgid_of(line), "typo")
    redacted(alice.next_line(), "alice_phone", "bob", msgid_of(line), "typo")
    redacted(bob.next_line(), "alice_phone", "bob", msgid_of(line), "typo")
    old.assert_silent()
    assert latest(bob, "alice") == ("alice", [])

    guest = person("guest")
    theirs = talk(guest, alice, "a guest's message")
    guest.send(f"REDACT alice {msgid_of(theirs)}")   # no account, no conversation
    guest.expect_exact(f":{S} FAIL REDACT INVALID_TARGET alice "
                       ":You cannot delete messages from alice")
    alice.send(f"REDACT guest {msgid_of(theirs)}")
    alice.expect_exact(f":{S} FAIL REDACT REDACT_FORBIDDEN guest {msgid_of(theirs)} "
                       ":You are not authorised to delete this message")
    carol = person("carol", "carol")                 # another conversation
    carol.send(f"REDACT bob {msgid_of(theirs)}")
    carol.expect_exact(f":{S} FAIL REDACT UNKNOWN_MSGID bob {msgid_of(theirs)} "
                       ":This message does not exist or is too old")
    late = talk(alice, bob, "too late")
    phone.drain()
    server.settings.redact_window = 0
    alice.send(f"REDACT bob {msgid_of(late)}")
    alice.expect_exact(f":{S} FAIL REDACT REDACT_WINDOW_EXPIRED bob {msgid_of(late)} 0 "
                       ":You can no longer delete this message")


# --- SEARCH ---------------------------------------------------------------------------

def found(client: Client, attributes: str) -> list[str]:
    _, lines = batch(client, f"SEARCH {attributes}", "soju.im/search")
    return lines


def test_search_in_a_conversation(person) -> None:
    alice, bob = person("alice", "alice"), person("bob", "bob")
    phone = person("alice_phone", "alice")
    guest = person("guest")
    needle = talk(alice, bob, "the needle is here")
    talk(bob, alice, "no match")
    talk(guest, bob, "a guest's needle")
    phone.drain()
    assert found(phone, "in=bob;text=needle") == [needle]
    assert found(bob, "in=alice;text=needle") == [needle]
    assert found(guest, "in=bob;text=needle") == []      # not logged in: nothing
    assert found(person("carol", "carol"), "in=bob;text=needle") == []


def test_search_without_in_covers_rooms_and_conversations(person) -> None:
    alice, bob = person("alice", "alice"), person("bob", "bob")
    alice.join("#dev")
    in_room = say(alice, "#dev", "needle in the room")
    private = talk(bob, alice, "needle in private")
    talk(person("carol", "carol"), bob, "needle of carol's")
    assert found(alice, "text=needle") == [in_room, private]


# --- a restart ------------------------------------------------------------------------

def test_private_history_outlives_a_restart(start_server, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data", flood_control=False)
    alice, bob = connect(first, "alice", "alice"), connect(first, "bob", "bob")
    sent = [talk(alice, bob, "before the restart"), talk(bob, alice, "indeed")]
    for c in (alice, bob):
        c.close()
    data_dir = first.settings.data_dir
    first.stop()
    second = start_server(data_dir=data_dir, flood_control=False)
    alice = connect(second, "alice", "alice")
    assert latest(alice, "bob") == ("bob", sent)
    _, lines = batch(alice, f"CHATHISTORY TARGETS timestamp={stamp(0)} "
                            f"timestamp={stamp(int(time.time() * 1000) + 1000)} 10", TARGETS)
    assert [line.split(" ")[3] for line in lines] == ["bob"]
    alice.close()


# --- without history ------------------------------------------------------------------

def test_without_history_there_is_no_private_history(start_server) -> None:
    server = start_server(no_history=True)
    alice = Client(server.address, "alice")
    alice.send("CAP LS 302")
    offered = alice.expect(r" CAP \* LS :(.*)$").group(1).split()
    assert "draft/chathistory" not in offered and "draft/read-marker" not in offered
    alice.close()
    alice = connect(server, "alice", "alice", caps="batch")   # logged in, all the same
    for command in ("CHATHISTORY LATEST bob * 10", "MARKREAD bob", "REDACT bob x",
                    "SEARCH in=bob"):
        alice.send(command)
        alice.expect_exact(f":{S} 421 alice {command.split()[0]} :Unknown command")
    alice.close()
