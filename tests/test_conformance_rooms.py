"""Room operations as the community's conformance checks exercise them: JOIN, PART,
KICK, TOPIC, NAMES, LIST and INVITE. Each test is a conversation with the real server;
where the specifications leave a choice, the test pins the one ircish makes."""
from __future__ import annotations

import re

import pytest

from .conftest import SERVER_NAME as S
from .conftest import src

# --- JOIN ----------------------------------------------------------------------------------

def test_join_is_echoed_first_then_names_with_the_joiner(connect) -> None:
    """RFC 2812 §3.2.1: JOIN confirmed, then RPL_NAMREPLY including the joiner; no 331."""
    foo = connect("foo")
    foo.send("JOIN #chan")
    foo.expect_exact(f"{src('foo')} JOIN #chan",
                     f":{S} 353 foo = #chan :@foo",
                     f":{S} 366 foo #chan :End of /NAMES list.")


def test_joining_a_room_twice_says_nothing(room) -> None:
    """RFC 2812 §3.2.1: replies only for a successful join or one of its errors."""
    foo, = room("#chan", "foo")
    foo.send("JOIN #chan")
    assert foo.drain() == []


def test_room_names_compare_under_ascii_casemapping(connect) -> None:
    """RFC 2812 §1.3 with CASEMAPPING=ascii: #Foo and #foo are one room, #fooa another."""
    foo, bar = connect("foo"), connect("bar")
    foo.join("#Foo")
    assert foo.drain() == []
    bar.send("JOIN #foo")
    bar.expect_exact(f"{src('bar')} JOIN #Foo")
    foo.expect_exact(f"{src('bar')} JOIN #Foo")
    bar.join("#fooa")
    foo.assert_silent()


def test_join_with_an_empty_room_list_is_461(connect) -> None:
    """RFC 2812 §3.2.1: ERR_NEEDMOREPARAMS when no room is named (`JOIN :`)."""
    foo = connect("foo")
    foo.send("JOIN :")
    foo.expect_exact(f":{S} 461 foo JOIN :Not enough parameters")
    foo.send("PART ,")
    foo.expect_exact(f":{S} 461 foo PART :Not enough parameters")


# --- PART ----------------------------------------------------------------------------------

def test_part_outside_a_room_is_442_and_of_an_unknown_room_403(room, connect) -> None:
    """RFC 2812 §3.2.2: ERR_NOTONCHANNEL for a room one is not in, ERR_NOSUCHCHANNEL."""
    room("#chan", "foo")
    bar = connect("bar")
    bar.send("PART #chan")
    bar.expect_exact(f":{S} 442 bar #chan :You're not on that channel")
    bar.send("PART #nowhere")
    bar.expect_exact(f":{S} 403 bar #nowhere :No such channel")
    assert bar.drain() == []


def test_part_reaches_the_leaver_and_the_members_with_its_reason(room) -> None:
    """RFC 2812 §3.2.2: the PART, with its message if given, goes to every member."""
    bar, baz = room("#chan", "bar", "baz")
    bar.send("PART #chan :bye everyone")
    for client in (bar, baz):
        client.expect_exact(f"{src('bar')} PART #chan :bye everyone")
    baz.send("PART #chan")
    baz.expect_exact(f"{src('baz')} PART #chan")


# --- KICK ----------------------------------------------------------------------------------

def test_kick_reaches_every_member_with_the_comment(room) -> None:
    """RFC 2812 §3.2.8 and §3.2.1: every member, the kicked included, sees the KICK."""
    clients = room("#chan", "foo", "bar", "baz")
    clients[0].send("KICK #chan bar :bye")
    for client in clients:
        client.expect_exact(f"{src('foo')} KICK #chan bar :bye")


def test_kick_without_comment_gives_the_kickers_nick(room) -> None:
    """RFC 2812 §3.2.8: the default comment is the nickname of the user issuing KICK."""
    clients = room("#chan", "foo", "bar", "baz")
    clients[0].send("KICK #chan bar")
    for client in clients:
        client.expect_exact(f"{src('foo')} KICK #chan bar :foo")


def test_kick_needs_membership_then_operator_status(room, connect) -> None:
    """RFC 2812 §3.2.8: 442 from outside, 482 for a plain member; an operator may kick
    another operator."""
    foo, bar = room("#chan", "foo", "bar")
    baz = connect("baz")
    baz.send("KICK #chan bar")
    baz.expect_exact(f":{S} 442 baz #chan :You're not on that channel")
    baz.join("#chan")
    assert foo.drain() == bar.drain() == [f"{src('baz')} JOIN #chan"] and baz.drain() == []
    baz.send("KICK #chan bar")
    baz.expect_exact(f":{S} 482 baz #chan :You're not channel operator")
    foo.send("MODE #chan +o baz")
    baz.expect_exact(f"{src('foo')} MODE #chan +o baz")
    baz.send("KICK #chan bar")
    baz.send("KICK #chan foo")
    foo.expect_exact(f"{src('foo')} MODE #chan +o baz", f"{src('baz')} KICK #chan bar :baz",
                     f"{src('baz')} KICK #chan foo :baz")


def test_kick_errors_name_the_room_or_the_nick(room) -> None:
    """RFC 2812 §3.2.8: 403 for an unknown room, 401 for an unknown nick, 441 for a
    user not in the room."""
    foo, = room("#chan", "foo")
    room("#other", "bar")
    foo.send("KICK #nowhere bar")
    foo.expect_exact(f":{S} 403 foo #nowhere :No such channel")
    foo.send("KICK #chan ghost")
    foo.expect_exact(f":{S} 401 foo ghost :No such nick/channel")
    foo.send("KICK #chan bar")
    foo.expect_exact(f":{S} 441 foo bar #chan :They aren't on that channel")


def test_kick_of_several_nicks_sends_one_line_each(room) -> None:
    """RFC 2812 §3.2.8: the server MUST NOT send KICK with several users to clients."""
    clients = room("#chan", "foo", "bar", "baz", "qux")
    clients[0].send("KICK #chan bar,baz :bye")
    clients[3].expect_exact(f"{src('foo')} KICK #chan bar :bye",
                            f"{src('foo')} KICK #chan baz :bye")


def test_kick_pairs_each_room_with_its_nick(room) -> None:
    """RFC 2812 §3.2.8: as many rooms as nicks pair them up; other counts are 461."""
    foo, bar, baz, qux = room("#chan", "foo", "bar", "baz", "qux")
    foo.send("KICK #chan,#CHAN bar,baz :bye")
    qux.expect_exact(f"{src('foo')} KICK #chan bar :bye", f"{src('foo')} KICK #chan baz :bye")
    for client in (foo, qux):
        client.join("#two")
    assert foo.drain() == [f"{src('qux')} JOIN #two"]  # foo.join() read past the KICKs
    assert qux.drain() == []
    foo.send("KICK #chan,#two qux,qux")
    qux.expect_exact(f"{src('foo')} KICK #chan qux :foo", f"{src('foo')} KICK #two qux :foo")
    foo.send("KICK #a,#b,#c x,y")
    foo.expect_exact(f"{src('foo')} KICK #chan qux :foo", f"{src('foo')} KICK #two qux :foo",
                     f":{S} 461 foo KICK :Not enough parameters")


# --- TOPIC ---------------------------------------------------------------------------------

def test_topic_changes_reach_everyone_and_an_empty_one_clears_it(room, connect) -> None:
    """Modern TOPIC: set or cleared, every member (the author too) gets the TOPIC; 331
    only when asked, never on JOIN."""
    bar, baz = room("#test", "bar", "baz")
    baz.send("TOPIC #test")
    baz.expect_exact(f":{S} 331 baz #test :No topic is set")
    bar.send("TOPIC #test :new topic")
    for client in (bar, baz):
        client.expect_exact(f"{src('bar')} TOPIC #test :new topic")
    qux = connect("qux")
    qux.send("JOIN #test")
    qux.expect_exact(f"{src('qux')} JOIN #test", f":{S} 332 qux #test :new topic")
    assert re.fullmatch(rf":{S} 333 qux #test {src('bar')[1:]} \d+", qux.next_line())
    bar.send("TOPIC #test :")
    for client in (bar, baz):
        client.expect(rf"^{re.escape(src('bar'))} TOPIC #test :$")
    quux = connect("quux")
    quux.send("JOIN #test")
    quux.expect_exact(f"{src('quux')} JOIN #test", f":{S} 353 quux = #test :@bar baz qux quux")


def test_protected_topic_needs_an_operator_not_a_voice(room) -> None:
    """RFC 2811 §4.2.8 / Modern +t: members without operator status get 482, voiced or not."""
    bar, qux = room("#chan", "bar", "qux")
    qux.send("TOPIC #chan :mine")
    qux.expect_exact(f":{S} 482 qux #chan :You're not channel operator")
    bar.send("MODE #chan +v qux")
    qux.expect_exact(f"{src('bar')} MODE #chan +v qux")
    qux.send("TOPIC #chan :mine")
    qux.expect_exact(f":{S} 482 qux #chan :You're not channel operator")
    assert bar.drain() == [f"{src('bar')} MODE #chan +v qux"]
    bar.send("MODE #chan -t")
    qux.expect_exact(f"{src('bar')} MODE #chan -t")
    qux.send("TOPIC #chan :T0P1C")
    bar.expect_exact(f"{src('bar')} MODE #chan -t", f"{src('qux')} TOPIC #chan :T0P1C")


def test_topic_of_an_unknown_room_is_403(connect) -> None:
    """Modern TOPIC: ERR_NOSUCHCHANNEL for a room that does not exist."""
    foo = connect("foo")
    foo.send("TOPIC #chan")
    foo.expect_exact(f":{S} 403 foo #chan :No such channel")


# --- NAMES ---------------------------------------------------------------------------------

def test_names_lists_members_with_their_prefix(room) -> None:
    """RFC 2812 §3.2.5 and §5 (353 uses = for a public room, @ for a secret one)."""
    nick1, nick2 = room("#chan", "nick1", "nick2")
    nick1.send("NAMES #chan")
    nick1.expect_exact(f":{S} 353 nick1 = #chan :@nick1 nick2",
                       f":{S} 366 nick1 #chan :End of /NAMES list.")
    nick1.send("MODE #chan +s")
    nick1.send("NAMES #chan")
    nick1.expect_exact(f"{src('nick1')} MODE #chan +s",
                       f":{S} 353 nick1 @ #chan :@nick1 nick2",
                       f":{S} 366 nick1 #chan :End of /NAMES list.")


def test_names_of_an_unknown_invalid_or_secret_room_is_only_366(room, connect) -> None:
    """Modern NAMES: one RPL_ENDOFNAMES naming the room; without a room, only `366 *`."""
    owner, = room("#hidden", "owner")
    owner.send("MODE #hidden +s")
    foo = connect("foo")
    for name in ("invalid", "#nonexisting", "#hidden"):
        foo.send(f"NAMES {name}")
        foo.expect_exact(f":{S} 366 foo {name} :End of /NAMES list.")
    foo.send("NAMES")
    foo.expect_exact(f":{S} 366 foo * :End of /NAMES list.")


def test_a_secret_rooms_names_carry_the_at_symbol_for_a_joiner(room, connect) -> None:
    """Modern RPL_NAMREPLY: the symbol of a secret room is @, on JOIN as well."""
    nick1, = room("#chan", "nick1")
    nick1.send("MODE #chan +s")
    nick1.expect_exact(f"{src('nick1')} MODE #chan +s")
    nick2 = connect("nick2")
    nick2.send("JOIN #chan")
    nick2.expect_exact(f"{src('nick2')} JOIN #chan", f":{S} 353 nick2 @ #chan :@nick1 nick2")


def test_multi_prefix_shows_every_prefix_highest_first(connect) -> None:
    """IRCv3 multi-prefix: all prefixes, by rank, in NAMES and WHO."""
    foo = connect("foo")
    foo.send("CAP REQ multi-prefix")
    foo.expect_exact(f":{S} CAP foo ACK :multi-prefix")
    foo.join("#chan")
    foo.send("MODE #chan +v foo")
    foo.send("NAMES #chan")
    foo.expect_exact(f"{src('foo')} MODE #chan +v foo", f":{S} 353 foo = #chan :@+foo")
    foo.send("WHO #chan")
    foo.expect_exact(f":{S} 366 foo #chan :End of /NAMES list.",
                     f":{S} 352 foo #chan ~foo 127.0.0.1 {S} foo H@+ :0 Test User")


# --- LIST ----------------------------------------------------------------------------------

def test_list_of_no_rooms_then_of_one(bare) -> None:
    """RFC 2812 §3.2.6: 321, one 322 per room, 323."""
    foo, bar = bare("foo"), bare("bar")
    bar.send("LIST")
    bar.expect_exact(f":{S} 321 bar Channel :Users  Name", f":{S} 323 bar :End of /LIST")
    foo.join("#chan")
    bar.send("LIST")
    bar.expect_exact(f":{S} 321 bar Channel :Users  Name", f":{S} 322 bar #chan 1 :",
                     f":{S} 323 bar :End of /LIST")


@pytest.mark.parametrize("query,listed", [
    ("*an1", ["#chan1"]), ("#c*n2", ["#chan2"]), ("*an3", []), ("#ch*", ["#chan1", "#chan2"]),
    ("!*an1", ["#chan2"]), ("!#ch*", []), (">0", ["#chan1", "#chan2"]), (">1", ["#chan2"]),
    ("<1", []), ("<2", ["#chan1"]), ("<100", ["#chan1", "#chan2"]),
])
def test_list_filters_by_mask_and_member_count(bare, query: str, listed: list[str]) -> None:
    """Modern ELIST=MNU: masks, !masks and <N/>N member counts."""
    foo, bar, baz = bare("foo"), bare("bar"), bare("baz")
    foo.join("#chan1")
    foo.join("#chan2")
    bar.join("#chan2")
    baz.send(f"LIST {query}")
    lines = baz.collect(" 323 ")
    assert [line.split()[3] for line in lines if " 322 " in line] == listed


def test_secret_rooms_are_listed_only_to_their_members(bare) -> None:
    """RFC 1459 §4.2.6: secret rooms are not listed unless the asker is a member."""
    first, second = bare("first"), bare("second")
    first.join("#gen")
    first.send("MODE #gen +s")
    first.send("LIST")
    first.expect_exact(f"{src('first')} MODE #gen +s", f":{S} 321 first Channel :Users  Name",
                       f":{S} 322 first #gen 1 :", f":{S} 323 first :End of /LIST")
    second.send("LIST")
    second.expect_exact(f":{S} 321 second Channel :Users  Name", f":{S} 323 second :End of /LIST")
    second.join("#gen")
    second.send("LIST")
    second.expect_exact(f":{S} 321 second Channel :Users  Name", f":{S} 322 second #gen 2 :")


# --- INVITE --------------------------------------------------------------------------------

def test_invite_lets_the_invited_into_an_invite_only_room(room, connect) -> None:
    """Modern INVITE: 401 for an unknown nick, 341 <nick> <room> to the inviter, INVITE to
    the invited, whose JOIN then passes +i."""
    foo, = room("#chan", "foo")
    foo.send("MODE #chan +i")
    foo.send("INVITE bar #chan")
    foo.expect_exact(f"{src('foo')} MODE #chan +i", f":{S} 401 foo bar :No such nick/channel")
    bar = connect("bar")
    bar.send("JOIN #chan")
    bar.expect_exact(f":{S} 473 bar #chan :Cannot join channel (+i)")
    foo.send("INVITE bar #chan")
    foo.expect_exact(f":{S} 341 foo bar #chan")
    bar.expect_exact(f"{src('foo')} INVITE bar #chan")
    bar.send("JOIN #chan")
    bar.expect_exact(f"{src('bar')} JOIN #chan")


def test_any_member_invites_to_an_open_room_only_operators_to_a_closed_one(room, connect) -> None:
    """RFC 2812 §3.2.7: with +i only operators may invite (482); others need not be."""
    foo, = room("#chan", "foo")
    bar = connect("bar")
    foo.send("MODE #chan -o foo")
    foo.send("INVITE bar #chan")
    foo.expect_exact(f"{src('foo')} MODE #chan -o foo", f":{S} 341 foo bar #chan")
    bar.expect_exact(f"{src('foo')} INVITE bar #chan")
    foo.send("MODE #chan +i")  # without operator status: refused
    foo.expect_exact(f":{S} 482 foo #chan :You're not channel operator")


def test_invite_from_outside_or_of_a_member_is_refused_quietly(room, connect) -> None:
    """Modern INVITE: 442 from a non-member, 443 for someone already in; other members
    are not told."""
    foo, baz = room("#chan", "foo", "baz")
    bar, qux = connect("bar"), connect("qux")
    qux.send("INVITE bar #chan")
    qux.expect_exact(f":{S} 442 qux #chan :You're not on that channel")
    foo.send("INVITE baz #chan")
    foo.expect_exact(f":{S} 443 foo baz #chan :is already on channel")
    foo.send("INVITE bar #chan")
    foo.expect_exact(f":{S} 341 foo bar #chan")
    bar.expect_exact(f"{src('foo')} INVITE bar #chan")
    assert bar.drain() == [] and baz.drain() == []


def test_invite_without_parameters_lists_ones_invitations(room, connect) -> None:
    """Modern INVITE: with no parameter, RPL_INVITELIST (336) per room, then 337."""
    foo, = room("#chan", "foo")
    bar = connect("bar")
    foo.send("INVITE bar #chan")
    bar.expect(" INVITE bar #chan")
    bar.send("INVITE")
    bar.expect_exact(f":{S} 336 bar #chan", f":{S} 337 bar :End of /INVITE list")


def test_an_invitation_passes_a_full_room_but_not_a_key(room, connect) -> None:
    """RFC 2812 §3.2.7 INVITE passing +l, as charybdis/InspIRCd do (Modern +l is silent on
    it); +k still needs the key."""
    chanop, = room("#chan", "chanop")
    chanop.send("MODE #chan +l 1")
    user2 = connect("user2")
    user2.send("JOIN #chan")
    user2.expect_exact(f":{S} 471 user2 #chan :Cannot join channel (+l)")
    chanop.send("INVITE user2 #chan")
    user2.expect_exact(f"{src('chanop')} INVITE user2 #chan")
    user2.send("JOIN #chan")
    user2.expect_exact(f"{src('user2')} JOIN #chan")
    chanop.send("MODE #chan -l+k sesame")
    user3 = connect("user3")
    chanop.send("INVITE user3 #chan")
    user3.expect_exact(f"{src('chanop')} INVITE user3 #chan")
    user3.send("JOIN #chan")
    user3.expect_exact(f":{S} 475 user3 #chan :Cannot join channel (+k)")
