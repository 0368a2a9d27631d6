"""Rooms: JOIN, PART, TOPIC, NAMES, LIST, WHO, MODE — each with its numerics.
(Room modes in depth: test_modes.py.)"""
from __future__ import annotations

from .conftest import SERVER_NAME as S
from .ircclient import wait_until


def test_join_sends_join_topic_and_names(connect) -> None:
    alice = connect("alice")
    alice.send("JOIN #general")
    alice.expect_exact(":alice!~alice@127.0.0.1 JOIN #general",
                       f":{S} 332 alice #general :Welcome")
    assert alice.next_line().startswith(f":{S} 333 alice #general {S} ")
    alice.expect_exact(f":{S} 353 alice = #general :alice",
                       f":{S} 366 alice #general :End of /NAMES list.")
    bob = connect("bob")
    bob.send("JOIN #general")
    bob.expect_exact(":bob!~bob@127.0.0.1 JOIN #general")
    bob.expect_exact(f":{S} 332 bob #general :Welcome")
    bob.expect(f"^:{S} 353 bob = #general :(alice bob|bob alice)$")
    alice.expect_exact(":bob!~bob@127.0.0.1 JOIN #general")


def test_new_room_makes_its_creator_operator_and_has_no_topic(connect) -> None:
    alice = connect("alice")
    alice.send("JOIN #fresh")
    alice.expect_exact(":alice!~alice@127.0.0.1 JOIN #fresh",
                       f":{S} 353 alice = #fresh :@alice",
                       f":{S} 366 alice #fresh :End of /NAMES list.")
    bob = connect("bob")
    bob.join("#fresh")
    bob.send("NAMES #fresh")
    bob.expect(f"^:{S} 353 bob = #fresh :(@alice bob|bob @alice)$")


def test_join_several_rooms_and_errors(connect) -> None:
    alice = connect("alice")
    alice.send("JOIN #a,nohash,#b")
    alice.expect_exact(":alice!~alice@127.0.0.1 JOIN #a")
    alice.expect(f"^:{S} 403 alice nohash :Invalid channel name$")
    alice.expect_exact(":alice!~alice@127.0.0.1 JOIN #b")
    alice.expect(f"^:{S} 366 alice #b ")
    alice.send("JOIN #a")  # already there: nothing at all
    alice.assert_silent()


def test_room_names_are_case_insensitive(connect) -> None:
    alice = connect("alice")
    bob = connect("bob")
    alice.join("#Mixed")
    bob.send("JOIN #mIXED")
    bob.expect_exact(":bob!~bob@127.0.0.1 JOIN #Mixed")


def test_part_is_seen_by_all_members_including_the_leaver(connect, server) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#x")
    bob.join("#x")
    alice.expect_exact(":bob!~bob@127.0.0.1 JOIN #x")
    bob.send("PART #x :see you")
    bob.expect_exact(":bob!~bob@127.0.0.1 PART #x :see you")
    alice.expect_exact(":bob!~bob@127.0.0.1 PART #x :see you")
    alice.send("PART #x")
    alice.expect_exact(":alice!~alice@127.0.0.1 PART #x")
    assert alice.drain() == [] and bob.drain() == []  # bob, gone, is not told
    wait_until(lambda: server.rooms.find("#x") is None)  # empty, not a default room


def test_part_errors(connect) -> None:
    alice = connect("alice")
    alice.send("PART #nowhere")
    alice.expect_exact(f":{S} 403 alice #nowhere :No such channel")
    alice.send("PART #dev")
    alice.expect_exact(f":{S} 442 alice #dev :You're not on that channel")
    alice.send("PART")
    alice.expect_exact(f":{S} 461 alice PART :Not enough parameters")


def test_default_rooms_stay_when_empty(connect, server) -> None:
    alice = connect("alice")
    alice.join("#dev")
    alice.send("PART #dev")
    alice.expect("PART #dev")
    assert server.rooms.find("#dev") is not None


def test_join_zero_parts_every_room(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    for room in ("#a", "#b"):
        alice.join(room)
        bob.join(room)
    assert alice.drain() == [":bob!~bob@127.0.0.1 JOIN #b"]  # join() read past #a's
    alice.send("JOIN 0")
    alice.expect_exact(":alice!~alice@127.0.0.1 PART #a", ":alice!~alice@127.0.0.1 PART #b")
    bob.expect_exact(":alice!~alice@127.0.0.1 PART #a", ":alice!~alice@127.0.0.1 PART #b")
    alice.send("WHOIS alice")
    assert alice.next_line().startswith(f":{S} 311 alice alice ")
    assert alice.next_line().startswith(f":{S} 312 alice alice ")  # no 319: in no room


def test_topic_query_set_and_errors(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#t")
    bob.join("#t")
    assert alice.drain() == [":bob!~bob@127.0.0.1 JOIN #t"]
    alice.send("TOPIC #t")
    alice.expect_exact(f":{S} 331 alice #t :No topic is set")
    bob.send("TOPIC #t :Release on Friday")  # a new room is +t: its operator sets it
    bob.expect_exact(f":{S} 482 bob #t :You're not channel operator")
    alice.send("TOPIC #t :Release on Friday")
    alice.expect_exact(":alice!~alice@127.0.0.1 TOPIC #t :Release on Friday")
    bob.expect_exact(":alice!~alice@127.0.0.1 TOPIC #t :Release on Friday")
    bob.send("TOPIC #t")
    bob.expect_exact(f":{S} 332 bob #t :Release on Friday")
    assert bob.next_line().startswith(f":{S} 333 bob #t alice!~alice@127.0.0.1 ")
    carol = connect("carol")
    carol.send("TOPIC #t :hijack")
    carol.expect_exact(f":{S} 442 carol #t :You're not on that channel")
    carol.send("TOPIC #nope")
    carol.expect_exact(f":{S} 403 carol #nope :No such channel")
    alice.send("MODE #t -t")
    bob.expect_exact(":alice!~alice@127.0.0.1 MODE #t -t")
    bob.send("TOPIC #t :")  # -t: any member may
    alice.expect_exact(":alice!~alice@127.0.0.1 MODE #t -t", ":bob!~bob@127.0.0.1 TOPIC #t :")
    alice.send("TOPIC #t")
    alice.expect_exact(f":{S} 331 alice #t :No topic is set")


def test_names_list_and_who(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#general")
    bob.join("#general")
    bob.send("AWAY :lunch")
    bob.expect(" 306 ")
    alice.send("NAMES #general,#ghost")
    alice.expect(f"^:{S} 353 alice = #general :(alice bob|bob alice)$")
    alice.expect_exact(f":{S} 366 alice #general :End of /NAMES list.",
                       f":{S} 366 alice #ghost :End of /NAMES list.")
    alice.send("LIST")
    alice.expect_exact(f":{S} 321 alice Channel :Users  Name",
                       f":{S} 322 alice #dev 0 :",
                       f":{S} 322 alice #general 2 :Welcome",
                       f":{S} 323 alice :End of /LIST")
    alice.send("LIST #general")
    alice.expect_exact(f":{S} 321 alice Channel :Users  Name",
                       f":{S} 322 alice #general 2 :Welcome",
                       f":{S} 323 alice :End of /LIST")
    alice.send("WHO #general")
    who = sorted([alice.next_line(), alice.next_line()])
    assert who == [f":{S} 352 alice #general ~alice 127.0.0.1 {S} alice H :0 Test User",
                   f":{S} 352 alice #general ~bob 127.0.0.1 {S} bob G :0 Test User"]
    alice.expect_exact(f":{S} 315 alice #general :End of /WHO list.")
    alice.send("WHO bob")
    alice.expect_exact(f":{S} 352 alice * ~bob 127.0.0.1 {S} bob G :0 Test User",
                       f":{S} 315 alice bob :End of /WHO list.")


def test_room_mode_query(connect) -> None:
    alice = connect("alice")
    alice.join("#general")
    alice.send("MODE #general")
    alice.expect_exact(f":{S} 324 alice #general +nt")  # the default rooms' modes
    assert alice.next_line().startswith(f":{S} 329 alice #general ")
    alice.send("MODE #general b")
    alice.expect_exact(f":{S} 368 alice #general :End of channel ban list")
    alice.send("MODE #general +z")
    alice.expect_exact(f":{S} 472 alice z :is unknown mode char to me")
    alice.send("MODE #missing")
    alice.expect_exact(f":{S} 403 alice #missing :No such channel")
    alice.send("MODE bob +i")
    alice.expect_exact(f":{S} 401 alice bob :No such nick/channel")
    connect("bob")
    alice.send("MODE bob +i")
    alice.expect_exact(f":{S} 502 alice :Can't change mode for other users")


def test_operators_give_and_take_operator_status(connect) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.join("#ops")
    bob.join("#ops")
    carol.join("#ops")
    for c in (alice, bob, carol):
        c.drain()
    bob.send("MODE #ops +o carol")
    bob.expect_exact(f":{S} 482 bob #ops :You're not channel operator")
    alice.send("MODE #ops +oo bob carol")
    for c in (alice, bob, carol):
        c.expect_exact(":alice!~alice@127.0.0.1 MODE #ops +oo bob carol")
    bob.send("MODE #ops -o carol")
    for c in (alice, bob, carol):
        c.expect_exact(":bob!~bob@127.0.0.1 MODE #ops -o carol")
    bob.send("MODE #ops -o+o carol alice")  # changes that change nothing are not announced
    bob.assert_silent()
    alice.assert_silent()
    carol.assert_silent()
    alice.send("MODE #ops +o ghost")
    alice.expect_exact(f":{S} 401 alice ghost :No such nick/channel")
    dave = connect("dave")
    alice.send("MODE #ops +o dave")
    alice.expect_exact(f":{S} 441 alice dave #ops :They aren't on that channel")
    dave.send("NAMES #ops")
    dave.expect(f"^:{S} 353 dave = #ops :")
    alice.assert_silent()


def test_kick(connect, server) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.join("#k")
    bob.join("#k")
    for c in (alice, bob):
        c.drain()
    bob.send("KICK #k alice")
    bob.expect_exact(f":{S} 482 bob #k :You're not channel operator")
    carol.send("KICK #k bob")
    carol.expect_exact(f":{S} 442 carol #k :You're not on that channel")
    alice.send("KICK #k carol")
    alice.expect_exact(f":{S} 441 alice carol #k :They aren't on that channel")
    alice.send("KICK #nope bob")
    alice.expect_exact(f":{S} 403 alice #nope :No such channel")
    alice.send("KICK #k bob :be nice")
    for c in (alice, bob):
        c.expect_exact(":alice!~alice@127.0.0.1 KICK #k bob :be nice")
    bob.send("PRIVMSG #k :still here?")
    bob.expect_exact(f":{S} 404 bob #k :Cannot send to channel (+n)")
    assert [u.nick for u in server.rooms.get("#k").members_snapshot] == ["alice"]
