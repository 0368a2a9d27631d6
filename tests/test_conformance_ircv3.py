"""Conformance transcripts: capability negotiation, message tags, echo-message,
labeled-response and the other IRCv3 extensions, each checked line by line against
the spec it cites."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ircish.server.opers import OperSpec, make_hash
from ircish.server.server import Server

from .conftest import MSGID, TIME, Connect
from .conftest import SERVER_NAME as S
from .conftest import src as prefix


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(flood_control=False, opers=[OperSpec("operuser", make_hash("operpw"))])


# --- capability negotiation ----------------------------------------------------------

def test_cap_first_line_invalid_subcommand_and_empty_list(connect: Connect) -> None:
    """IRCv3 capability negotiation: an unknown subcommand is 410; CAP LIST with
    nothing enabled has an empty last parameter."""
    c = connect()
    c.send("CAP NOTACOMMAND")
    c.expect_exact(f":{S} 410 * NOTACOMMAND :Invalid CAP command")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP * LIST :")


def test_cap_ls_301_is_one_line_without_values_and_negotiation_holds_the_welcome(
        connect: Connect) -> None:
    """IRCv3 capability negotiation: no 302 features for a 301 client; after CAP LS
    nothing of registration is sent before CAP END, however often LS is repeated."""
    c = connect()
    c.send("CAP LS")
    line = c.next_line()
    assert line.startswith(f":{S} CAP * LS :") and "=" not in line, line
    c.send("CAP LS 302")
    c.send("USER foo foo foo :foo")
    c.send("NICK foo")
    c.send("CAP LS 302")
    c.expect(rf"^:{S} CAP \* LS :")
    c.expect(rf"^:{S} CAP foo LS :")
    c.assert_silent()
    c.send("CAP END")
    c.expect_exact(f":{S} 001 foo :Welcome to the ircish IRC network foo!~foo@127.0.0.1")


def test_cap_nak_repeats_the_request_exactly_and_takes_none_of_it(connect: Connect) -> None:
    """IRCv3 capability negotiation: REQ is accepted or rejected whole; the NAK carries
    the requested list unchanged."""
    c = connect()
    c.send("CAP LS 302")
    c.expect(" LS :")
    for request in ("foo qux bar baz qux quux", "foo multi-prefix bar", "multi-prefix bar"):
        c.send(f"CAP REQ :{request}")
        c.expect_exact(f":{S} CAP * NAK :{request}")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP * LIST :cap-notify")
    c.send("CAP REQ :multi-prefix")
    c.expect_exact(f":{S} CAP * ACK :multi-prefix")
    c.send("CAP REQ :userhost-in-names")
    c.expect_exact(f":{S} CAP * ACK :userhost-in-names")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP * LIST :cap-notify multi-prefix userhost-in-names")


def test_cap_req_minus_stops_the_time_tag(capped: Connect) -> None:
    """IRCv3 capability negotiation: `CAP REQ :-cap` disables it from then on."""
    bar, sender = capped("bar", "echo-message server-time"), capped("sender")
    sender.send("PRIVMSG bar :hi")
    bar.expect(rf"^@{TIME} {prefix('sender')} PRIVMSG bar :hi$")
    bar.send("CAP REQ :-server-time")
    bar.expect_exact(f":{S} CAP bar ACK :-server-time")
    bar.send("CAP LIST")
    bar.expect_exact(f":{S} CAP bar LIST :cap-notify echo-message")
    sender.send("PRIVMSG bar :again")
    bar.expect_exact(f"{prefix('sender')} PRIVMSG bar :again")


# --- message-tags ----------------------------------------------------------------------

def test_client_tags_reach_only_clients_that_enabled_message_tags(capped: Connect) -> None:
    """IRCv3 message-tags: client-only (+) tags and msgid go to message-tags clients;
    other tags are not relayed; TAGMSG reaches nobody else; escaping is kept."""
    alice = capped("alice", "message-tags")
    bob = capped("bob", "message-tags echo-message")
    carol, dave = capped("carol"), capped("dave", "server-time")
    for c in (alice, bob, carol, dave):
        c.join("#test")
    for c in (alice, bob, carol, dave):
        c.drain()
    alice.send("@+baz=bat;fizz=buzz PRIVMSG #test hi")
    bob.expect(rf"^@{MSGID};\+baz=bat {prefix('alice')} PRIVMSG #test :hi$")
    carol.expect_exact(f"{prefix('alice')} PRIVMSG #test :hi")
    dave.expect(rf"^@{TIME} {prefix('alice')} PRIVMSG #test :hi$")
    bob.send(r"@+buzz=fizz\:buzz;cat=dog;+steel=wootz TAGMSG #test")
    echo = bob.expect(rf"^@({MSGID});\+buzz=fizz\\:buzz;\+steel=wootz {prefix('bob')} "
                      r"TAGMSG #test$")
    alice.expect_exact(f"@{echo.group(1)};+buzz=fizz\\:buzz;+steel=wootz "
                       f"{prefix('bob')} TAGMSG #test")
    for c in (carol, dave):
        assert c.drain() == []


def test_tag_data_is_bounded_at_4094_bytes_from_a_client(capped: Connect) -> None:
    """IRCv3 message-tags: 4094 bytes of tag data (4096 with '@' and space) are
    relayed intact; one byte more is 417 and nothing is relayed."""
    alice = capped("alice", "message-tags echo-message")
    bob = capped("bob", "message-tags")
    alice.join("#test")
    bob.join("#test")
    joined = alice.drain()  # a room's events carry msgids (they are kept in its history)
    assert len(joined) == 1 and re.fullmatch(rf"@{MSGID} {re.escape(prefix('bob'))} JOIN #test",
                                             joined[0]), joined
    at_limit = "@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4081)
    assert at_limit.index("TAGMSG") == 4096
    alice.send(at_limit)
    echo = alice.expect(rf"^@({MSGID});\+baz=a{{4081}} {prefix('alice')} TAGMSG #test$")
    bob.expect_exact(f"@{echo.group(1)};+baz={'a' * 4081} {prefix('alice')} TAGMSG #test")
    alice.send("@foo=bar;+baz=%s TAGMSG #test" % ("a" * 4082))
    alice.expect_exact(f":{S} 417 alice :Input line was too long")
    alice.send("@foo=bar;+baz={} PRIVMSG #test {}".format("a" * 4081, "b" * 496))
    relayed = bob.expect(rf"^@{MSGID};\+baz=a{{4081}} {prefix('alice')} PRIVMSG #test :(b+)$")
    assert len(relayed.group(1)) >= 400  # cut to fit 512 bytes with the prefix
    assert alice.drain() == [relayed.group(0)]  # the echo: as bob got it, cut the same
    alice.send("@foo=bar;+baz={} PRIVMSG #test {}".format("a" * 4082, "b" * 495))
    alice.expect_exact(f":{S} 417 alice :Input line was too long")
    assert bob.drain() == []


def test_a_recipient_gets_tags_once_it_enables_message_tags(capped: Connect) -> None:
    """IRCv3 message-tags: tags follow the recipient's capabilities, also when it
    changes them after registering."""
    alice, bob = capped("alice", "message-tags echo-message"), capped("bob")
    alice.send("@+draft/reply=abc PRIVMSG bob :hey")
    alice.expect(rf"^@{MSGID};\+draft/reply=abc {prefix('alice')} PRIVMSG bob :hey$")
    bob.expect_exact(f"{prefix('alice')} PRIVMSG bob :hey")
    bob.send("CAP REQ :message-tags server-time")
    bob.expect(" ACK ")
    alice.send("@+draft/reply=abc PRIVMSG bob :again")
    bob.expect(rf"^@{TIME};{MSGID};\+draft/reply=abc {prefix('alice')} PRIVMSG bob :again$")


# --- echo-message and labeled-response ----------------------------------------------

@pytest.mark.parametrize("command", ["PRIVMSG", "NOTICE"])
def test_echo_message_alone_in_a_room_keeps_server_time(capped: Connect, command: str) -> None:
    """IRCv3 echo-message: the sender gets its message back as others would see it."""
    baz = capped("baz", "echo-message server-time")
    baz.join("#chan")
    baz.send(f"{command} #chan :hello everyone")
    baz.expect(rf"^@{TIME} {prefix('baz')} {command} #chan :hello everyone$")


def test_labeled_message_to_several_nicks_is_one_batch_and_the_label_stays_home(
        capped: Connect) -> None:
    """IRCv3 labeled-response: several reply lines form one labeled-response batch;
    recipients never see the label."""
    caps = "echo-message batch labeled-response"
    foo, bar, carl, alice = (capped(n, caps) for n in ("foo", "bar", "carl", "alice"))
    foo.send("@label=12345 PRIVMSG bar,carl,alice :hi")
    batch = foo.expect(rf"^@label=12345 :{S} BATCH \+([A-Za-z0-9-]+) labeled-response$")[1]
    for nick in ("bar", "carl", "alice"):
        foo.expect_exact(f"@batch={batch} {prefix('foo')} PRIVMSG {nick} :hi")
    foo.expect_exact(f":{S} BATCH -{batch}")
    for c, nick in ((bar, "bar"), (carl, "carl"), (alice, "alice")):
        c.expect_exact(f"{prefix('foo')} PRIVMSG {nick} :hi")


@pytest.mark.parametrize("command", ["PRIVMSG foo :hi", "NOTICE foo :hi",
                                     "@+draft/react=x TAGMSG foo"])
def test_labeled_message_to_oneself_labels_only_the_echo(capped: Connect,
                                                         command: str) -> None:
    """IRCv3 labeled-response with echo-message: of the two copies a message to
    oneself arrives as, exactly one carries the label."""
    foo = capped("foo", "echo-message batch labeled-response message-tags")
    tags, _, rest = command.rpartition(" TAGMSG ")
    line = f"@label=12345;{tags[1:]} TAGMSG {rest}" if tags else f"@label=12345 {command}"
    foo.send(line)
    first, second = foo.next_line(), foo.next_line()
    assert first.startswith("@label=12345;msgid="), first
    assert "label=" not in second and first.split(" ", 1)[1] == second.split(" ", 1)[1]


def test_labeled_replies_single_batched_ack_and_error(capped: Connect) -> None:
    """IRCv3 labeled-response: one line is labeled, several are batched, none is a
    labeled ACK, and an unknown command's error is labeled too."""
    bar = capped("bar", "batch labeled-response message-tags server-time")
    bar.send("@label=98765 PING adhoctestline")
    bar.expect_exact(f"@label=98765 :{S} PONG {S} :adhoctestline")
    bar.send("@label=98765 PONG adhoctestline")
    bar.expect_exact(f"@label=98765 :{S} ACK")
    bar.send("@label=deadbeef NONEXISTENT_COMMAND")
    bar.expect_exact(f"@label=deadbeef :{S} 421 bar NONEXISTENT_COMMAND :Unknown command")
    bar.send("@label=12345 JOIN #xyz")
    batch = bar.expect(rf"^@label=12345 :{S} BATCH \+([A-Za-z0-9-]+) labeled-response$")[1]
    bar.expect(rf"^@batch={batch};{TIME};{MSGID} {prefix('bar')} JOIN #xyz$")
    bar.expect_exact(f"@batch={batch} :{S} 353 bar = #xyz :@bar",
                     f"@batch={batch} :{S} 366 bar #xyz :End of /NAMES list.",
                     f":{S} BATCH -{batch}")


# --- away-notify, extended-join, setname, bot mode ----------------------------------

def test_away_notify_on_change_and_on_joining_while_away(capped: Connect) -> None:
    """IRCv3 away-notify: AWAY lines as a room-mate goes away or comes back, and
    when someone already away joins."""
    foo, bar = capped("foo", "away-notify extended-join"), capped("bar")
    foo.join("#chan")
    bar.send("AWAY :i'm already away")
    bar.expect(" 306 ")
    bar.join("#chan")
    foo.expect_exact(f"{prefix('bar')} JOIN #chan * :Test User",
                     f"{prefix('bar')} AWAY :i'm already away")
    bar.send("AWAY")
    foo.expect_exact(f"{prefix('bar')} AWAY")
    bar.send("AWAY :i'm going away")
    foo.expect_exact(f"{prefix('bar')} AWAY :i'm going away")


def test_setname_is_confirmed_and_seen_only_with_the_capability(capped: Connect) -> None:
    """IRCv3 setname: the sender gets SETNAME back, room-mates with the capability
    see it, others do not; WHOIS shows the new name."""
    foo, bar, baz = capped("foo", "setname"), capped("bar", "setname"), capped("baz")
    for c in (foo, bar, baz):
        c.join("#chan")
    for c in (foo, bar, baz):
        c.drain()
    foo.send("SETNAME qux")
    foo.expect_exact(f"{prefix('foo')} SETNAME :qux")
    bar.expect_exact(f"{prefix('foo')} SETNAME :qux")
    assert baz.drain() == []
    foo.send("WHOIS foo")
    foo.expect_exact(f":{S} 311 foo foo ~foo 127.0.0.1 * :qux")


def test_bot_mode_mode_whois_tag_and_who_flag(capped: Connect) -> None:
    """IRCv3 bot mode: BOT=B, MODE +B echoed, 335 in WHOIS, the bot tag for
    message-tags clients, B in the WHO flags."""
    bot, user = capped("botnick"), capped("usernick", "message-tags")
    bot.send("MODE botnick +B")
    bot.expect_exact(f"{prefix('botnick')} MODE botnick :+B")
    user.send("WHOIS botnick")
    assert f":{S} 335 usernick botnick :is a Bot on ircish" in user.collect(" 318 ")
    bot.send("PRIVMSG usernick :beep boop")
    user.expect(rf"^@{MSGID};bot {prefix('botnick')} PRIVMSG usernick :beep boop$")
    bot.join("#chan")
    user.join("#chan")
    bot.send("PRIVMSG #chan :beep boop")
    user.expect(rf"^@{MSGID};bot {prefix('botnick')} PRIVMSG #chan :beep boop$")
    user.send("WHO #chan")
    user.expect_exact(f":{S} 352 usernick #chan ~botnick 127.0.0.1 {S} botnick H@B :0 Test User")


# --- MONITOR ---------------------------------------------------------------------------

def test_monitor_follows_nick_changes_but_not_case_changes(connect: Connect) -> None:
    """IRCv3 MONITOR: a nick change online/offline is announced; a change of case
    is not, and 731 then names the nick as it was last written."""
    bar = connect("bar")
    bar.send("MONITOR + qux")
    bar.expect_exact(f":{S} 731 bar :qux")
    baz = connect("baz")
    baz.send("NICK qux")
    bar.expect_exact(f":{S} 730 bar :qux!~baz@127.0.0.1")
    baz.send("NICK QUX")
    baz.expect(" NICK QUX")
    baz.send("NICK bazbat")
    bar.expect_exact(f":{S} 731 bar :QUX")


def test_monitor_ignores_masks_and_minus_and_clear_are_silent(connect: Connect) -> None:
    """IRCv3 MONITOR: targets are nicks (a hostmask watches nothing); `-` and `C`
    answer nothing; L ends with 733."""
    foo = connect("foo")
    foo.send("MONITOR + *!username@127.0.0.1")
    foo.send("MONITOR + bar")
    foo.expect_exact(f":{S} 731 foo :bar")
    foo.send("MONITOR - bar")
    foo.send("MONITOR C")
    assert foo.drain() == []
    connect("baz")
    foo.assert_silent()
    foo.send("MONITOR L")
    foo.expect_exact(f":{S} 733 foo :End of MONITOR list")
