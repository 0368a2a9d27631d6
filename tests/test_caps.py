"""IRCv3 capabilities, each negotiated with the real server and its effect observed:
what a client that asked gets, and that a client that did not ask gets none of it."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ircish.server.server import Server

from .conftest import MSGID, TIME, Connect, together
from .conftest import SERVER_NAME as S


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(flood_control=False)


def test_ls_302_lists_every_capability_and_req_is_all_or_nothing(capped: Connect) -> None:
    c = capped("alice")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP alice LIST :cap-notify")
    c.send("CAP REQ :server-time bogus")
    c.expect_exact(f":{S} CAP alice NAK :server-time bogus")
    c.send("CAP REQ :server-time echo-message")
    c.expect_exact(f":{S} CAP alice ACK :server-time echo-message")
    c.send("CAP REQ :-echo-message")
    c.expect_exact(f":{S} CAP alice ACK :-echo-message")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP alice LIST :cap-notify server-time")


def test_server_time_tags_relayed_messages_only_for_those_who_asked(capped: Connect) -> None:
    timed = capped("timed", "server-time")
    plain = capped("plain")
    sender = capped("sender")
    together("#t", timed, plain, sender)
    sender.send("PRIVMSG #t :hello")
    timed.expect(rf"^@{TIME} :sender!~sender@127\.0\.0\.1 PRIVMSG #t :hello$")
    plain.expect_exact(":sender!~sender@127.0.0.1 PRIVMSG #t :hello")
    sender.send("PART #t :bye")
    timed.expect(rf"^@{TIME} :sender!~sender@127\.0\.0\.1 PART #t :bye$")
    plain.expect_exact(":sender!~sender@127.0.0.1 PART #t :bye")


def test_server_time_stamp_is_now_in_utc(capped: Connect) -> None:
    import datetime
    a = capped("a", "server-time")
    b = capped("b")
    b.send("PRIVMSG a :what time is it")
    m = a.expect(r"^@time=(\S+) :b!")
    stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((now - stamp).total_seconds()) < 5


def test_echo_message_returns_the_senders_own_message_with_its_tags(capped: Connect) -> None:
    echo = capped("echo", "echo-message message-tags server-time")
    peer = capped("peer", "message-tags")
    together("#e", echo, peer)
    echo.send("@+draft/reply=abc PRIVMSG #e :hi all")
    m = peer.expect(rf"^@({MSGID});\+draft/reply=abc :echo!~echo@127\.0\.0\.1 PRIVMSG #e :hi all$")
    e = echo.expect(rf"^@{TIME};({MSGID});\+draft/reply=abc :echo!~echo@127\.0\.0\.1 "
                    r"PRIVMSG #e :hi all$")
    assert e.group(1) == m.group(1)  # the same message, by its id
    echo.send("NOTICE peer :private")
    echo.expect(r" :echo!~echo@127\.0\.0\.1 NOTICE peer :private$")
    peer.expect(r" :echo!~echo@127\.0\.0\.1 NOTICE peer :private$")


def test_without_echo_message_the_sender_hears_nothing_back(capped: Connect) -> None:
    a = capped("a")
    b = capped("b")
    a.send("PRIVMSG b :hi")
    a.assert_silent()
    b.expect_exact(":a!~a@127.0.0.1 PRIVMSG b :hi")


def test_client_tags_reach_only_message_tags_clients(capped: Connect) -> None:
    tagged = capped("tagged", "message-tags")
    plain = capped("plain")
    sender = capped("sender", "message-tags")
    together("#m", tagged, plain, sender)
    sender.send(r"@+example.org/x=a\sb;+y PRIVMSG #m :tagged text")
    tagged.expect(rf"^@{MSGID};\+example\.org/x=a\\sb;\+y :sender!~sender@127\.0\.0\.1 "
                  r"PRIVMSG #m :tagged text$")
    plain.expect_exact(":sender!~sender@127.0.0.1 PRIVMSG #m :tagged text")


def test_client_tags_of_a_sender_without_message_tags_are_dropped(capped: Connect) -> None:
    tagged = capped("tagged", "message-tags")
    sender = capped("sender")
    sender.send("@+y=1 PRIVMSG tagged :hi")
    tagged.expect(rf"^@{MSGID} :sender!~sender@127\.0\.0\.1 PRIVMSG tagged :hi$")


def test_tagmsg_goes_only_to_message_tags_clients(capped: Connect) -> None:
    tagged = capped("tagged", "message-tags")
    plain = capped("plain")
    sender = capped("sender", "message-tags")
    together("#m", tagged, plain, sender)
    sender.send("@+typing=active TAGMSG #m")
    tagged.expect(rf"^@{MSGID};\+typing=active :sender!~sender@127\.0\.0\.1 TAGMSG #m$")
    plain.assert_silent()
    sender.send("@+typing=done TAGMSG tagged")
    tagged.expect(rf"^@{MSGID};\+typing=done :sender!~sender@127\.0\.0\.1 TAGMSG tagged$")
    sender.send("TAGMSG")
    sender.expect_exact(f":{S} 411 sender :No recipient given (TAGMSG)")


def test_a_client_may_send_4094_bytes_of_tag_data_and_not_one_more(capped: Connect) -> None:
    sender = capped("sender", "message-tags echo-message")
    other = capped("other", "message-tags")
    together("#big", sender, other)
    at_limit = f"@foo=bar;+baz={'a' * 4081} TAGMSG #big"  # a 4096-byte tag section
    assert at_limit.index("TAGMSG") == 4096
    sender.send(at_limit)
    for c in (sender, other):
        c.expect(rf"^@{MSGID};\+baz=a{{4081}} :sender!~sender@127\.0\.0\.1 TAGMSG #big$")
    sender.send(f"@foo=bar;+baz={'a' * 4082} TAGMSG #big")
    sender.expect_exact(f":{S} 417 sender :Input line was too long")
    sender.send(f"@foo=bar;+baz={'a' * 4082} PRIVMSG #big {'b' * 495}")  # a 510-byte message
    sender.expect_exact(f":{S} 417 sender :Input line was too long")
    other.assert_silent()


def test_labeled_response_single_line_batch_and_ack(capped: Connect) -> None:
    c = capped("lab", "labeled-response batch")
    c.send("@label=one PRIVMSG nobody :hi")
    c.expect_exact(f"@label=one :{S} 401 lab nobody :No such nick/channel")
    c.send("@label=two PONG :x")
    c.expect_exact(f"@label=two :{S} ACK")
    c.send("@label=three JOIN #lab")
    start = c.expect(rf"^@label=three :{S} BATCH \+(\S+) labeled-response$")
    ref = start.group(1)
    lines = c.collect(rf"^:{S} BATCH -{re.escape(ref)}$")
    assert lines[0] == f"@batch={ref} :lab!~lab@127.0.0.1 JOIN #lab"
    assert lines[1] == f"@batch={ref} :{S} 353 lab = #lab :@lab"
    assert lines[2] == f"@batch={ref} :{S} 366 lab #lab :End of /NAMES list."
    assert len(lines) == 4
    c.send("@label=four WHOIS lab")
    start = c.expect(rf"^@label=four :{S} BATCH \+(\S+) labeled-response$")
    lines = c.collect(rf"^:{S} BATCH -{re.escape(start.group(1))}$")
    assert lines[0].startswith(f"@batch={start.group(1)} :{S} 311 lab lab ")
    assert lines[-2].startswith(f"@batch={start.group(1)} :{S} 318 lab lab ")


def test_labels_need_batch_too_and_unlabeled_lines_stay_plain(capped: Connect) -> None:
    c = capped("lab", "labeled-response")  # without batch: labels are not used
    c.send("@label=one PRIVMSG nobody :hi")
    c.expect_exact(f":{S} 401 lab nobody :No such nick/channel")
    d = capped("lab2", "labeled-response batch")
    d.send("PRIVMSG nobody :hi")
    d.expect_exact(f":{S} 401 lab2 nobody :No such nick/channel")


def test_labeled_echo_message_is_the_labeled_reply(capped: Connect) -> None:
    c = capped("lab", "labeled-response batch echo-message")
    other = capped("other")
    c.send("@label=m1 PRIVMSG other :hello")
    other.expect_exact(":lab!~lab@127.0.0.1 PRIVMSG other :hello")
    c.expect_exact("@label=m1 :lab!~lab@127.0.0.1 PRIVMSG other :hello")


def test_extended_join_shows_account_and_realname(capped: Connect) -> None:
    ext = capped("ext", "extended-join")
    plain = capped("plain")
    together("#x", ext, plain)
    joiner = capped("joiner")
    joiner.join("#x")
    ext.expect_exact(":joiner!~joiner@127.0.0.1 JOIN #x * :Test User")
    plain.expect_exact(":joiner!~joiner@127.0.0.1 JOIN #x")


def test_away_notify_tells_room_mates_of_away_changes_and_away_joiners(capped: Connect) -> None:
    watcher = capped("watcher", "away-notify")
    plain = capped("plain")
    mover = capped("mover")
    together("#a", watcher, plain, mover)
    mover.send("AWAY :lunch")
    mover.expect(r" 306 ")
    watcher.expect_exact(":mover!~mover@127.0.0.1 AWAY :lunch")
    mover.send("AWAY")
    mover.expect(r" 305 ")
    watcher.expect_exact(":mover!~mover@127.0.0.1 AWAY")
    mover.send("AWAY :gone again")
    mover.send("PART #a")
    mover.send("JOIN #a")
    watcher.expect_exact(":mover!~mover@127.0.0.1 AWAY :gone again",
                         ":mover!~mover@127.0.0.1 PART #a",
                         ":mover!~mover@127.0.0.1 JOIN #a",
                         ":mover!~mover@127.0.0.1 AWAY :gone again")
    plain.expect_exact(":mover!~mover@127.0.0.1 PART #a", ":mover!~mover@127.0.0.1 JOIN #a")
    plain.assert_silent()


def test_setname_is_seen_by_those_with_the_capability(capped: Connect) -> None:
    a = capped("a", "setname")
    b = capped("b", "setname")
    c = capped("c")
    for x in (a, b, c):
        x.join("#s")
    for x in (a, b, c):
        x.drain()
    a.send("SETNAME :Alice Liddell")
    a.expect_exact(":a!~a@127.0.0.1 SETNAME :Alice Liddell")
    b.expect_exact(":a!~a@127.0.0.1 SETNAME :Alice Liddell")
    c.assert_silent()
    c.send("WHOIS a")
    c.expect(r" 311 c a ~a 127\.0\.0\.1 \* :Alice Liddell$")
    a.send(f"SETNAME :{'x' * 101}")
    a.expect_exact(f":{S} FAIL SETNAME INVALID_REALNAME :Real name must be 1 to 100 characters")


def test_userhost_in_names_and_multi_prefix(capped: Connect) -> None:
    full = capped("full", "userhost-in-names multi-prefix")
    full.join("#n")
    full.send("NAMES #n")
    full.expect_exact(f":{S} 353 full = #n :@full!~full@127.0.0.1",
                      f":{S} 366 full #n :End of /NAMES list.")


def test_statusmsg_reaches_only_the_operators(capped: Connect) -> None:
    op = capped("op")
    op.join("#st")
    member = capped("member")
    member.join("#st")
    assert op.drain() == [":member!~member@127.0.0.1 JOIN #st"]
    member.send("PRIVMSG @#st :ops only")
    op.expect_exact(":member!~member@127.0.0.1 PRIVMSG @#st :ops only")
    member.assert_silent()
    op.assert_silent()
    outsider = capped("outsider")
    outsider.send("PRIVMSG @#st :knock")
    outsider.expect_exact(f":{S} 404 outsider #st :Cannot send to channel (+n)")


def test_cap_req_after_joining_changes_what_arrives(capped: Connect) -> None:
    late = capped("late")
    talker = capped("talker")
    together("#late", late, talker)
    late.send("CAP REQ server-time")
    late.expect_exact(f":{S} CAP late ACK :server-time")
    talker.send("PRIVMSG #late :now with time")
    late.expect(rf"^@{TIME} :talker!~talker@127\.0\.0\.1 PRIVMSG #late :now with time$")


def test_a_labeled_message_to_oneself_labels_only_the_echo(capped: Connect) -> None:
    c = capped("me", "labeled-response batch echo-message")
    c.send("@label=self PRIVMSG me :note to self")
    c.expect_exact("@label=self :me!~me@127.0.0.1 PRIVMSG me :note to self",
                   ":me!~me@127.0.0.1 PRIVMSG me :note to self")


def test_a_labeled_quit_labels_the_error_line(capped: Connect) -> None:
    c = capped("q", "labeled-response batch")
    c.send("@label=bye QUIT :done")
    c.expect_exact("@label=bye ERROR :Closing Link: 127.0.0.1 (Quit: done)")
    c.assert_closed()


def test_a_bots_messages_carry_the_bot_tag_for_message_tags_clients(capped: Connect) -> None:
    bot = capped("helper")
    bot.send("MODE helper +B")
    bot.expect_exact(":helper!~helper@127.0.0.1 MODE helper :+B")
    tagged = capped("tagged", "message-tags")
    plain = capped("plain")
    bot.send("PRIVMSG tagged :beep")
    tagged.expect(rf"^@{MSGID};bot :helper!~helper@127\.0\.0\.1 PRIVMSG tagged :beep$")
    bot.send("PRIVMSG plain :beep")
    plain.expect_exact(":helper!~helper@127.0.0.1 PRIVMSG plain :beep")
    plain.send("WHOIS helper")
    plain.expect(r" 335 plain helper :")


def test_labeled_room_changes_are_one_labeled_line(capped: Connect) -> None:
    c = capped("lab", "labeled-response batch")
    c.join("#lab")
    c.send("@label=m MODE #lab +m")
    c.expect_exact("@label=m :lab!~lab@127.0.0.1 MODE #lab +m")
    c.send("@label=t TOPIC #lab :news")
    c.expect_exact("@label=t :lab!~lab@127.0.0.1 TOPIC #lab :news")
    c.send("@label=p PART #lab")
    c.expect_exact("@label=p :lab!~lab@127.0.0.1 PART #lab")
