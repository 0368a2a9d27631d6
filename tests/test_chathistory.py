"""CHATHISTORY (IRCv3 draft/chathistory) against the real server and its store: every
subcommand and its exclusive bounds, limits, the FAIL codes, event-playback, who may
read what, TARGETS, labeled requests.

A line from history must be the line that went out live: the tests compare what a
CHATHISTORY batch holds with the echo-message copies its asker got when the messages
were sent (same capabilities, so the same bytes), the `batch=` tag aside.
"""
from __future__ import annotations

import re
import time

import pytest

from ircish.server.playback import format_ms, parse_limit, parse_ref, parse_timestamp
from ircish.server.registry import builtin_registry
from ircish.server.server import Server
from ircish.server.store import Record, Ref

from .conftest import SERVER_NAME as S
from .conftest import Connect, src
from .ircclient import Client

# What a modern client asks for (and echo-message, to learn its own msgids).
FULL = "batch draft/chathistory echo-message message-tags server-time"
EVENTS = FULL + " draft/event-playback"

INVALID_TARGET = ":Messages could not be retrieved"


# --- helpers (test_redact and test_search use them too) ---------------------------

def say(client: Client, target: str, text: str, command: str = "PRIVMSG") -> str:
    """Send a message (the client has echo-message); its echo line, as the client got
    it live."""
    client.send(f"{command} {target} :{text}")
    return client.expect(rf"^@\S+ {re.escape(src(client.name))} {command} "
                         rf"{re.escape(target)} :{re.escape(text)}$").string


def msgid_of(line: str) -> str:
    match = re.search(r"[@;]msgid=([^; ]+)", line)
    assert match, line
    return match.group(1)


def time_of(line: str) -> str:
    match = re.search(r"[@;]time=([^; ]+)", line)
    assert match, line
    return match.group(1)


def batch(client: Client, request: str, kind: str = "chathistory",
          first_tags: str = "") -> tuple[str, list[str]]:
    """Send `request`, read the one batch it answers: (the batch's parameters after its
    type, the lines inside with their batch= tag removed). `first_tags`: what the
    BATCH + line carries besides (a label)."""
    client.send(request)
    head = client.next_line()
    match = re.fullmatch(rf"{re.escape(first_tags)}:{S} BATCH \+(\S+) {re.escape(kind)}(.*)",
                         head)
    assert match, head
    ref = match.group(1)
    lines = client.collect(rf"BATCH -{re.escape(ref)}$")
    assert lines[-1] == f":{S} BATCH -{ref}", lines[-1]
    inner = []
    for line in lines[:-1]:
        tag = f"@batch={ref}"
        assert line.startswith((tag + ";", tag + " ")), line
        inner.append("@" + line[len(tag) + 1:] if line[len(tag)] == ";"
                     else line[len(tag) + 1:])
    return match.group(2).strip(), inner


def fail(client: Client, request: str, expected: str) -> None:
    client.send(request)
    client.expect_exact(f":{S} FAIL {expected}")


def seed(server: Server, room: str, *entries: tuple[int, str, str]) -> list[Record]:
    """Records put straight into the store (times a live test cannot choose, such as
    several messages in one millisecond): (time_ms, nick, text) each."""
    records = [Record(msgid=f"seed{i}x{time_ms}", time_ms=time_ms, target_key=room.lower(),
                      sender_key=nick, source=f"{nick}!~{nick}@127.0.0.1", command="PRIVMSG",
                      params=(room, text), text=text)
               for i, (time_ms, nick, text) in enumerate(entries)]
    for record in records:
        server.archive.store.append(record)
    return records


def stamp(time_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time_ms // 1000)) + \
        f".{time_ms % 1000:03d}Z"


@pytest.fixture
def server(start_server) -> Server:
    """Without flood control: these tests send many costly commands in a row (that
    they are costly is checked on its own)."""
    return start_server(flood_control=False)


@pytest.fixture
def talk(capped: Connect) -> tuple[Client, list[str]]:
    """alice in #dev with five messages of hers, a few milliseconds apart (so their
    timestamps differ): alice and the echo lines."""
    alice = capped("alice", FULL)
    alice.join("#dev")
    alice.drain()
    sent = []
    for i in range(5):
        sent.append(say(alice, "#dev", f"message {i}"))
        time.sleep(0.003)
    return alice, sent


# --- the parsers (pure) -----------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2019-01-04T14:33:26.123Z", 1546612406123),
    ("2019-01-04T14:33:26Z", 1546612406000),
    ("2019-01-04T14:33:26.1Z", 1546612406100),
    ("2019-01-04T14:33:26.123999999Z", 1546612406123),
    ("1969-12-31T23:59:59.999Z", -1),
    ("2019-01-04T14:33:26.123", None), ("2019-01-04 14:33:26.123Z", None),
    ("2019-02-29T00:00:00.000Z", None), ("2019-01-04T24:00:00.000Z", None),
    ("2019-01-04T14:33:26.Z", None), ("٢٠١٩-01-04T14:33:26Z", None), ("", None),
])
def test_timestamps(text: str, expected: int | None) -> None:
    assert parse_timestamp(text) == expected
    if expected is not None and text.endswith(".123Z"):
        assert format_ms(expected) == text


def test_references_and_limits() -> None:
    assert parse_ref("msgid=abc") == Ref(msgid="abc")
    assert parse_ref("MSGID=abc") == Ref(msgid="abc")
    assert parse_ref("timestamp=2019-01-04T14:33:26.123Z") == Ref(time_ms=1546612406123)
    for bad in ("msgid=", "abc", "*", "id=abc", "timestamp=now"):
        assert parse_ref(bad) is None
    assert [parse_limit(t, 100) for t in ("1", "100", "101", "007")] == [1, 100, 100, 7]
    for bad in ("0", "-1", "", "1e3", "١", " 5"):
        assert parse_limit(bad, 100) is None


# --- the subcommands ------------------------------------------------------------

def test_latest_gives_the_newest_oldest_first_as_they_went_out(talk) -> None:
    alice, sent = talk
    assert batch(alice, "CHATHISTORY LATEST #dev * 50") == ("#dev", sent)
    assert batch(alice, "CHATHISTORY LATEST #dev * 2") == ("#dev", sent[-2:])
    assert batch(alice, "chathistory latest #DEV * 1") == ("#dev", sent[-1:])  # canonical name
    assert batch(alice, f"CHATHISTORY LATEST #dev msgid={msgid_of(sent[1])} 50") == \
        ("#dev", sent[2:])
    assert batch(alice, f"CHATHISTORY LATEST #dev timestamp={time_of(sent[1])} 50") == \
        ("#dev", sent[2:])
    assert batch(alice, f"CHATHISTORY LATEST #dev msgid={msgid_of(sent[4])} 50") == \
        ("#dev", [])


def test_before_and_after_exclude_their_reference(talk) -> None:
    alice, sent = talk
    for ref in (f"msgid={msgid_of(sent[3])}", f"timestamp={time_of(sent[3])}"):
        assert batch(alice, f"CHATHISTORY BEFORE #dev {ref} 50") == ("#dev", sent[:3])
        assert batch(alice, f"CHATHISTORY BEFORE #dev {ref} 2") == ("#dev", sent[1:3])
    for ref in (f"msgid={msgid_of(sent[1])}", f"timestamp={time_of(sent[1])}"):
        assert batch(alice, f"CHATHISTORY AFTER #dev {ref} 50") == ("#dev", sent[2:])
        assert batch(alice, f"CHATHISTORY AFTER #dev {ref} 2") == ("#dev", sent[2:4])
    assert batch(alice, f"CHATHISTORY BEFORE #dev msgid={msgid_of(sent[0])} 9") == ("#dev", [])
    assert batch(alice, f"CHATHISTORY AFTER #dev msgid={msgid_of(sent[4])} 9") == ("#dev", [])


def test_around_centres_on_its_reference(talk) -> None:
    alice, sent = talk
    middle = f"msgid={msgid_of(sent[2])}"
    assert batch(alice, f"CHATHISTORY AROUND #dev {middle} 1") == ("#dev", sent[2:3])
    assert batch(alice, f"CHATHISTORY AROUND #dev {middle} 3") == ("#dev", sent[1:4])
    _, around = batch(alice, f"CHATHISTORY AROUND #dev timestamp={time_of(sent[2])} 3")
    assert sent[2] in around and len(around) == 3


def test_between_goes_either_way_and_counts_from_its_first_reference(talk) -> None:
    alice, sent = talk
    first, last = f"msgid={msgid_of(sent[0])}", f"msgid={msgid_of(sent[4])}"
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {first} {last} 50") == ("#dev", sent[1:4])
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {last} {first} 50") == ("#dev", sent[1:4])
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {first} {last} 2") == ("#dev", sent[1:3])
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {last} {first} 2") == ("#dev", sent[2:4])
    early, late = f"timestamp={time_of(sent[0])}", f"timestamp={time_of(sent[4])}"
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {early} {late} 50") == ("#dev", sent[1:4])
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {late} {early} 1") == ("#dev", sent[3:4])
    assert batch(alice, f"CHATHISTORY BETWEEN #dev {last} {last} 50") == ("#dev", [])


def test_a_timestamp_excludes_every_message_of_its_millisecond(server, capped) -> None:
    """Several messages in one millisecond: a timestamp bound leaves them all out, a
    msgid bound splits them in the order they were stored."""
    alice = capped("alice", FULL)
    alice.join("#dev")
    base = 1_700_000_000_000
    seed(server, "#dev", (base, "bob", "a"), (base + 1, "bob", "b"), (base + 1, "bob", "c"),
         (base + 1, "bob", "d"), (base + 2, "bob", "e"))
    alice.drain()

    def texts(request: str) -> list[str]:
        return [line.rsplit(" :", 1)[1] for line in batch(alice, request)[1]]

    same = f"timestamp={stamp(base + 1)}"
    assert texts(f"CHATHISTORY BEFORE #dev {same} 10") == ["a"]
    assert texts(f"CHATHISTORY AFTER #dev {same} 10") == ["e"]
    assert texts(f"CHATHISTORY LATEST #dev {same} 10") == ["e"]
    assert texts(f"CHATHISTORY BETWEEN #dev timestamp={stamp(base)} "
                 f"timestamp={stamp(base + 2)} 10") == ["b", "c", "d"]
    assert texts(f"CHATHISTORY AFTER #dev msgid=seed1x{base + 1} 10") == ["c", "d", "e"]
    assert texts(f"CHATHISTORY BEFORE #dev msgid=seed3x{base + 1} 10") == ["a", "b", "c"]
    # a timestamp needs no message of its own, and may carry more or fewer digits
    assert texts(f"CHATHISTORY AFTER #dev timestamp={stamp(base - 1000)[:-5]}Z 1") == ["a"]
    assert texts(f"CHATHISTORY BEFORE #dev timestamp={stamp(base + 2)[:-1]}999Z 9") == \
        ["a", "b", "c", "d"]


def test_a_room_with_no_history_is_an_empty_batch(capped) -> None:
    alice = capped("alice", FULL)
    alice.join("#empty")
    alice.drain()
    assert batch(alice, "CHATHISTORY LATEST #empty * 10") == ("#empty", [])
    assert batch(alice, "CHATHISTORY BEFORE #empty timestamp=2030-01-01T00:00:00.000Z 10") == \
        ("#empty", [])


def test_limits_are_positive_numbers_capped_by_the_server(server, talk) -> None:
    alice, sent = talk
    for bad in ("0", "-1", "ten", "1.5", "+3", "٣"):
        fail(alice, f"CHATHISTORY LATEST #dev * {bad}",
             f"CHATHISTORY INVALID_PARAMS LATEST {bad} :Invalid limit")
    fail(alice, "CHATHISTORY LATEST #dev * :1 0",
         "CHATHISTORY INVALID_PARAMS LATEST * :Invalid limit")
    server.settings.history_query_limit = 3  # what CHATHISTORY= says
    assert batch(alice, "CHATHISTORY LATEST #dev * 1000") == ("#dev", sent[-3:])


def test_references_that_cannot_be_read(talk) -> None:
    alice, sent = talk
    for bad in ("timestamp=yesterday", "timestamp=2024-02-30T00:00:00.000Z",
                "timestamp=2024-01-01T00:00:00.000", "timestamp=2024-01-01T00:00:00+01:00",
                "TIMESTAMP=2024-13-01T00:00:00.000Z", "timestamp="):
        fail(alice, f"CHATHISTORY BEFORE #dev {bad} 10",
             f"CHATHISTORY INVALID_PARAMS BEFORE {bad} :Invalid timestamp")
    for bad in ("msgid=", "when=now", "1234", "*"):
        fail(alice, f"CHATHISTORY AFTER #dev {bad} 10",
             f"CHATHISTORY INVALID_PARAMS AFTER {bad} :Invalid message reference")


def test_an_unknown_msgid_or_one_of_another_room(talk, capped) -> None:
    alice, sent = talk
    alice.join("#other")
    other = say(alice, "#other", "elsewhere")
    fail(alice, "CHATHISTORY BEFORE #dev msgid=nosuchid 10",
         "CHATHISTORY MESSAGE_ERROR BEFORE #dev msgid=nosuchid :No such message in this history")
    fail(alice, f"CHATHISTORY AROUND #dev msgid={msgid_of(other)} 10",
         f"CHATHISTORY MESSAGE_ERROR AROUND #dev msgid={msgid_of(other)} "
         ":No such message in this history")
    assert batch(alice, f"CHATHISTORY AROUND #other msgid={msgid_of(other)} 10") == \
        ("#other", [other])


def test_subcommands_and_parameters(capped) -> None:
    alice = capped("alice", FULL)
    alice.join("#dev")
    alice.drain()
    fail(alice, "CHATHISTORY FROBNICATE #dev * 10",
         "CHATHISTORY UNKNOWN_COMMAND FROBNICATE :Unknown command")
    fail(alice, "CHATHISTORY :two words", "CHATHISTORY UNKNOWN_COMMAND * :Unknown command")
    fail(alice, "CHATHISTORY LATEST #dev *",
         "CHATHISTORY NEED_MORE_PARAMS LATEST :Missing parameters")
    fail(alice, "CHATHISTORY BETWEEN #dev timestamp=2024-01-01T00:00:00.000Z 10",
         "CHATHISTORY NEED_MORE_PARAMS BETWEEN :Missing parameters")
    fail(alice, "CHATHISTORY TARGETS timestamp=2024-01-01T00:00:00.000Z :",
         "CHATHISTORY NEED_MORE_PARAMS TARGETS :Missing parameters")
    alice.send("CHATHISTORY")
    alice.expect_exact(f":{S} 461 alice CHATHISTORY :Not enough parameters")


# --- events ---------------------------------------------------------------------

def test_events_come_back_only_with_event_playback(capped) -> None:
    """A room's life as bob saw it live, his JOIN to dave's QUIT: all of it for a
    client with draft/event-playback, only the PRIVMSG and NOTICE without."""
    bob = capped("bob", EVENTS + " extended-join")  # JOINs from history extended too
    bob.send("JOIN #life")
    live = [line for line in bob.collect(" 366 ") if " JOIN " in line]
    carol = capped("carol", "message-tags")
    carol.join("#life")
    bob.send("MODE #life +o carol")
    carol.expect(" MODE #life ")
    for line in ("TOPIC #life :a topic", "@+draft/react=1 TAGMSG #life",
                 "NOTICE #life :a notice", "PRIVMSG #life :hello", "NICK carla",
                 "PART #life :bye"):
        carol.send(line)
    carol.name = "carla"
    carol.join("#life")
    bob.send("KICK #life carla :out")
    carol.expect(" KICK #life carla ")
    dave = capped("dave", "message-tags")
    dave.join("#life")
    dave.send("QUIT :gone")
    live += bob.collect(" QUIT :Quit: gone$")
    assert [line.split(" ")[2] for line in live] == [
        "JOIN", "JOIN", "MODE", "TOPIC", "TAGMSG", "NOTICE", "PRIVMSG", "NICK", "PART",
        "JOIN", "KICK", "JOIN", "QUIT"]
    assert live[1].endswith(" JOIN #life * :Test User")
    assert batch(bob, "CHATHISTORY LATEST #life * 50") == ("#life", live)
    plain = capped("erin", FULL)  # the same tag profile as bob: the same bytes
    plain.join("#life")
    plain.drain()
    assert batch(plain, "CHATHISTORY LATEST #life * 50") == (
        "#life", [line for line in live if line.split(" ")[2] in ("NOTICE", "PRIVMSG")])


# --- who may read what ------------------------------------------------------------

def test_only_current_members_read_a_room(server, capped) -> None:
    """Outsiders, a secret room's included, and former members get the answer a room
    that does not exist gets; so does a server operator outside the room."""
    alice = capped("alice", FULL)
    alice.join("#club")
    alice.send("MODE #club +s")
    say(alice, "#club", "members only")
    mallory = capped("mallory", FULL)
    for room in ("#club", "#nosuchroom", "#CLUB"):
        fail(mallory, f"CHATHISTORY LATEST {room} * 10",
             f"CHATHISTORY INVALID_TARGET LATEST {room} {INVALID_TARGET}")
    fail(mallory, "CHATHISTORY AROUND #club timestamp=2024-01-01T00:00:00.000Z 10",
         f"CHATHISTORY INVALID_TARGET AROUND #club {INVALID_TARGET}")
    mallory.join("#club")
    mallory.drain()
    _, lines = batch(mallory, "CHATHISTORY LATEST #club * 10")
    assert [line.rsplit(" :", 1)[1] for line in lines] == ["members only"]
    mallory.send("PART #club")
    mallory.expect(" PART #club")
    fail(mallory, "CHATHISTORY LATEST #club * 10",
         f"CHATHISTORY INVALID_TARGET LATEST #club {INVALID_TARGET}")


def test_an_operator_outside_a_room_does_not_read_it(start_server, capped) -> None:
    from ircish.server.opers import OperSpec, make_hash
    server = start_server(opers=[OperSpec("admin", make_hash("pw"))], flood_control=False)
    alice = Client(server.address, "alice")
    alice.register("alice")
    alice.join("#dev")
    alice.send("OPER admin pw")
    alice.expect(" 381 ")
    alice.send("PART #dev")
    alice.expect(" PART #dev")
    fail(alice, "CHATHISTORY LATEST #dev * 10",
         f"CHATHISTORY INVALID_TARGET LATEST #dev {INVALID_TARGET}")
    alice.close()


def test_a_user_not_logged_in_reads_no_private_history(capped) -> None:
    """A nick proves nothing: private history is read by account (see
    test_private_history). Without one a nick, one's own included, and anything else
    that is no room are INVALID_TARGET."""
    alice = capped("alice", FULL)
    bob = capped("bob", FULL)
    say(alice, "bob", "psst")
    for target in ("bob", "alice", "nobody", "*"):
        fail(alice, f"CHATHISTORY LATEST {target} * 10",
             f"CHATHISTORY INVALID_TARGET LATEST {target} {INVALID_TARGET}")
    bob.drain()


# --- TARGETS ------------------------------------------------------------------------

def test_targets_lists_the_users_rooms_with_messages_in_the_window(server, capped) -> None:
    alice = capped("alice", FULL)
    bob = capped("bob", FULL)
    for room in ("#a", "#b", "#c"):
        alice.join(room)
    bob.join("#hidden")
    base = 1_700_000_000_000
    seed(server, "#a", (base + 10, "x", "1"), (base + 50, "x", "2"))
    seed(server, "#b", (base + 30, "x", "3"))
    seed(server, "#c", (base + 500, "x", "late"))          # outside the window
    seed(server, "#hidden", (base + 20, "x", "secret"))    # not alice's room
    alice.drain()
    window = f"timestamp={stamp(base)} timestamp={stamp(base + 100)}"
    expected = [f":{S} CHATHISTORY TARGETS #b {stamp(base + 30)}",
                f":{S} CHATHISTORY TARGETS #a {stamp(base + 50)}"]
    assert batch(alice, f"CHATHISTORY TARGETS {window} 10",
                 "draft/chathistory-targets") == ("", expected)
    backwards = f"timestamp={stamp(base + 100)} timestamp={stamp(base)}"
    assert batch(alice, f"CHATHISTORY TARGETS {backwards} 10",
                 "draft/chathistory-targets") == ("", expected)
    assert batch(alice, f"CHATHISTORY TARGETS {window} 1",
                 "draft/chathistory-targets") == ("", expected[1:])
    exclusive = f"timestamp={stamp(base + 10)} timestamp={stamp(base + 50)}"
    assert batch(alice, f"CHATHISTORY targets {exclusive} 10",
                 "draft/chathistory-targets") == ("", expected[:1])
    fail(alice, f"CHATHISTORY TARGETS msgid=seed0x{base + 10} timestamp={stamp(base)} 10",
         f"CHATHISTORY INVALID_PARAMS TARGETS msgid=seed0x{base + 10} :TARGETS takes timestamps")
    fail(alice, f"CHATHISTORY TARGETS {window} 0",
         "CHATHISTORY INVALID_PARAMS TARGETS 0 :Invalid limit")


# --- how it is framed -------------------------------------------------------------

def test_labeled_chathistory_carries_the_label_on_its_batch(talk) -> None:
    alice, sent = talk
    alice.send("CAP REQ labeled-response")
    alice.expect(" ACK ")
    assert batch(alice, "@label=h1 CHATHISTORY LATEST #dev * 2",
                 first_tags="@label=h1 ") == ("#dev", sent[-2:])
    assert batch(alice, "@label=h2 CHATHISTORY LATEST #dev msgid=" + msgid_of(sent[4]) + " 2",
                 first_tags="@label=h2 ") == ("#dev", [])
    alice.send("@label=h3 CHATHISTORY LATEST #nope * 2")
    alice.expect_exact(f"@label=h3 :{S} FAIL CHATHISTORY INVALID_TARGET LATEST #nope "
                       f"{INVALID_TARGET}")


def test_lines_follow_the_askers_capabilities(talk, capped) -> None:
    """Without batch the lines come alone; without server-time and message-tags they
    carry no tags, as they would have live."""
    alice, sent = talk
    bare = capped("bare", "draft/chathistory")
    bare.join("#dev")
    bare.drain()
    bare.send("CHATHISTORY LATEST #dev * 2")
    bare.expect_exact(f"{src('alice')} PRIVMSG #dev :message 3",
                      f"{src('alice')} PRIVMSG #dev :message 4")
    bare.assert_silent()
    timed = capped("timed", "batch server-time")
    timed.join("#dev")
    timed.drain()
    assert batch(timed, "CHATHISTORY LATEST #dev * 1") == (
        "#dev", [f"@time={time_of(sent[4])} {src('alice')} PRIVMSG #dev :message 4"])


def test_without_history_the_command_does_not_exist(start_server) -> None:
    server = start_server(no_history=True)
    alice = Client(server.address, "alice")
    alice.register("alice")
    alice.join("#dev")
    alice.send("CHATHISTORY LATEST #dev * 10")
    alice.expect_exact(f":{S} 421 alice CHATHISTORY :Unknown command")
    alice.send("REDACT #dev abc")  # all of a turned-off feature is gone, HELP included
    alice.expect_exact(f":{S} 421 alice REDACT :Unknown command")
    alice.send("HELP SEARCH")
    alice.expect_exact(f":{S} 524 alice SEARCH :No help available on this topic")
    alice.send("HELP")
    listed = alice.collect(" 706 ")
    assert not [line for line in listed if re.search(r" 705 alice \* :(CHATHISTORY|REDACT|SEARCH) ",
                                                     line)], listed
    assert any(" 705 alice * :PRIVMSG " in line for line in listed)
    alice.close()


def test_help_and_cost() -> None:
    """HELP and the client's completion read the entry; the cost makes a client that
    pages through history fast slowed like one that sends LIST."""
    entry = builtin_registry().get("CHATHISTORY")
    assert entry is not None
    assert entry.synopsis == "CHATHISTORY <subcommand> [<target>] [<ref>] [<ref>] [<limit>]"
    assert "LATEST" in entry.help and entry.cost == 3


def test_help_command_shows_it(connect) -> None:
    alice = connect("alice")
    alice.send("HELP CHATHISTORY")
    alice.expect_exact(f":{S} 704 alice CHATHISTORY :Usage: CHATHISTORY <subcommand> "
                       "[<target>] [<ref>] [<ref>] [<limit>]")
    alice.expect(rf"^:{S} 705 alice CHATHISTORY :Read a room's or a person's history")
