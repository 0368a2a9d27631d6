"""Conformance transcripts: registration, messaging, and the operator and query
commands, each checked line by line against the spec it cites."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from ircish.server.opers import OperSpec, make_hash
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import Connect
from .conftest import src as prefix


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(flood_control=False, opers=[OperSpec("operuser", make_hash("operpw"))])


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
        reply = [c.next_line(), *c.drain()]
        assert not [line for line in reply if " 402 " in line], reply


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


# --- registration and messages -------------------------------------------------------

def test_welcome_burst_shape(connect: Connect) -> None:
    """Modern (registration): 001-004, then 005s of at most 13 tokens, then LUSERS and
    MOTD; 004 lists user modes, room modes and the room modes taking a parameter."""
    c = connect()
    c.send("NICK foo")
    c.send("USER foo * * :foo")
    lines = c.collect(" 376 ")
    assert [line.split()[1] for line in lines[:4]] == ["001", "002", "003", "004"]
    assert lines[3] == f":{S} 004 foo {S} ircish-0.1.0 Bio biklmnostv bklov"
    isupport = [line for line in lines if " 005 " in line]
    assert isupport and all(len(line.split(" :")[0].split()) - 3 <= 13 for line in isupport)


def test_bad_nicks_do_not_register_and_a_good_one_then_does(connect: Connect) -> None:
    """RFC 1459 4.1.2: `*` is erroneous (432), an empty NICK is 431; no welcome."""
    c = connect()
    c.send("NICK *")
    c.send("USER u s e r")
    c.expect_exact(f":{S} 432 * * :Erroneous nickname")
    c.send("NICK :")
    c.expect_exact(f":{S} 431 * :No nickname given")
    c.send("NICK valid")
    c.expect_exact(f":{S} 001 valid :Welcome to the ircish IRC network valid!~u@127.0.0.1")


def test_message_errors_are_answered_for_privmsg_only(connect: Connect) -> None:
    """RFC 2812 3.3.2: no automatic reply, error or away message, to a NOTICE."""
    foo, bar = connect("foo"), connect("bar")
    bar.send("AWAY :lunch")
    bar.expect(" 306 ")
    for command in ("NOTICE #nonexistent :x", "NOTICE nobody :x", "NOTICE bar :x"):
        foo.send(command)
    assert foo.drain() == []
    foo.send("PRIVMSG #nonexistent :x")
    foo.expect_exact(f":{S} 403 foo #nonexistent :No such channel")
    foo.send("PRIVMSG nobody :x")
    foo.expect_exact(f":{S} 401 foo nobody :No such nick/channel")
    foo.send("PRIVMSG bar :x")
    foo.expect_exact(f":{S} 301 foo bar :lunch")


def test_a_line_over_512_bytes_is_417_and_the_client_stays(connect: Connect) -> None:
    """Modern (message format): 512 bytes with CRLF is accepted; longer is
    ERR_INPUTTOOLONG, and the connection goes on."""
    foo = connect("foo")
    foo.send("PING " + "x" * 505)
    foo.expect(rf"^:{S} PONG {S} :x{{400,}}$")
    foo.send("PING " + "x" * 506)
    foo.expect_exact(f":{S} 417 foo :Input line was too long")
    foo.join("#test")


def test_away_replies_and_an_empty_away_comes_back(connect: Connect) -> None:
    """Modern (AWAY): 306/305 alone acknowledge; 301 for PRIVMSG and WHOIS; USERHOST
    marks away with '-'; `AWAY :` (empty) is the same as AWAY."""
    bar, qux = connect("bar"), connect("qux")
    bar.send("AWAY :I'm not here right now")
    bar.expect_exact(f":{S} 306 bar :You have been marked as being away")
    assert bar.drain() == []
    qux.send("USERHOST bar")
    qux.expect_exact(f":{S} 302 qux :bar=-~bar@127.0.0.1")
    bar.send("AWAY :")
    bar.expect_exact(f":{S} 305 bar :You are no longer marked as being away")
    qux.send("PRIVMSG bar :what's up")
    qux.send("USERHOST bar")
    qux.expect_exact(f":{S} 302 qux :bar=+~bar@127.0.0.1")


def test_oper_replies(connect: Connect) -> None:
    """Modern (OPER): 381 and MODE +o; 464 for a wrong password, 491 for an unknown
    name, 461 without a password; KILL from a non-operator is 481."""
    baz = connect("baz")
    baz.send("OPER operuser wrong")
    baz.expect_exact(f":{S} 464 baz :Password incorrect")
    baz.send("OPER notanoperuser somepassword")
    baz.expect_exact(f":{S} 491 baz :No O-lines for your host")
    baz.send("OPER operuser")
    baz.expect_exact(f":{S} 461 baz OPER :Not enough parameters")
    baz.send("KILL baz :no reason")
    baz.expect_exact(f":{S} 481 baz :Permission Denied- You're not an IRC operator")
    baz.send("OPER operuser operpw")
    baz.expect_exact(f":{S} 381 baz :You are now an IRC operator",
                     f"{prefix('baz')} MODE baz :+o")
