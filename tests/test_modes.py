"""Room modes: the parser and ban masks as tables, then each mode and its errors as a
conversation with the real server (exact lines)."""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parser_tests.data import mask_match

from ircish.protocol import mask_matches
from ircish.server.modes import (
    Change,
    change_lines,
    normalize_mask,
    parse_mode_setting,
    parse_room_modes,
    with_prefix,
)

from .conftest import SERVER_NAME as S
from .ircclient import Client

A = ":alice!~alice@127.0.0.1"


# --- tables ----------------------------------------------------------------------------

@pytest.mark.parametrize("given,normalized", [
    ("bob", "bob!*@*"),
    ("~bob@host.example", "*!~bob@host.example"),
    ("bob!~bob", "bob!~bob@*"),
    ("bob!~bob@host", "bob!~bob@host"),
    ("*!*@10.0.0.*", "*!*@10.0.0.*"),
    ("@host", "*!*@host"),
    ("bob!", "bob!*@*"),
    ("!@", "*!*@*"),
    ("*", "*!*@*"),
    ("b*b!*@*", "b*b!*@*"),
    ("nick!user@host@more", "nick!user@host@more"),
])
def test_ban_masks_are_normalized(given: str, normalized: str) -> None:
    assert normalize_mask(given) == normalized


@pytest.mark.parametrize("case", mask_match["tests"], ids=lambda c: c["mask"])
def test_cached_ban_matching_passes_the_mask_match_vectors(case: dict) -> None:
    for text in case["matches"]:
        assert mask_matches(case["mask"], text), text
    for text in case["fails"]:
        assert not mask_matches(case["mask"], text), text


@pytest.mark.parametrize("mask,text,expected", [
    ("BOB!*@*", "bob!~b@h", True),            # ascii casemapping
    ("*b?b*", "xbobx!u@h", True),
    ("a*b*c", "aXbYc", True), ("a*b*c", "aXbYcZ", False),
    ("*a*a", "aaa", True), ("a.b", "aXb", False),  # regex characters are literal
])
def test_wildcards(mask: str, text: str, expected: bool) -> None:
    assert mask_matches(mask, text) is expected


@settings(max_examples=500, deadline=None)
@given(st.text("aB*?", max_size=8), st.text("abB", max_size=10))
def test_matching_agrees_with_the_plain_regex_translation(mask: str, text: str) -> None:
    plain = re.escape(mask.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    assert mask_matches(mask, text) == (re.fullmatch(plain, text.lower(), re.DOTALL) is not None)


def test_many_stars_do_not_backtrack_exponentially() -> None:
    started = time.monotonic()
    assert not mask_matches("*a" * 25 + "*b", "a" * 200)
    assert time.monotonic() - started < 0.5


def changes(modes: str, *args: str) -> list[tuple[str, str]]:
    return [(("+" if c.adding else "-") + c.letter, c.arg)
            for c in parse_room_modes("#r", modes, args).changes]


def test_parsing_takes_arguments_by_mode_type() -> None:
    assert changes("+ov-b", "alice", "bob", "*!*@x") == [
        ("+o", "alice"), ("+v", "bob"), ("-b", "*!*@x")]
    assert changes("+k-k+l-l", "key", "old", "5") == [
        ("+k", "key"), ("-k", "old"), ("+l", "5"), ("-l", "")]
    assert changes("-k") == [("-k", "")]                 # -k needs no key
    assert changes("+kl+o") == []                        # set without argument: ignored
    assert changes("nt-i") == [("+n", ""), ("+t", ""), ("-i", "")]
    assert changes("+b", "bob") == [("+b", "bob!*@*")]
    assert changes("+b", "a b") == [] and changes("+b", ":x") == []
    assert changes("+vvvvvvvt", *"abcdefg") == [("+v", c) for c in "abcdef"] + [("+t", "")]


def test_parsing_reports_unknown_letters_once_and_bad_values() -> None:
    parsed = parse_room_modes("#r", "+zbqz-l+lk", [])
    assert parsed.list_bans
    assert [(pos, e.numeric, e.params) for pos, e in parsed.problems] == [
        (1, "472", ("z",)), (3, "472", ("q",))]
    parsed = parse_room_modes("#r", "+lk", ["0", "a,b"])
    assert [(e.numeric, e.params) for _, e in parsed.problems] == [
        ("696", ("#r", "l", "0")), ("525", ("#r",))]
    assert not parsed.changes


def test_announced_changes_fit_in_lines() -> None:
    applied = [Change(0, True, "o", "alice"), Change(1, True, "v", "bob"),
               Change(2, False, "b", "*!*@x"), Change(3, False, "t")]
    assert change_lines(applied, 400) == [["+ov-bt", "alice", "bob", "*!*@x"]]
    bans = [Change(i, True, "b", "x" * 200) for i in range(3)]
    assert change_lines(bans, 450) == [["+bb", "x" * 200, "x" * 200], ["+b", "x" * 200]]


def test_prefixes_stay_highest_first() -> None:
    assert with_prefix("", "+", True) == "+"
    assert with_prefix("+", "@", True) == "@+"
    assert with_prefix("@+", "@", False) == "+"
    assert with_prefix("@", "@", True) == "@"


@pytest.mark.parametrize("text,expected", [
    ("+nt", ("nt", None, None)), ("tn", ("nt", None, None)), ("", ("", None, None)),
    ("+ntk sesame", ("nt", "sesame", None)), ("+lk 50 sesame", ("", "sesame", 50)),
])
def test_rooms_file_mode_settings(text: str, expected: tuple) -> None:
    assert parse_mode_setting(text) == expected


@pytest.mark.parametrize("text,problem", [
    ("+nx", "unknown mode 'x'"), ("-n", "unknown mode '-'"), ("+k", "+k needs a key"),
    ("+l many", "positive whole number"), ("+k a,b", "bad key"), ("+n extra", "unexpected"),
])
def test_bad_rooms_file_mode_settings(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_mode_setting(text)


# --- conversations -----------------------------------------------------------------------

@pytest.fixture
def room(connect) -> tuple[Client, Client, Client]:
    """#r, made by alice (its operator), with bob and carol."""
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    for client in (alice, bob, carol):
        client.join("#r")
    for client in (alice, bob, carol):
        client.drain()
    return alice, bob, carol


def test_several_changes_are_announced_once_with_only_what_changed(room) -> None:
    alice, bob, carol = room
    alice.send("MODE #r +b *!*@x")
    for c in room:
        c.expect_exact(f"{A} MODE #r +b *!*@x")
    alice.send("MODE #r +ov-b+t-i bob carol *!*@x")  # +t and -i change nothing
    for c in room:
        c.expect_exact(f"{A} MODE #r +ov-b bob carol *!*@x")
    alice.send("MODE #r +t-i-b *!*@x")
    assert alice.drain() == []
    for c in (bob, carol):
        c.assert_silent()
    alice.send("MODE #r")
    alice.expect_exact(f":{S} 324 alice #r +nt")


def test_non_operators_get_482_once_and_unknown_letters_472_each(room) -> None:
    alice, bob, carol = room
    bob.send("MODE #r +imnt-v+o alice bob")
    bob.expect_exact(f":{S} 482 bob #r :You're not channel operator")
    bob.send("MODE #r b")  # seeing the ban list needs no op
    bob.expect_exact(f":{S} 368 bob #r :End of channel ban list")
    alice.send("MODE #r +zmy-z")
    alice.expect_exact(f":{S} 472 alice z :is unknown mode char to me",
                       f":{S} 472 alice y :is unknown mode char to me",
                       f"{A} MODE #r +m")
    alice.send("MODE #r +oo ghost dave")
    alice.expect_exact(f":{S} 401 alice ghost :No such nick/channel",
                       f":{S} 401 alice dave :No such nick/channel")
    alice.assert_silent()  # the refusals and errors told nobody else anything
    assert bob.drain() == carol.drain() == [f"{A} MODE #r +m"]


def test_bans_block_joining_and_speaking_and_list_with_setter_and_time(room) -> None:
    alice, bob, carol = room
    alice.send("MODE #r +bb BOB ~carol@*")
    for c in room:
        c.expect_exact(f"{A} MODE #r +bb BOB!*@* *!~carol@*")
    bob.send("PRIVMSG #r :hello?")
    bob.expect_exact(f":{S} 404 bob #r :Cannot send to channel (+b)")
    bob.send("MODE #r +b")
    now = int(time.time())
    lines = bob.collect(" 368 ")
    assert [line.rsplit(" ", 1)[0] for line in lines[:2]] == [
        f":{S} 367 bob #r BOB!*@* alice!~alice@127.0.0.1",
        f":{S} 367 bob #r *!~carol@* alice!~alice@127.0.0.1"]
    assert all(abs(int(line.rsplit(" ", 1)[1]) - now) <= 2 for line in lines[:2])
    assert lines[2] == f":{S} 368 bob #r :End of channel ban list"
    bob.send("PART #r")
    bob.expect_exact(":bob!~bob@127.0.0.1 PART #r")
    bob.send("JOIN #r")
    bob.expect_exact(f":{S} 474 bob #r :Cannot join channel (+b)")
    assert alice.drain() == [":bob!~bob@127.0.0.1 PART #r"]  # the refused JOIN: nothing
    alice.send("MODE #r -b bob!*@*")  # removed by any spelling of the same mask
    alice.expect_exact(f"{A} MODE #r -b BOB!*@*")
    bob.join("#r")
    assert carol.drain() == [":bob!~bob@127.0.0.1 PART #r", f"{A} MODE #r -b BOB!*@*",
                             ":bob!~bob@127.0.0.1 JOIN #r"]
    carol.send("PRIVMSG #r :still banned")
    carol.expect_exact(f":{S} 404 carol #r :Cannot send to channel (+b)")
    alice.send("MODE #r +v carol")
    alice.expect_exact(":bob!~bob@127.0.0.1 JOIN #r", f"{A} MODE #r +v carol")
    carol.send("PRIVMSG #r :voiced, so heard")
    alice.expect_exact(":carol!~carol@127.0.0.1 PRIVMSG #r :voiced, so heard")


def test_the_ban_list_has_a_limit_and_modes_count_six_parameters(start_server, connect) -> None:
    server = start_server(max_bans=7)
    alice = connect("alice", target=server)
    alice.join("#r")
    alice.send("MODE #r +bbbbbbbb m1 m2 m3 m4 m5 m6 m7 m8")  # MODES=6: the rest ignored
    alice.expect_exact(f"{A} MODE #r +bbbbbb m1!*@* m2!*@* m3!*@* m4!*@* m5!*@* m6!*@*")
    alice.send("MODE #r +bb m7 m8")
    alice.expect_exact(f"{A} MODE #r +b m7!*@*",  # the room's change comes first
                       f":{S} 478 alice #r b :Channel ban list is full")
    alice.send("MODE #r b")
    assert len(alice.collect(" 368 ")) == 8


def test_keys(room, connect) -> None:
    alice, bob, carol = room
    alice.send("MODE #r +k a,b")
    alice.expect_exact(f":{S} 525 alice #r :Key is not well-formed")
    alice.send("MODE #r +k sesame")
    for c in room:
        c.expect_exact(f"{A} MODE #r +k sesame")
    dave = connect("dave")
    dave.send("MODE #r")
    dave.expect_exact(f":{S} 324 dave #r +knt *")  # the key only to members
    dave.expect(" 329 dave #r ")
    bob.send("MODE #r")
    bob.expect_exact(f":{S} 324 bob #r +knt sesame")
    dave.send("JOIN #r")
    dave.expect_exact(f":{S} 475 dave #r :Cannot join channel (+k)")
    dave.send("JOIN #r wrong")
    dave.expect_exact(f":{S} 475 dave #r :Cannot join channel (+k)")
    dave.send("JOIN #other,#r x,sesame")
    dave.expect_exact(":dave!~dave@127.0.0.1 JOIN #other")
    dave.expect(" 366 dave #other ")
    dave.expect_exact(":dave!~dave@127.0.0.1 JOIN #r")
    alice.expect_exact(":dave!~dave@127.0.0.1 JOIN #r")
    alice.send("MODE #r -k")
    alice.expect_exact(f"{A} MODE #r -k *")
    alice.send("MODE #r -k")
    alice.send("MODE #r")
    alice.expect_exact(f":{S} 324 alice #r +nt")


def test_limits(room, connect) -> None:
    alice, bob, carol = room
    for bad in ("many", "0", "-3"):
        alice.send(f"MODE #r +l {bad}")
        alice.expect_exact(f":{S} 696 alice #r l {bad} :Invalid limit: a positive whole number")
    alice.send("MODE #r +l 3")
    for c in room:
        c.expect_exact(f"{A} MODE #r +l 3")
    dave = connect("dave")
    dave.send("JOIN #r")
    dave.expect_exact(f":{S} 471 dave #r :Cannot join channel (+l)")
    alice.send("MODE #r +l 3")  # the same limit: nothing to announce
    alice.send("MODE #r -l 99")
    alice.expect_exact(f"{A} MODE #r -l")
    dave.join("#r")
    alice.send("MODE #r")
    alice.expect(f"^:{S} 324 alice #r \\+nt$")


def test_moderated_rooms_hear_only_voices_and_operators(room) -> None:
    alice, bob, carol = room
    alice.send("MODE #r +mv bob")
    for c in room:
        c.expect_exact(f"{A} MODE #r +mv bob")
    carol.send("PRIVMSG #r :can anyone hear me")
    carol.expect_exact(f":{S} 404 carol #r :Cannot send to channel (+m)")
    bob.send("PRIVMSG #r :voiced")
    carol.expect_exact(":bob!~bob@127.0.0.1 PRIVMSG #r :voiced")
    alice.send("PRIVMSG #r :op")
    carol.expect_exact(f"{A} PRIVMSG #r :op")
    alice.send("MODE #r +v-v alice bob")
    carol.expect_exact(f"{A} MODE #r +v-v alice bob")
    carol.send("CAP REQ multi-prefix")
    carol.expect("ACK")
    assert names(carol) == ["@+alice", "bob", "carol"]
    carol.send("MODE #r -o alice")
    carol.expect_exact(f":{S} 482 carol #r :You're not channel operator")
    alice.send("MODE #r -o alice")
    carol.expect_exact(f"{A} MODE #r -o alice")
    alice.send("PRIVMSG #r :still voiced")
    carol.expect_exact(f"{A} PRIVMSG #r :still voiced")
    assert names(carol) == ["+alice", "bob", "carol"]


def names(client: Client) -> list[str]:
    client.send("NAMES #r")
    found = client.expect(f"^:{S} 353 {client.name} = #r :(.*)$").group(1).split()
    client.expect(" 366 ")
    return sorted(found)


def test_no_outside_messages_and_secret_rooms(room, connect) -> None:
    alice, bob, carol = room
    dave = connect("dave")
    dave.send("PRIVMSG #r :from outside")
    dave.expect_exact(f":{S} 404 dave #r :Cannot send to channel (+n)")
    alice.send("MODE #r -n+s")
    for c in room:
        c.expect_exact(f"{A} MODE #r -n+s")
    dave.send("PRIVMSG #r :from outside")
    for c in room:
        c.expect_exact(":dave!~dave@127.0.0.1 PRIVMSG #r :from outside")
    alice.send("TOPIC #r :hidden")
    for c in room:
        c.expect_exact(f"{A} TOPIC #r :hidden")
    dave.send("TOPIC #r")
    dave.expect_exact(f":{S} 442 dave #r :You're not on that channel")
    bob.send("TOPIC #r")
    bob.expect_exact(f":{S} 332 bob #r :hidden")
    alice.send("MODE #r")
    alice.expect_exact(f":{S} 324 alice #r +st")


def test_user_modes(connect) -> None:
    alice, _ = connect("alice"), connect("bob")
    alice.send("MODE alice")
    alice.expect_exact(f":{S} 221 alice +")
    alice.send("MODE alice +Bo")  # +o only comes from OPER
    alice.expect_exact(f"{A} MODE alice :+B")
    alice.send("MODE alice +iz-B")
    alice.expect_exact(f"{A} MODE alice :+i-B",
                       f":{S} 501 alice :Unknown MODE flag")
    alice.send("MODE alice")
    alice.expect_exact(f":{S} 221 alice +i")
    alice.send("MODE bob")
    alice.expect_exact(f":{S} 502 alice :Can't change mode for other users")
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 1 users and 1 invisible on 1 servers")


def test_kick_several_nicks(room, connect) -> None:
    alice, bob, carol = room
    dave = connect("dave")
    bob.send("KICK #r alice,carol")
    bob.expect_exact(f":{S} 482 bob #r :You're not channel operator")
    dave.send("KICK #r alice,carol")
    dave.expect_exact(f":{S} 442 dave #r :You're not on that channel")
    alice.send("KICK #r bob,dave,ghost,carol")
    for c in (alice, bob):
        c.expect_exact(f"{A} KICK #r bob :alice")
    alice.expect_exact(f":{S} 441 alice dave #r :They aren't on that channel",
                       f":{S} 401 alice ghost :No such nick/channel",
                       f"{A} KICK #r carol :alice")
    carol.expect_exact(f"{A} KICK #r bob :alice", f"{A} KICK #r carol :alice")
    bob.assert_silent()
