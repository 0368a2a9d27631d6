"""Room modes as the community's conformance checks exercise them: MODE, +o/+v, +k,
+l, +b, +m, +n, STATUSMSG and LUSERS. Each test is a conversation with the real
server; where the specifications leave a choice, the test pins the one ircish makes."""
from __future__ import annotations

import re

from .conftest import SERVER_NAME as S
from .conftest import src
from .ircclient import wait_until

# --- MODE ----------------------------------------------------------------------------------

def test_mode_query_gives_324_and_329_and_a_lone_plus_once_all_are_off(room) -> None:
    """Modern RPL_CHANNELMODEIS (324) and RPL_CREATIONTIME (329)."""
    chanop, = room("#chan", "chanop")
    chanop.send("MODE #chan +int")
    chanop.expect_exact(f"{src('chanop')} MODE #chan +i")
    chanop.send("MODE #chan")
    chanop.expect_exact(f":{S} 324 chanop #chan +int")
    assert re.fullmatch(rf":{S} 329 chanop #chan \d+", chanop.next_line())
    chanop.send("MODE #chan -int")
    chanop.send("MODE #chan")
    chanop.expect_exact(f"{src('chanop')} MODE #chan -int", f":{S} 324 chanop #chan +")


def test_operator_mode_errors_and_grant(room, connect) -> None:
    """Modern MODE: 482 unprivileged, 441 not in the room, 401 no such nick, 403 no such
    room, 442 not a member; a grant reaches every member."""
    chanop, unprivd = room("#chan", "chanop", "unprivd")
    room("#otherguy", "otherguy")
    unprivd.send("MODE #chan +o unprivd")
    unprivd.expect_exact(f":{S} 482 unprivd #chan :You're not channel operator")
    for line, reply in [
        ("MODE #chan +o otherguy", "441 chanop otherguy #chan :They aren't on that channel"),
        ("MODE #chan +o nobody", "401 chanop nobody :No such nick/channel"),
        ("MODE #nochan +o chanop", "403 chanop #nochan :No such channel"),
        ("MODE #otherguy +o chanop", "442 chanop #otherguy :You're not on that channel"),
    ]:
        chanop.send(line)
        chanop.expect_exact(f":{S} {reply}")
    chanop.send("MODE #chan +o unprivd")
    for client in (chanop, unprivd):
        client.expect_exact(f"{src('chanop')} MODE #chan +o unprivd")
        assert client.drain() == []


def test_key_mode_needs_the_key_and_refuses_malformed_keys(room, connect) -> None:
    """RFC 2812 §3.2.3 / Modern +k: 475 without the key; 525 for a key with spaces or
    too long; an empty key is no key at all."""
    bar, = room("#chan", "bar")
    for bad in ("passphrase with spaces", "long" * 100):
        bar.send(f"MODE #chan +k :{bad}")
        bar.expect_exact(f":{S} 525 bar #chan :Key is not well-formed")
    bar.send("MODE #chan +k :")
    assert bar.drain() == []
    bar.send("MODE #chan +k beer")
    bar.expect_exact(f"{src('bar')} MODE #chan +k beer")
    qux = connect("qux")
    qux.send("JOIN #chan")
    qux.expect_exact(f":{S} 475 qux #chan :Cannot join channel (+k)")
    qux.send("JOIN #chan beer")
    qux.expect_exact(f"{src('qux')} JOIN #chan")


def test_limit_mode_counts_members_and_refuses_bad_values(room, connect) -> None:
    """Modern +l: 471 at the limit, even after lowering it below the count; 696 for a
    value that is not a positive number; -l lifts it."""
    chanop, user2, user3 = room("#chan", "chanop", "user2", "user3")
    for bad in ("0", "-1", "abc"):
        chanop.send(f"MODE #chan +l :{bad}")
        chanop.expect_exact(
            f":{S} 696 chanop #chan l {bad} :Invalid limit: a positive whole number")
    chanop.send("MODE #chan +l :")
    assert chanop.drain() == []
    chanop.send("MODE #chan +l 1")
    for client in (chanop, user2, user3):
        client.expect_exact(f"{src('chanop')} MODE #chan +l 1")
    user2.send("PRIVMSG #chan :still here")
    user3.expect_exact(f"{src('user2')} PRIVMSG #chan :still here")
    user4 = connect("user4")
    user4.send("JOIN #chan")
    user4.expect_exact(f":{S} 471 user4 #chan :Cannot join channel (+l)")
    chanop.send("MODE #chan -l")
    user2.expect_exact(f"{src('chanop')} MODE #chan -l")
    user4.send("JOIN #chan")
    user4.expect_exact(f"{src('user4')} JOIN #chan")


def test_bans_stop_joining_and_speaking_and_lift_case_insensitively(room, connect) -> None:
    """Modern +b: 474 on JOIN, 404 to a banned member; 367 with setter and time, 368."""
    chanop, = room("#chan", "chanop")
    chanop.send("MODE #chan +b BAR!*@*")
    chanop.expect_exact(f"{src('chanop')} MODE #chan +b BAR!*@*")
    bar = connect("Bar")
    bar.send("JOIN #chan")
    bar.expect_exact(f":{S} 474 Bar #chan :Cannot join channel (+b)")
    chanop.send("MODE #chan +b")
    assert re.fullmatch(rf":{S} 367 chanop #chan BAR!\*@\* chanop!~chanop@127.0.0.1 \d+",
                        chanop.next_line())
    chanop.expect_exact(f":{S} 368 chanop #chan :End of channel ban list")
    chanop.send("MODE #chan -b bar!*@*")
    chanop.expect_exact(f"{src('chanop')} MODE #chan -b BAR!*@*")
    bar.join("#chan")
    chanop.send("MODE #chan +b bar")
    bar.expect_exact(f"{src('chanop')} MODE #chan +b bar!*@*")
    bar.send("PRIVMSG #chan :hello world")
    bar.expect_exact(f":{S} 404 Bar #chan :Cannot send to channel (+b)")
    assert chanop.drain() == [f"{src('Bar')} JOIN #chan", f"{src('chanop')} MODE #chan +b bar!*@*"]
    chanop.send("MODE #chan +b :")  # an empty mask lists the bans; it bans nobody
    assert re.fullmatch(rf":{S} 367 chanop #chan bar!\*@\* \S+ \d+", chanop.next_line())
    chanop.expect_exact(f":{S} 368 chanop #chan :End of channel ban list")


def test_moderated_rooms_silence_members_without_voice(room) -> None:
    """RFC 2811 §4.2.3 / Modern +m: 404 and nothing relayed, until +v."""
    chanop, baz = room("#chan", "chanop", "baz")
    chanop.send("MODE #chan +m")
    baz.expect_exact(f"{src('chanop')} MODE #chan +m")
    baz.send("PRIVMSG #chan :hi from baz")
    baz.expect_exact(f":{S} 404 baz #chan :Cannot send to channel (+m)")
    chanop.send("MODE #chan +v baz")
    baz.expect_exact(f"{src('chanop')} MODE #chan +v baz")
    baz.send("PRIVMSG #chan :hi again from baz")
    chanop.expect_exact(f"{src('chanop')} MODE #chan +m", f"{src('chanop')} MODE #chan +v baz",
                        f"{src('baz')} PRIVMSG #chan :hi again from baz")


def test_no_external_messages_until_minus_n(room, connect) -> None:
    """RFC 1459 §4.2.3.1 / Modern +n: 404 from outside, delivered once -n."""
    chanop, = room("#chan", "chanop")
    baz = connect("baz")
    baz.send("PRIVMSG #chan :hi from baz")
    baz.expect_exact(f":{S} 404 baz #chan :Cannot send to channel (+n)")
    chanop.send("MODE #chan -n")
    chanop.expect_exact(f"{src('chanop')} MODE #chan -n")
    baz.send("PRIVMSG #chan :hi again from baz")
    chanop.expect_exact(f"{src('baz')} PRIVMSG #chan :hi again from baz")


def test_empty_mode_arguments_count_as_none(room) -> None:
    """RFC 2812 §2.3.1: a middle parameter is never empty, so `+o :` names nobody."""
    chanop, = room("#chan", "chanop")
    chanop.send("MODE #chan +o :")
    chanop.send("MODE :")
    chanop.send("TOPIC :")
    chanop.expect_exact(f":{S} 461 chanop MODE :Not enough parameters",
                        f":{S} 461 chanop TOPIC :Not enough parameters")


# --- STATUSMSG and LUSERS ------------------------------------------------------------------

def test_statusmsg_to_operators_reaches_only_operators(room) -> None:
    """Modern STATUSMSG: PRIVMSG @#room goes to its operators, prefix kept, sender not
    refused (a plain member may write to the operators too)."""
    chanop, joe, schmoe = room("#chan", "chanop", "joe", "schmoe")
    schmoe.send("PRIVMSG @#chan :this message is for operators")
    chanop.expect_exact(f"{src('schmoe')} PRIVMSG @#chan :this message is for operators")
    chanop.send("MODE #chan +o schmoe")
    joe.expect_exact(f"{src('chanop')} MODE #chan +o schmoe")
    joe.send("PRIVMSG @#chan :to both")
    for client in (chanop, schmoe):
        client.expect_exact(f"{src('chanop')} MODE #chan +o schmoe",
                            f"{src('joe')} PRIVMSG @#chan :to both")
    assert joe.drain() == []


def test_statusmsg_to_voices_reaches_them_and_operators_never_plain_members(room) -> None:
    """Modern STATUSMSG: +#room goes to voiced members and operators; @#room skips the
    voiced; a plain member gets neither."""
    chanop, voiced, plain, sender = room("#chan", "chanop", "voiced", "plain", "sender")
    chanop.send("MODE #chan +v voiced")
    for client in (chanop, voiced, plain, sender):
        client.expect_exact(f"{src('chanop')} MODE #chan +v voiced")
    sender.send("PRIVMSG @#chan :ops")
    sender.send("PRIVMSG +#chan :voices")
    chanop.expect_exact(f"{src('sender')} PRIVMSG @#chan :ops",
                        f"{src('sender')} PRIVMSG +#chan :voices")
    voiced.expect_exact(f"{src('sender')} PRIVMSG +#chan :voices")
    for client in (chanop, voiced, plain, sender):
        assert client.drain() == [], client.name


def test_lusers_counts_users_unknown_connections_and_the_maximum(server, connect) -> None:
    """Modern LUSERS: 251 and 255 always, 253 for unregistered connections, 265/266
    with current and highest counts."""
    bar = connect("bar")
    qux = connect()
    qux.send("NICK qux")
    wait_until(lambda: server.connection_count == 2)
    bar.send("LUSERS")
    bar.expect_exact(f":{S} 251 bar :There are 1 users and 0 invisible on 1 servers",
                     f":{S} 253 bar 1 :unknown connection(s)",
                     f":{S} 254 bar 2 :channels formed",
                     f":{S} 255 bar :I have 1 clients and 0 servers",
                     f":{S} 265 bar 1 1 :Current local users 1, max 1",
                     f":{S} 266 bar 1 1 :Current global users 1, max 1")
    qux.send("USER qux 0 * :Q")
    qux.expect(" 376 | 422 ")
    qux.send("QUIT")
    wait_until(lambda: server.connection_count == 1)
    bar.send("LUSERS")
    lines = bar.collect(" 266 ")
    assert lines[-2:] == [f":{S} 265 bar 1 2 :Current local users 1, max 2",
                          f":{S} 266 bar 1 2 :Current global users 1, max 2"]
