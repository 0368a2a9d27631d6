"""Queries: WHO (classic and WHOX), WHOIS, LIST (+s, ELIST), NAMES, WHOWAS, ISON,
USERHOST, LUSERS, TIME, INFO, ADMIN, against the real server. Operators come from
OPER, secret rooms and voices from MODE, as a client would do it."""
from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from ircish.server.opers import OperSpec, make_hash
from ircish.server.replies import VERSION
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until

H = "127.0.0.1"
OPER_HASH = make_hash("wheel")


@pytest.fixture
def server(start_server) -> Server:
    return start_server(opers=[OperSpec("root", OPER_HASH)])


# --- setting the scene ---------------------------------------------------------------

def settle(*clients: Client) -> None:
    for client in clients:
        client.drain()


def room_mode(op: Client, name: str, change: str, *members: Client) -> None:
    """A room mode change by the room's operator, seen by every member."""
    settle(op, *members)
    op.send(f"MODE {name} {change}")
    for client in (op, *members):
        client.expect_exact(f":{op.name}!~{op.name}@{H} MODE {name} {change}")


def make_oper(client: Client) -> None:
    client.drain()
    client.send("OPER root wheel")
    client.expect_exact(f":{S} 381 {client.name} :You are now an IRC operator",
                        f":{client.name}!~{client.name}@{H} MODE {client.name} :+o")


def set_mode(client: Client, modes: str) -> None:
    client.drain()
    client.send(f"MODE {client.name} {modes}")
    client.expect_exact(f":{client.name}!~{client.name}@{H} MODE {client.name} :{modes}")


@pytest.fixture
def room_r(connect):
    """#r: alice (@), bob (away), carol (bot), dave (server operator)."""
    alice, bob, carol, dave = (connect(n) for n in ("alice", "bob", "carol", "dave"))
    for client in (alice, bob, carol, dave):
        client.join("#r")
    bob.send("AWAY :brb")
    bob.expect(" 306 ")
    set_mode(carol, "+B")
    make_oper(dave)
    settle(alice, bob, carol, dave)
    return alice, bob, carol, dave


# --- WHO -----------------------------------------------------------------------------

def test_who_room_flags_away_oper_bot_and_prefixes(room_r) -> None:
    alice, bob, carol, dave = room_r
    bob.send("WHO #r")
    bob.expect_exact(f":{S} 352 bob #r ~alice {H} {S} alice H@ :0 Test User",
                     f":{S} 352 bob #r ~bob {H} {S} bob G :0 Test User",
                     f":{S} 352 bob #r ~carol {H} {S} carol HB :0 Test User",
                     f":{S} 352 bob #r ~dave {H} {S} dave H* :0 Test User",
                     f":{S} 315 bob #r :End of /WHO list.")
    room_mode(alice, "#r", "+v alice", bob, carol, dave)
    bob.send("WHO #r")
    assert bob.collect(" 315 ")[0] == f":{S} 352 bob #r ~alice {H} {S} alice H@ :0 Test User"
    bob.send("CAP REQ :multi-prefix")
    bob.expect_exact(f":{S} CAP bob ACK :multi-prefix")
    bob.send("WHO #r")
    assert bob.collect(" 315 ")[0] == f":{S} 352 bob #r ~alice {H} {S} alice H@+ :0 Test User"
    bob.send("WHO dave")  # a nick query names no room, so shows no prefix
    bob.expect_exact(f":{S} 352 bob * ~dave {H} {S} dave H* :0 Test User",
                     f":{S} 315 bob dave :End of /WHO list.")


def test_whox_fields_in_fixed_order_with_and_without_token(room_r) -> None:
    alice, bob, carol, dave = room_r
    alice.send("WHO #r %rolaldfnshiuct,42")  # every field, asked in reverse order
    idle = re.compile(r"^((?:\S+ ){12})\d+ ")  # the 13th word: seconds idle, any
    lines = [idle.sub(r"\1IDLE ", line) for line in alice.collect(" 315 ")]
    assert lines == [
        f":{S} 354 alice 42 #r ~{nick} {H} {H} {S} {nick} {flags} 0 IDLE 0 {level} :Test User"
        for nick, flags, level in (("alice", "H@", "999"), ("bob", "G", "n/a"),
                                   ("carol", "HB", "n/a"), ("dave", "H*", "n/a"))
    ] + [f":{S} 315 alice #r :End of /WHO list."]
    alice.send("WHO #r %afnt,7")  # the WHOX spec's own example
    alice.expect_exact(f":{S} 354 alice 7 alice H@ 0", f":{S} 354 alice 7 bob G 0",
                       f":{S} 354 alice 7 carol HB 0", f":{S} 354 alice 7 dave H* 0",
                       f":{S} 315 alice #r :End of /WHO list.")
    alice.send("WHO bob %cuhnar")
    alice.expect_exact(f":{S} 354 alice * ~bob {H} bob 0 :Test User",
                       f":{S} 315 alice bob :End of /WHO list.")
    alice.send("WHO bob %tn")  # t without a token: the default, 0
    alice.expect_exact(f":{S} 354 alice 0 bob", f":{S} 315 alice bob :End of /WHO list.")
    alice.send("WHO bob %tn,1234")  # more than three digits is no token
    alice.expect_exact(f":{S} 354 alice 0 bob", f":{S} 315 alice bob :End of /WHO list.")
    alice.send("WHO bob %nzq")  # unknown fields are ignored
    alice.expect_exact(f":{S} 354 alice bob", f":{S} 315 alice bob :End of /WHO list.")
    alice.send("WHO ghost %n")
    alice.expect_exact(f":{S} 315 alice ghost :End of /WHO list.")


def test_who_operator_filter(room_r) -> None:
    alice = room_r[0]
    alice.send("WHO * o")
    alice.expect_exact(f":{S} 352 alice * ~dave {H} {S} dave H* :0 Test User",
                       f":{S} 315 alice * :End of /WHO list.")
    alice.send("WHO #r o%n")
    alice.expect_exact(f":{S} 354 alice dave", f":{S} 315 alice #r :End of /WHO list.")


def test_who_mask_hides_invisible_users_who_share_no_room(connect) -> None:
    alice, eve, gus = connect("alice"), connect("eve"), connect("gus")
    set_mode(eve, "+i")
    alice.send("WHO e*")
    alice.expect_exact(f":{S} 315 alice e* :End of /WHO list.")
    alice.send("WHO EVE")  # her exact nick names her already: nothing to hide
    alice.expect_exact(f":{S} 352 alice * ~eve {H} {S} eve H :0 Test User",
                       f":{S} 315 alice EVE :End of /WHO list.")
    alice.send("WHO nobody")
    alice.expect_exact(f":{S} 315 alice nobody :End of /WHO list.")
    alice.send("WHO *")
    alice.expect_exact(f":{S} 352 alice * ~alice {H} {S} alice H :0 Test User",
                       f":{S} 352 alice * ~gus {H} {S} gus H :0 Test User",
                       f":{S} 315 alice * :End of /WHO list.")
    eve.send("WHO E*")  # invisible users see themselves
    eve.expect_exact(f":{S} 352 eve * ~eve {H} {S} eve H :0 Test User",
                     f":{S} 315 eve E* :End of /WHO list.")
    alice.send("WHO *!~gus@*")
    alice.expect_exact(f":{S} 352 alice * ~gus {H} {S} gus H :0 Test User",
                       f":{S} 315 alice *!~gus@* :End of /WHO list.")
    alice.join("#general")
    eve.join("#general")
    settle(alice, eve)
    alice.send("WHO e?e")  # now they share a room
    alice.expect_exact(f":{S} 352 alice * ~eve {H} {S} eve H :0 Test User",
                       f":{S} 315 alice e?e :End of /WHO list.")
    gus.send("WHO #general")  # an outsider sees a room's visible members only
    gus.expect_exact(f":{S} 352 gus #general ~alice {H} {S} alice H :0 Test User",
                     f":{S} 315 gus #general :End of /WHO list.")


def test_who_secret_room_answers_only_its_members(connect) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.join("#hush")
    bob.join("#hush")
    room_mode(alice, "#hush", "+s", bob)
    carol.send("WHO #hush")
    carol.expect_exact(f":{S} 315 carol #hush :End of /WHO list.")
    carol.send("WHO #hush %n")
    carol.expect_exact(f":{S} 315 carol #hush :End of /WHO list.")
    bob.send("WHO #hush %n")
    bob.expect_exact(f":{S} 354 bob alice", f":{S} 354 bob bob",
                     f":{S} 315 bob #hush :End of /WHO list.")


# --- WHOIS ---------------------------------------------------------------------------

def test_whois_operator_bot_away_and_secret_rooms(room_r) -> None:
    alice, bob, carol, dave = room_r
    alice.join("#hush")
    dave.join("#hush")
    room_mode(alice, "#hush", "+s", dave)
    carol.send("WHOIS dave")
    lines = carol.collect(" 318 ")
    assert lines[:4] == [f":{S} 311 carol dave ~dave {H} * :Test User",
                         f":{S} 319 carol dave :#r",  # not #hush: carol is not in it
                         f":{S} 312 carol dave {S} :ircish",
                         f":{S} 313 carol dave :is an IRC operator"]
    assert re.match(rf"^:{S} 317 carol dave \d+ \d+ :seconds idle, signon time$", lines[4])
    assert lines[5:] == [f":{S} 318 carol dave :End of /WHOIS list."]
    alice.send("WHOIS dave")
    assert alice.collect(" 318 ")[1] == f":{S} 319 alice dave :#r #hush"
    dave.send("AWAY :gone fishing")
    dave.expect(" 306 ")
    set_mode(dave, "+B")
    carol.send("WHOIS DAVE")  # no 330: no accounts; no 671: a plain connection
    lines = carol.collect(" 318 ")
    assert [line.split(" ")[1] for line in lines] == [
        "311", "319", "312", "313", "335", "301", "317", "318"]
    assert lines[4] == f":{S} 335 carol dave :is a Bot on ircish"
    assert lines[5] == f":{S} 301 carol dave :gone fishing"


def test_whois_channels_show_every_prefix_with_multi_prefix(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#pub")
    room_mode(alice, "#pub", "+v alice")
    bob.send("WHOIS alice")
    assert bob.collect(" 318 ")[1] == f":{S} 319 bob alice :@#pub"
    bob.send("CAP REQ :multi-prefix")
    bob.expect(" ACK ")
    bob.send("WHOIS alice")
    assert bob.collect(" 318 ")[1] == f":{S} 319 bob alice :@+#pub"


def test_whois_channels_split_over_lines(start_server, connect) -> None:
    server = start_server(max_rooms_per_user=40, flood_control=False)
    alice, bob = connect("alice", target=server), connect("bob", target=server)
    names = [f"#room-with-a-long-name-{i:02d}" for i in range(30)]
    for name in names:
        alice.join(name)
    bob.send("WHOIS alice")
    lines = [line for line in bob.collect(" 318 ") if " 319 " in line]
    assert len(lines) == 2  # 18 rooms fit in the first
    assert all(len(line) + 2 <= 512 for line in lines)
    shown = " ".join(line.split(" :", 1)[1] for line in lines).split(" ")
    assert shown == ["@" + name for name in names]


@pytest.fixture
def tls_server(start_server, tmp_path: Path) -> tuple[Server, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(key))
    with chain.open("wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    return start_server(tls_cert=chain, tls_key=key, tls_port=0), trusting


def test_whois_says_who_is_on_tls(tls_server) -> None:
    server, trusting = tls_server
    secure = Client(server.tls_address, "secure", tls=trusting)
    plain = Client(server.address, "plain")
    try:
        secure.register("secure")
        plain.register("plain")
        plain.send("WHOIS secure")
        lines = plain.collect(" 318 ")
        assert lines[2] == f":{S} 671 plain secure :is using a secure connection"
        secure.send("WHOIS plain")
        assert not any(" 671 " in line for line in secure.collect(" 318 "))
    finally:
        secure.close()
        plain.close()


# --- LIST and NAMES ------------------------------------------------------------------

@pytest.fixture
def rooms(connect):
    """#design (1), #dev (0), #dev-ops (2), #general (0, topic), secret #sec (alice)."""
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.join("#dev-ops")
    bob.join("#dev-ops")
    alice.join("#design")
    alice.join("#sec")
    room_mode(alice, "#sec", "+s")
    settle(alice, bob)
    return alice, bob, carol


def listing(client: Client, *rows: str) -> None:
    me = client.name
    client.expect_exact(f":{S} 321 {me} Channel :Users  Name",
                        *(f":{S} 322 {me} {row}" for row in rows),
                        f":{S} 323 {me} :End of /LIST")


def test_list_hides_secret_rooms_from_outsiders(rooms) -> None:
    alice, bob, carol = rooms
    carol.send("LIST")
    listing(carol, "#design 1 :", "#dev 0 :", "#dev-ops 2 :", "#general 0 :Welcome")
    carol.send("LIST #sec,#general")
    listing(carol, "#general 0 :Welcome")
    alice.send("LIST")
    listing(alice, "#design 1 :", "#dev 0 :", "#dev-ops 2 :", "#general 0 :Welcome",
            "#sec 1 :")


@pytest.mark.parametrize("conditions, rows", [
    (">1", ["#dev-ops 2 :"]),
    ("<1", ["#dev 0 :", "#general 0 :Welcome"]),
    ("#dev*", ["#dev 0 :", "#dev-ops 2 :"]),
    ("#DE?", ["#dev 0 :"]),
    ("!#dev*", ["#design 1 :", "#general 0 :Welcome"]),
    ("#d*,>0,<2", ["#design 1 :"]),
    ("#d*,!#dev", ["#design 1 :", "#dev-ops 2 :"]),
    (">5", []),
    ("#se*", []),
    ("#general,#dev-ops,>1", ["#dev-ops 2 :"]),
])
def test_list_filters(rooms, conditions: str, rows: list[str]) -> None:
    carol = rooms[2]
    carol.send(f"LIST {conditions}")
    listing(carol, *rows)


def test_names_of_a_secret_room(rooms) -> None:
    alice, bob, carol = rooms
    carol.send("NAMES #sec")
    carol.expect_exact(f":{S} 366 carol #sec :End of /NAMES list.")
    alice.send("NAMES #sec")
    alice.expect_exact(f":{S} 353 alice @ #sec :@alice",
                       f":{S} 366 alice #sec :End of /NAMES list.")
    make_oper(carol)  # server operators see every room
    carol.send("NAMES #sec")
    carol.expect_exact(f":{S} 353 carol @ #sec :@alice",
                       f":{S} 366 carol #sec :End of /NAMES list.")


# --- WHOWAS, ISON, USERHOST, LUSERS --------------------------------------------------

def test_whowas_after_a_nick_change_and_a_quit(server, connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    bob.send("NICK robert")
    bob.expect_exact(f":bob!~bob@{H} NICK robert")
    bob.send("QUIT :bye")
    bob.expect("^ERROR ")
    wait_until(lambda: server.nicks.get("robert") is None
               and bool(server.whowas.lookup("robert", 1)))
    for nick in ("bob", "robert"):
        alice.send(f"WHOWAS {nick}")
        alice.expect_exact(f":{S} 314 alice {nick} ~bob {H} * :Test User")
        assert re.match(rf"^:{S} 312 alice {nick} {S} :\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC$",
                        alice.next_line())
        alice.expect_exact(f":{S} 369 alice {nick} :End of WHOWAS")
    alice.send("WHOWAS nobody")
    alice.expect_exact(f":{S} 406 alice nobody :There was no such nickname",
                       f":{S} 369 alice nobody :End of WHOWAS")


def test_ison_and_userhost(connect) -> None:
    alice, bob, dave = connect("alice"), connect("bob"), connect("dave")
    bob.send("AWAY :out")
    bob.expect(" 306 ")
    make_oper(dave)
    alice.send("ISON bob ghost DAVE")
    alice.expect_exact(f":{S} 303 alice :bob dave")
    alice.send("ISON :ghost spook")
    alice.expect_exact(f":{S} 303 alice :")
    alice.send("USERHOST bob DAVE ghost alice")
    alice.expect_exact(f":{S} 302 alice :bob=-~bob@{H} dave*=+~dave@{H} alice=+~alice@{H}")


def test_a_long_ison_answer_goes_over_two_lines_not_cut(connect) -> None:
    nicks = [f"n{i:02d}{'x' * 27}" for i in range(16)]  # 30 characters each
    for nick in nicks:
        connect(nick)
    alice = connect("alice")
    alice.send("ISON " + " ".join(nicks))  # 500 bytes: the answer, with its head, is more
    alice.expect_exact(f":{S} 303 alice :" + " ".join(nicks[:15]), f":{S} 303 alice :{nicks[15]}")
    assert alice.drain() == []


def test_lusers_counts(server, connect) -> None:
    alice, bob, dave = connect("alice"), connect("bob"), connect("dave")
    set_mode(bob, "+i")
    make_oper(dave)
    stranger = connect()  # connected, not registered
    wait_until(lambda: server.connection_count == 4)
    alice.join("#new")
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 2 users and 1 invisible on 1 servers",
                       f":{S} 252 alice 1 :operator(s) online",
                       f":{S} 253 alice 1 :unknown connection(s)",
                       f":{S} 254 alice 3 :channels formed",
                       f":{S} 255 alice :I have 3 clients and 0 servers",
                       f":{S} 265 alice 3 3 :Current local users 3, max 3",
                       f":{S} 266 alice 3 3 :Current global users 3, max 3")
    for client in (bob, dave, stranger):
        client.send("QUIT")
    wait_until(lambda: server.connection_count == 1)
    alice.send("LUSERS")
    alice.expect_exact(f":{S} 251 alice :There are 1 users and 0 invisible on 1 servers",
                       f":{S} 254 alice 3 :channels formed",
                       f":{S} 255 alice :I have 1 clients and 0 servers",
                       f":{S} 265 alice 1 3 :Current local users 1, max 3",
                       f":{S} 266 alice 1 3 :Current global users 1, max 3")


# --- TIME, INFO, ADMIN ---------------------------------------------------------------

def test_time(connect) -> None:
    alice = connect("alice")
    alice.send("TIME")
    match = alice.expect(rf"^:{S} 391 alice {S} :(.+)$")
    shown = datetime.strptime(match.group(1), "%A %B %d %Y -- %H:%M:%S %z")
    assert abs((datetime.now(UTC) - shown).total_seconds()) < 5


def test_info(server, connect) -> None:
    alice = connect("alice")
    alice.send("INFO")
    lines = alice.collect(" 374 ")
    assert lines[0] == f":{S} 371 alice :{VERSION}: a multi-room IRC server in Python"
    assert lines[-2] == f":{S} 371 alice :Up since {server.created_text}"
    assert lines[-1] == f":{S} 374 alice :End of /INFO list."
    assert all(" 371 alice :" in line for line in lines[:-1])


def test_admin(start_server, connect) -> None:
    server = start_server(admin_location="Basement, Room 3", admin_email="ops@example.org",
                          network="TestNet")
    alice = connect("alice", target=server)
    alice.send("ADMIN")
    alice.expect_exact(f":{S} 256 alice {S} :Administrative info",
                       f":{S} 257 alice :Basement, Room 3",
                       f":{S} 258 alice :TestNet network",
                       f":{S} 259 alice :ops@example.org")
