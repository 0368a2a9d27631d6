"""Messages between users: PRIVMSG, NOTICE, AWAY, WHOIS, NICK changes and QUIT."""
from __future__ import annotations

import re
import socket
import struct

from .conftest import SERVER_NAME as S
from .ircclient import wait_until


def trio(connect, room: str = "#general"):
    clients = [connect(nick) for nick in ("alice", "bob", "carol")]
    for client in clients:
        client.join(room)
    for client in clients:
        client.drain()
    return clients


def test_room_message_reaches_every_member_but_the_sender(connect) -> None:
    alice, bob, carol = trio(connect)
    outsider = connect("dave")
    alice.send("PRIVMSG #general :hello, room")
    for peer in (bob, carol):
        peer.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG #general :hello, room")
    for client in (alice, bob, carol, outsider):  # once each, and the sender not at all
        client.assert_silent()


def test_private_message_both_ways_and_slash_form(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.send("PRIVMSG bob :hi bob")
    bob.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG bob :hi bob")
    bob.send("/msg ALICE hello   there")
    alice.expect_exact(":bob!~bob@127.0.0.1 PRIVMSG alice :hello   there")


def test_ctcp_action_passes_through_untouched(connect) -> None:
    alice, bob, _ = trio(connect)
    alice.send("PRIVMSG #general :\x01ACTION waves\x01")
    bob.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG #general :\x01ACTION waves\x01")


def test_several_targets_each_get_it_once(connect) -> None:
    alice, bob, carol = trio(connect)
    alice.send("PRIVMSG bob,#general,bob,ghost :multi")
    bob.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG bob :multi",
                     ":alice!~alice@127.0.0.1 PRIVMSG #general :multi")
    carol.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG #general :multi")
    alice.expect_exact(f":{S} 401 alice ghost :No such nick/channel")
    for client in (alice, bob, carol):
        client.assert_silent()


def test_privmsg_errors(connect) -> None:
    alice = connect("alice")
    alice.send("PRIVMSG")
    alice.expect_exact(f":{S} 411 alice :No recipient given (PRIVMSG)")
    alice.send("PRIVMSG bob")
    alice.expect_exact(f":{S} 412 alice :No text to send")
    alice.send("PRIVMSG nobody :hi")
    alice.expect_exact(f":{S} 401 alice nobody :No such nick/channel")
    alice.send("PRIVMSG #nowhere :hi")
    alice.expect_exact(f":{S} 403 alice #nowhere :No such channel")
    alice.send("PRIVMSG #dev :from outside")
    alice.expect_exact(f":{S} 404 alice #dev :Cannot send to channel (+n)")
    alice.send("PRIVMSG a,b,c,d,e :too many")
    alice.expect_exact(f":{S} 407 alice a,b,c,d,e :Too many targets")


def test_notice_never_draws_an_automatic_reply(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("AWAY :gone")
    bob.expect(" 306 ")
    for line in ("NOTICE", "NOTICE bob", "NOTICE nobody :x", "NOTICE #nowhere :x",
                 "NOTICE #dev :x"):
        alice.send(line)
    alice.send("NOTICE bob :psst")
    bob.expect_exact(":alice!~alice@127.0.0.1 NOTICE bob :psst")
    alice.assert_silent()
    bob.assert_silent()


def test_away_replies(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("AWAY :at lunch")
    bob.expect_exact(f":{S} 306 bob :You have been marked as being away")
    alice.send("PRIVMSG bob :are you there?")
    alice.expect_exact(f":{S} 301 alice bob :at lunch")
    bob.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG bob :are you there?")
    alice.send("WHOIS bob")
    whois = alice.collect(" 318 ")
    assert f":{S} 301 alice bob :at lunch" in whois
    bob.send("AWAY")
    bob.expect_exact(f":{S} 305 bob :You are no longer marked as being away")
    alice.send("PRIVMSG bob :back?")
    alice.assert_silent()  # no 301 any more
    bob.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG bob :back?")


def test_whois(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("JOIN #fresh,#general")
    bob.drain()
    alice.send("WHOIS BOB")
    lines = alice.collect(" 318 ")
    assert lines[0] == f":{S} 311 alice bob ~bob 127.0.0.1 * :Test User"
    assert lines[1] in (f":{S} 319 alice bob :@#fresh #general",
                        f":{S} 319 alice bob :#general @#fresh")
    assert lines[2] == f":{S} 312 alice bob {S} :ircish"
    assert lines[3].startswith(f":{S} 317 alice bob ")
    assert lines[4] == f":{S} 318 alice bob :End of /WHOIS list."
    alice.send("WHOIS nobody")
    alice.expect_exact(f":{S} 401 alice nobody :No such nick/channel",
                       f":{S} 318 alice nobody :End of /WHOIS list.")


def test_nick_change_is_seen_once_by_each_peer(connect, server) -> None:
    alice, bob, carol = trio(connect, "#a")
    for client in (alice, bob):
        client.join("#b")
    loner = connect("loner")
    for client in (alice, bob, carol):
        client.drain()
    alice.send("NICK Alicia")
    for client in (alice, bob, carol):
        client.expect_exact(":alice!~alice@127.0.0.1 NICK Alicia")
        client.assert_silent()
    loner.assert_silent()
    assert server.nicks.get("ALICIA").nick == "Alicia" and server.nicks.get("alice") is None
    bob.send("NICK alicia")
    bob.expect_exact(f":{S} 433 bob alicia :Nickname is already in use")
    alice.send("NICK alice")  # the old nick is free again
    alice.expect_exact(":Alicia!~alice@127.0.0.1 NICK alice")
    alice.send("NICK ALICE")  # a case change is a change
    alice.expect_exact(":alice!~alice@127.0.0.1 NICK ALICE")


def test_quit_is_seen_once_by_each_peer(connect, server) -> None:
    alice, bob, carol = trio(connect, "#a")
    alice.join("#b")
    bob.join("#b")
    for client in (alice, bob, carol):
        client.drain()
    alice.send("QUIT :bye all")
    alice.expect_exact("ERROR :Closing Link: 127.0.0.1 (Quit: bye all)")
    alice.assert_closed()
    for peer in (bob, carol):
        peer.expect_exact(":alice!~alice@127.0.0.1 QUIT :Quit: bye all")
        peer.assert_silent()
    wait_until(lambda: server.nicks.get("alice") is None)
    assert not any(u.nick == "alice" for r in server.rooms.all() for u in r.members_snapshot)


def test_dropped_connection_is_announced_once(connect, server) -> None:
    alice, bob, carol = trio(connect)
    alice.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    alice.sock.close()  # a reset, not a polite close
    for peer in (bob, carol):
        assert re.fullmatch(r":alice!~alice@127\.0\.0\.1 QUIT :(Connection reset by peer|"
                            r"Remote host closed the connection)", peer.next_line())
        peer.assert_silent()
    wait_until(lambda: server.nicks.get("alice") is None and server.registered_count == 2)


def test_help_comes_from_the_registry(connect) -> None:
    alice = connect("alice")
    alice.send("HELP")
    lines = alice.collect(" 706 ")
    assert lines[0] == f":{S} 704 alice * :Commands (HELP <command> for more):"
    assert any(line.startswith(f":{S} 705 alice * :PRIVMSG <target>{{,<target>}} <text> ")
               for line in lines)
    alice.send("HELP msg")
    alice.expect_exact(f":{S} 704 alice PRIVMSG :Usage: PRIVMSG <target>{{,<target>}} <text>")
    alice.expect(f"^:{S} 705 alice PRIVMSG :Send a message")
    alice.expect_exact(f":{S} 705 alice PRIVMSG :Also: MSG", f":{S} 706 alice PRIVMSG :End of /HELP")
    alice.send("HELP frobnicate")
    alice.expect_exact(f":{S} 524 alice frobnicate :No help available on this topic")


def test_lusers_motd_version_ison_userhost(connect) -> None:
    alice, _ = connect("alice"), connect("bob")
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 2 users and 0 invisible on 1 servers")
    alice.send("MOTD")
    alice.expect(f"^:{S} 372 alice :- Welcome to ircish")
    alice.send("VERSION")
    alice.expect(f"^:{S} 351 alice ircish-\\S+ {S} :")
    alice.expect(f"^:{S} 005 alice .*WHOWAS=")
    alice.send("ISON bob nobody Alice")
    alice.expect_exact(f":{S} 303 alice :bob alice")
    alice.send("USERHOST bob")
    alice.expect_exact(f":{S} 302 alice :bob=+~bob@127.0.0.1")


def test_whowas_remembers_departed_and_renamed_nicks(connect, server) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.send("WHOWAS bob")
    alice.expect_exact(f":{S} 406 alice bob :There was no such nickname",
                       f":{S} 369 alice bob :End of WHOWAS")
    bob.send("NICK robert")
    bob.expect("NICK robert")
    bob.send("QUIT")
    bob.assert_closed()
    wait_until(lambda: "robert" not in {u.nick for u in server.nicks.users()})
    alice.send("WHOWAS robert")
    alice.expect_exact(f":{S} 314 alice robert ~bob 127.0.0.1 * :Test User")
    alice.expect(rf"^:{S} 312 alice robert {S} :\d{{4}}-\d\d-\d\d ")
    alice.expect_exact(f":{S} 369 alice robert :End of WHOWAS")
    alice.send("WHOWAS BOB")
    alice.expect_exact(f":{S} 314 alice bob ~bob 127.0.0.1 * :Test User")
    alice.expect(rf"^:{S} 312 alice bob {S} :\d{{4}}-\d\d-\d\d ")
    alice.expect_exact(f":{S} 369 alice BOB :End of WHOWAS")


def test_lusers_counts_invisible_users(connect, server) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("MODE bob +i")
    bob.expect("MODE bob :\\+i")
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 1 users and 1 invisible on 1 servers")
    bob.send("QUIT")
    bob.assert_closed()
    wait_until(lambda: server.registered_count == 1)
    alice.send("LUSERS")
    alice.expect(f"^:{S} 251 alice :There are 1 users and 0 invisible on 1 servers$")


def test_relayed_lines_never_exceed_512_bytes(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    text = "é" * 248  # 496 bytes: "PRIVMSG bob :" and CRLF make the input 511, legal
    alice.send(f"PRIVMSG bob :{text}")
    line = bob.next_line()
    assert len(line.encode()) + 2 <= 512
    assert line.startswith(":alice!~alice@127.0.0.1 PRIVMSG bob :ééé")
    assert set(line.split(" :", 1)[1]) == {"é"}  # cut between characters, not inside one
