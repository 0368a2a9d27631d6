"""Conformance transcripts: capability negotiation, message tags, echo-message,
labeled-response and the other IRCv3 extensions, messaging, registration and the
operator/query commands, each checked line by line against the spec it cites."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ircish.opers import OperSpec, make_hash
from ircish.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client

MSGID = r"msgid=[0-9a-f]+"
TIME = r"time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"

Connect = Callable[..., Client]


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(flood_control=False, opers=[OperSpec("operuser", make_hash("operpw"))])


@pytest.fixture
def capped(server: Server) -> Iterator[Connect]:
    """A client registered as a modern client does: CAP LS 302, REQ, NICK, USER, END."""
    clients: list[Client] = []

    def make(nick: str, caps: str = "") -> Client:
        c = Client(server.address, nick)
        clients.append(c)
        c.send("CAP LS 302")
        c.expect(r" CAP \* LS :")
        if caps:
            c.send(f"CAP REQ :{caps}")
            c.expect_exact(f":{S} CAP * ACK :{caps}")
        c.send("CAP END")
        c.register(nick)
        return c

    yield make
    for c in clients:
        c.close()


def prefix(nick: str) -> str:
    return f":{nick}!~{nick}@127.0.0.1"


# --- registration ------------------------------------------------------------------

def test_user_with_an_empty_realname_is_not_enough_parameters(connect: Connect) -> None:
    """Modern (USER): an empty parameter counts as a missing one, 461, and no welcome."""
    c = connect()
    c.send("NICK foo")
    c.send("USER username * * :")
    c.expect_exact(f":{S} 461 foo USER :Not enough parameters")
    c.send("USER username * * :Real Name")
    c.expect_exact(f":{S} 001 foo :Welcome to the ircish IRC network foo!~username@127.0.0.1")


def test_a_username_of_unshowable_characters_still_registers(connect: Connect) -> None:
    """RFC 2812 3.1.3: USER registers; a username we cannot show gets a neutral one
    rather than locking its owner out."""
    c = connect()
    c.send("NICK foo")
    c.send("USER \U0001f60a\U0001f60a\U0001f60a * * :realname")
    c.expect_exact(f":{S} 001 foo :Welcome to the ircish IRC network foo!~user@127.0.0.1")
    c.expect(" 376 ")
    c.send("WHOIS foo")
    c.expect_exact(f":{S} 311 foo foo ~user 127.0.0.1 * :realname")


# --- operators ---------------------------------------------------------------------

def test_kill_without_a_reason_still_disconnects(connect: Connect) -> None:
    """Modern (KILL): the victim is disconnected; a missing comment gets a default."""
    oper, bob = connect("oper"), connect("bob")
    oper.send("OPER operuser operpw")
    oper.expect(" 381 ")
    oper.send("KILL bob")
    bob.expect_exact(f"{prefix('oper')} KILL bob :No reason given",
                     "ERROR :Closing Link: 127.0.0.1 (Killed (oper (No reason given)))")
    bob.assert_closed()


@pytest.mark.parametrize("command", ["INFO", "VERSION", "TIME", "ADMIN", "MOTD"])
def test_a_server_parameter_naming_another_server_is_no_such_server(
        connect: Connect, command: str) -> None:
    """RFC 2812 3.4: <target> is this server (a mask may match it) or a nick on it;
    anything else is ERR_NOSUCHSERVER."""
    c = connect("nick")
    for target in ("invalid.server.example", "invalidserver"):
        c.send(f"{command} {target}")
        c.expect_exact(f":{S} 402 nick {target} :No such server")
    for target in (S, "*.TEST", "nick"):
        c.send(f"{command} {target}")
        reply = c.next_line()
        assert " 402 " not in reply, reply
        c.drain()


def test_whois_with_a_server_first_answers_for_this_server_or_a_nick_on_it(
        connect: Connect) -> None:
    """RFC 2812 3.6.2: WHOIS <target> <mask>, the target a server or a nick."""
    other, _ = connect("otherNick"), connect("coolNick")
    for target in (S, "coolNick"):
        other.send(f"WHOIS {target} coolNick")
        other.expect_exact(f":{S} 311 otherNick coolNick ~coolNick 127.0.0.1 * :Test User")
        other.collect(" 318 ")
    other.send("WHOIS elsewhere.example coolNick")
    other.expect_exact(f":{S} 402 otherNick elsewhere.example :No such server")
