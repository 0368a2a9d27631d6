"""History in the client, no terminal and no socket: the model fed with server lines as
the specs write them (draft/chathistory, draft/message-redaction, soju.im/search,
batch), and what it asks the server for in return."""
from __future__ import annotations

import time
from collections import deque

import pytest
from prompt_toolkit.buffer import Buffer as InputBuffer

from ircish.client.batches import Batch, BatchCollector
from ircish.client.buffers import TALK, Buffer, Line
from ircish.client.cap_negotiation import CapNegotiation
from ircish.client.history import SEARCH_BUFFER, timestamp
from ircish.client.model import ClientModel
from ircish.client.slash import Catalog, Goto, Redact, Search, Where, interpret
from ircish.client.view import ChatView
from ircish.protocol import parse_line

S = ":irc.test"
ALICE = "alice!~alice@127.0.0.1"
BOB = "bob!~bob@10.0.0.2"
HISTORY_CAPS = ("server-time batch message-tags echo-message draft/chathistory "
                "draft/event-playback draft/message-redaction soju.im/search")


def feed(model: ClientModel, *lines: str) -> None:
    for line in lines:
        model.feed(parse_line(line))


def sent(model: ClientModel) -> list[str]:
    return [m.to_line() for m in model.history.take()]


BASE = [0.0]


@pytest.fixture(autouse=True)
def clock() -> None:
    """at(130) is about when the test runs (when its link drops, by the local clock)."""
    BASE[0] = time.time() - 130


def at(seconds: int) -> str:
    """A server-time tag, `seconds` after the test's base time."""
    return f"time={timestamp(BASE[0] + seconds)}"


def said(buf: Buffer | None) -> list[tuple[str, str, bool]]:
    """(nick, text, from history) for each message, notice or action."""
    assert buf is not None
    return [(line.nick, line.text, line.history) for line in buf.lines if line.kind in TALK]


def texts(buf: Buffer | None) -> list[str]:
    assert buf is not None
    return [line.text for line in buf.lines]


def welcome(model: ClientModel, caps: str = HISTORY_CAPS, account: str = "") -> None:
    """A new connection; with `account`, logged in to it before the welcome (SASL)."""
    model.set_connection("connecting")
    model.set_connection("connected")
    feed(model, f"{S} CAP * ACK :{caps}",
         *([f"{S} 900 alice {ALICE} {account} :You are now logged in as {account}"]
           if account else []),
         f"{S} 001 alice :Welcome to the ircish IRC network {ALICE}",
         f"{S} 005 alice PREFIX=(ov)@+ CHATHISTORY=100 :are supported by this server")


def history_batch(ref: str, target: str, *items: str) -> list[str]:
    return [f"{S} BATCH +{ref} chathistory {target}",
            *(f"@batch={ref};{item}" for item in items), f"{S} BATCH -{ref}"]


@pytest.fixture
def model() -> ClientModel:
    m = ClientModel("alice")
    welcome(m)
    return m


def join(model: ClientModel, room: str, second: int) -> None:
    feed(model, f"@{at(second)} :{ALICE} JOIN {room}",
         f"{S} 353 alice = {room} :alice bob", f"{S} 366 alice {room} :End of /NAMES list.")


# --- negotiation -------------------------------------------------------------------

def test_history_caps_and_their_companions_are_asked_for_when_offered() -> None:
    caps = CapNegotiation()
    [req] = caps.feed(parse_line(f"{S} CAP * LS :batch echo-message message-tags server-time "
                                 "draft/chathistory draft/event-playback "
                                 "draft/message-redaction soju.im/search labeled-response"))
    assert req.params[1].split() == ["server-time", "draft/chathistory", "draft/event-playback",
                                     "draft/message-redaction", "soju.im/search", "batch",
                                     "message-tags", "echo-message"]


def test_without_history_the_companions_are_not_asked_for() -> None:
    """A server that offers batch, message-tags and echo-message but no history gets
    the same request as before history existed."""
    [req] = CapNegotiation().feed(parse_line(
        f"{S} CAP * LS :batch echo-message message-tags server-time multi-prefix"))
    assert req.to_line() == "CAP REQ :server-time multi-prefix"


def test_the_model_keeps_what_was_granted_for_this_connection(model: ClientModel) -> None:
    assert "draft/chathistory" in model.caps and model.features.history_max == 100
    feed(model, f"{S} CAP alice DEL :soju.im/search")
    assert "soju.im/search" not in model.caps
    model.set_connection("disconnected", "Connection lost")
    assert model.caps == set()


# --- batches -----------------------------------------------------------------------

def test_batches_are_collected_by_id_nested_and_handed_over_when_closed() -> None:
    collector = BatchCollector()
    lines = ["BATCH +outer labeled-response", "@batch=outer BATCH +inner chathistory #dev",
             "@batch=inner PRIVMSG #dev :one", "@batch=outer NOTICE alice :two",
             "PING :live", "BATCH -inner", "@batch=nope PRIVMSG #dev :never opened"]
    out = [item for line in lines for item in collector.feed(parse_line(line))]
    assert [m.params[-1] for m in out if not isinstance(m, Batch)] == ["live", "never opened"]
    [outer] = collector.feed(parse_line("BATCH -outer"))
    assert isinstance(outer, Batch) and outer.type == "labeled-response"
    assert [m.params[-1] for m in outer.messages()] == ["one", "two"]
    inner = outer.items[0]
    assert isinstance(inner, Batch) and (inner.type, inner.params) == ("chathistory", ["#dev"])


def test_a_batch_of_a_kind_we_do_not_know_is_applied_as_live_lines(model: ClientModel) -> None:
    join(model, "#dev", 100)
    sent(model)
    feed(model, f"{S} BATCH +n1 netsplit irc.a irc.b",
         f"@batch=n1 :{BOB} QUIT :irc.a irc.b")
    assert "bob" in model.find("#dev").members      # type: ignore[union-attr]
    feed(model, f"{S} BATCH -n1")
    assert texts(model.find("#dev"))[-1] == "bob quit (irc.a irc.b)"


# --- catching up on join -----------------------------------------------------------

def test_joining_asks_for_the_latest_and_shows_it_above_the_join_line(model: ClientModel) -> None:
    join(model, "#dev", 100)
    assert sent(model) == ["CHATHISTORY LATEST #dev * 50"]
    dev = model.find("#dev")
    assert dev is not None and dev.history.loading
    feed(model, *history_batch(
        "h1", "#dev",
        f"{at(10)};msgid=m1 :{BOB} PRIVMSG #dev :before you came",
        f"{at(20)};msgid=m2 :{BOB} PRIVMSG #dev :\x01ACTION waves\x01",
        f"{at(30)};msgid=m3 :{ALICE} PRIVMSG #dev :I said this yesterday",
        f"{at(40)};msgid=j1 :{BOB} PART #dev :lunch",
        f"{at(100)};msgid=j2 :{ALICE} JOIN #dev"))       # this very join: seen live
    assert texts(dev) == ["before you came", "waves", "I said this yesterday",
                          "bob left #dev (lunch)", "You joined #dev"]
    lines = list(dev.lines)
    assert all(line.history for line in lines[:4]) and not lines[4].history
    assert [line.kind for line in lines[:3]] == ["message", "action", "message"]
    assert lines[2].own and lines[0].time == lines[4].time - 90    # their own times
    assert not dev.history.loading and dev.history.beginning       # 5 < 50: all there is
    assert dev.unread == 0                                         # history is not news


def test_the_page_size_follows_the_servers_chathistory_token(model: ClientModel) -> None:
    feed(model, f"{S} 005 alice CHATHISTORY=20 :are supported by this server")
    join(model, "#dev", 100)
    assert sent(model) == ["CHATHISTORY LATEST #dev * 20"]


def test_a_message_seen_live_while_history_was_on_its_way_is_not_repeated(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, f"@{at(101)};msgid=m9 :{BOB} PRIVMSG #dev :live first",
         *history_batch("h1", "#dev", f"{at(90)};msgid=m8 :{BOB} PRIVMSG #dev :older",
                        f"{at(101)};msgid=m9 :{BOB} PRIVMSG #dev :live first"))
    assert said(model.find("#dev")) == [("bob", "older", True), ("bob", "live first", False)]


def test_reconnecting_asks_only_for_what_came_after_the_last_line_seen(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", f"{at(50)};msgid=m1 :{BOB} PRIVMSG #dev :old"),
         f"@{at(110)};msgid=m2 :{BOB} PRIVMSG #dev :last before the drop")
    model.switch_to("#dev")
    model.set_connection("disconnected", "Connection lost (reset); retrying in 1 s")
    welcome(model)
    join(model, "#dev", 200)
    assert sent(model) == ["CHATHISTORY LATEST #dev msgid=m2 50"]
    feed(model, *history_batch(
        "h2", "#dev", f"{at(110)};msgid=m2 :{BOB} PRIVMSG #dev :last before the drop",
        f"{at(150)};msgid=m3 :{BOB} PRIVMSG #dev :while you were away"))
    dev = model.find("#dev")
    assert said(dev) == [("bob", "old", True), ("bob", "last before the drop", False),
                         ("bob", "while you were away", True)]
    assert texts(dev)[-3:] == ["Connection lost (reset); retrying in 1 s",
                               "while you were away", "You joined #dev"]


def test_a_long_outage_is_filled_page_by_page_between_the_last_line_seen_and_the_latest(
        model: ClientModel, monkeypatch: pytest.MonkeyPatch) -> None:
    feed(model, f"{S} 005 alice CHATHISTORY=2 :are supported by this server")
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev"), f"@{at(101)};msgid=m0 :{BOB} PRIVMSG #dev :0")
    model.set_connection("disconnected", "Connection lost")
    welcome(model)
    feed(model, f"{S} 005 alice CHATHISTORY=2 :are supported by this server")
    join(model, "#dev", 200)
    assert sent(model) == ["CHATHISTORY LATEST #dev msgid=m0 2"]

    def page(ref: str, *numbers: int) -> list[str]:
        return history_batch(ref, "#dev", *(f"{at(110 + n)};msgid=m{n} :{BOB} PRIVMSG #dev :{n}"
                                            for n in numbers))
    feed(model, *page("h2", 6, 7))                      # the newest two: a gap before them
    assert sent(model) == ["CHATHISTORY BETWEEN #dev msgid=m0 msgid=m6 2"]
    feed(model, *page("h3", 1, 2))                      # the oldest of the gap: more to come
    assert sent(model) == ["CHATHISTORY BETWEEN #dev msgid=m2 msgid=m6 2"]
    feed(model, *page("h4", 3, 4))
    feed(model, *page("h5", 5))                         # short: the gap is filled
    assert sent(model) == ["CHATHISTORY BETWEEN #dev msgid=m4 msgid=m6 2"]
    dev = model.find("#dev")
    assert [text for _, text, _ in said(dev)] == [str(n) for n in range(8)]
    assert dev is not None and not dev.history.loading

    monkeypatch.setattr("ircish.client.history.GAP_PAGES", 2)   # a very long outage
    model.set_connection("disconnected", "Connection lost")
    welcome(model)
    feed(model, f"{S} 005 alice CHATHISTORY=2 :are supported by this server")
    join(model, "#dev", 300)
    feed(model, *page("h6", 20, 21), *page("h7", 8, 9))
    assert sent(model)[-1] == "CHATHISTORY BETWEEN #dev msgid=m7 msgid=m20 2"
    assert texts(dev)[texts(dev).index("9") + 1] == \
        "More was said while you were away than is loaded here: /search finds it"
    assert [text for _, text, _ in said(dev)][-4:] == ["8", "9", "20", "21"]


def test_a_catch_up_from_a_msgid_the_server_forgot_asks_for_the_latest(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev"), f"@{at(110)};msgid=m2 :{BOB} PRIVMSG #dev :hi")
    model.set_connection("disconnected", "Connection lost")
    welcome(model)
    join(model, "#dev", 200)
    assert sent(model) == ["CHATHISTORY LATEST #dev msgid=m2 50"]
    feed(model, f"{S} FAIL CHATHISTORY MESSAGE_ERROR LATEST #dev :Messages could not be retrieved")
    assert sent(model) == ["CHATHISTORY LATEST #dev * 50"]
    assert not any(line.kind == "error" and "CHATHISTORY" in line.text
                   for line in model.buffer.lines)


def test_failures_of_what_the_user_asked_are_told_and_stop_loading(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", *(f"{at(n)};msgid=m{n} :{BOB} PRIVMSG #dev :{n}"
                                               for n in range(50))))
    model.switch_to("#dev")
    model.history.older(model.buffer)
    feed(model, f"{S} FAIL CHATHISTORY MESSAGE_ERROR BEFORE #dev :Messages could not be "
                "retrieved")
    assert texts(model.buffer)[-1] == "CHATHISTORY: Messages could not be retrieved"
    assert not model.buffer.history.loading and not model.buffer.history.beginning


def test_a_private_chat_the_server_keeps_no_history_of_is_not_asked_again(
        model: ClientModel) -> None:
    welcome(model, account="alice")
    feed(model, f":{BOB} PRIVMSG alice :hi")
    assert sent(model) == ["CHATHISTORY LATEST bob * 50"]
    feed(model, f"{S} FAIL CHATHISTORY INVALID_TARGET LATEST bob :Messages could not be "
                "retrieved")
    assert not any(line.kind == "error" for line in model.buffer.lines)   # not news
    query = model.find("bob")
    assert query is not None and not query.history.loading
    model.history.older(query)
    assert sent(model) == []


def test_a_removed_line_never_anchors_a_request(model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", f"{at(10)};msgid=m1 :{BOB} PRIVMSG #dev :one",
                               *(f"{at(11)};msgid=f{n} :{BOB} PRIVMSG #dev :filler"
                                 for n in range(49))),
         f"@{at(110)};msgid=m2 :{BOB} PRIVMSG #dev :two",
         f"@{at(111)};msgid=m3 :{BOB} PRIVMSG #dev :three",
         f":{BOB} REDACT #dev m3", f":{BOB} REDACT #dev m1")
    sent(model)
    dev = model.find("#dev")
    assert dev is not None
    model.history.older(dev)
    assert sent(model) == ["CHATHISTORY BEFORE #dev msgid=f0 50"]
    model.set_connection("disconnected", "Connection lost")
    welcome(model)
    join(model, "#dev", 200)
    assert sent(model) == ["CHATHISTORY LATEST #dev msgid=m2 50"]


def test_a_new_private_chat_catches_up_and_so_do_chats_after_a_reconnect(
        model: ClientModel) -> None:
    welcome(model, account="alice")
    feed(model, f"@{at(60)};msgid=p2 :{BOB} PRIVMSG alice :are you there?")
    assert sent(model) == ["CHATHISTORY LATEST bob * 50"]
    feed(model, *history_batch("h1", "bob", f"{at(30)};msgid=p1 :{ALICE} PRIVMSG bob :lunch?",
                               f"{at(60)};msgid=p2 :{BOB} PRIVMSG alice :are you there?"))
    assert said(model.find("bob")) == [("alice", "lunch?", True),
                                       ("bob", "are you there?", False)]
    welcome(model, account="alice")
    assert sent(model) == ["CHATHISTORY LATEST bob msgid=p2 50"]


def test_private_history_is_asked_only_once_logged_in(model: ClientModel) -> None:
    """Servers keep private history by account: before a login there is none to ask,
    and the login (here a /login after the welcome) asks it for the chats open."""
    feed(model, f"@{at(60)};msgid=p2 :{BOB} PRIVMSG alice :are you there?")
    query = model.find("bob")
    assert query is not None
    model.history.older(query)                    # PgUp: nothing to ask either
    assert sent(model) == []
    feed(model, f"{S} 900 alice {ALICE} alice :You are now logged in as alice")
    assert sent(model) == ["CHATHISTORY LATEST bob msgid=p2 50"]


# --- older history -----------------------------------------------------------------

def test_older_pages_until_the_beginning(model: ClientModel) -> None:
    feed(model, f"{S} 005 alice CHATHISTORY=2 :are supported by this server")
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", f"{at(40)};msgid=m3 :{BOB} PRIVMSG #dev :three",
                               f"{at(50)};msgid=m4 :{BOB} PRIVMSG #dev :four"))
    sent(model)
    dev = model.find("#dev")
    assert dev is not None and not dev.history.beginning      # a full page: maybe more
    model.history.older(dev)
    model.history.older(dev)                                   # already on its way: once
    assert sent(model) == ["CHATHISTORY BEFORE #dev msgid=m3 2"]
    assert dev.history.loading
    feed(model, *history_batch("h2", "#dev", f"{at(20)};msgid=m1 :{BOB} PRIVMSG #dev :one",
                               f"{at(30)};msgid=m2 :{BOB} PRIVMSG #dev :two"))
    model.history.older(dev)
    assert sent(model) == ["CHATHISTORY BEFORE #dev msgid=m1 2"]
    feed(model, *history_batch("h3", "#dev"))
    assert dev.history.beginning and not dev.history.loading
    model.history.older(dev)
    assert sent(model) == []
    assert [text for _, text, _ in said(dev)] == ["one", "two", "three", "four"]


def test_event_playback_lines_read_like_live_ones_and_change_nothing(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch(
        "h1", "#dev", f"{at(10)};msgid=e1 :carol!c@h JOIN #dev",
        f"{at(11)};msgid=e2 :{BOB} TOPIC #dev :new topic",
        f"{at(12)};msgid=e3 :{BOB} MODE #dev +o carol",
        f"{at(13)};msgid=e4 :carol!c@h NICK caroline",
        f"{at(14)};msgid=e5 :{BOB} KICK #dev caroline :bye",
        f"{at(15)};msgid=e6 :{BOB} TAGMSG #dev"))
    dev = model.find("#dev")
    assert dev is not None
    assert texts(dev)[:5] == ["carol (c@h) joined #dev", "bob changed the topic to: new topic",
                              "bob sets mode +o carol", "carol is now known as caroline",
                              "caroline was kicked by bob (bye)"]
    assert sorted(dev.members) == ["alice", "bob"] and dev.topic == ""


def test_a_page_overlapping_what_is_shown_keeps_the_servers_order(
        model: ClientModel) -> None:
    """Many lines share a millisecond: where times cannot tell, the lines already
    shown and the batch's own order do (AROUND overlapping the latest page)."""
    join(model, "#dev", 100)
    same = at(50)
    feed(model, *history_batch("h1", "#dev", *(f"{same};msgid=f{n} :{BOB} PRIVMSG #dev :{n}"
                                               for n in (3, 4))))
    dev = model.find("#dev")
    assert dev is not None
    feed(model, f"{S} BATCH +s1 soju.im/search",
         f"@batch=s1;{same};msgid=f2 :{BOB} PRIVMSG #dev :2", f"{S} BATCH -s1")
    assert model.history.goto(1) is None and sent(model)[-1] == "CHATHISTORY AROUND #dev msgid=f2 50"
    feed(model, *history_batch("h2", "#dev", *(f"{same};msgid=f{n} :{BOB} PRIVMSG #dev :{n}"
                                               for n in range(5))))
    assert [text for _, text, _ in said(dev)] == ["0", "1", "2", "3", "4"]


def test_a_page_of_the_same_millisecond_as_what_is_shown_stays_whole_above_it(
        model: ClientModel) -> None:
    """No overlap and no time to tell: the page is kept together (it is contiguous in
    the server's order) and put above (what one jumps to is mostly older)."""
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", *(f"{at(50)};msgid=f{n} :{BOB} PRIVMSG #dev :{n}"
                                               for n in (4, 5))),
         f"{S} BATCH +s1 soju.im/search", f"@batch=s1;{at(50)};msgid=f1 :{BOB} PRIVMSG #dev :1",
         f"{S} BATCH -s1")
    model.history.goto(1)
    feed(model, *history_batch("h2", "#dev", f"{at(49)};msgid=f0 :{BOB} PRIVMSG #dev :0",
                               *(f"{at(50)};msgid=f{n} :{BOB} PRIVMSG #dev :{n}"
                                 for n in (1, 2))))
    assert [text for _, text, _ in said(model.find("#dev"))] == ["0", "1", "2", "4", "5"]


def test_an_event_seen_live_is_not_repeated_by_history(model: ClientModel) -> None:
    """Live JOINs and PARTs carry no msgid; their history twins do."""
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", *(f"{at(n)};msgid=m{n} :{BOB} PRIVMSG #dev :{n}"
                                               for n in range(50))),
         f"@{at(101)} :carol!c@h JOIN #dev", f"@{at(102)};msgid=x :{BOB} PRIVMSG #dev :hi",
         f"{S} BATCH +s1 soju.im/search", f"@batch=s1;{at(10)};msgid=m10 :{BOB} PRIVMSG #dev :10",
         f"{S} BATCH -s1")
    sent(model)
    dev = model.find("#dev")
    assert dev is not None
    dev.lines.remove(next(line for line in dev.lines if line.msgid == "m10"))
    dev.msgids.discard("m10")                  # as if it had scrolled out of a full buffer
    model.history.goto(1)
    feed(model, *history_batch("h2", "#dev", f"{at(10)};msgid=m10 :{BOB} PRIVMSG #dev :10",
                               f"{at(101)};msgid=j :carol!c@h JOIN #dev"))
    assert texts(dev).count("carol (c@h) joined #dev") == 1


def test_the_batch_order_wins_over_timestamps(model: ClientModel) -> None:
    """The spec: a batch's order is the server's consistent order, which timestamps
    only approximate (a linked server's clock may lag)."""
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", f"{at(20)};msgid=a :{BOB} PRIVMSG #dev :first",
                               f"{at(19)};msgid=b :{BOB} PRIVMSG #dev :second"))
    assert [text for _, text, _ in said(model.find("#dev"))] == ["first", "second"]


def test_a_full_buffer_keeps_its_newest_lines() -> None:
    buf = Buffer("#dev", "room", lines=deque(maxlen=3))
    for n in (10, 20, 30):
        buf.append(Line("message", f"at {n}", time=n))
    assert buf.insert(Line("message", "at 5", time=5, msgid="a")) == (None, False)  # too old
    at_25 = Line("message", "at 25", time=25, msgid="b")
    assert buf.insert(at_25) == (at_25, True)
    assert [line.text for line in buf.lines] == ["at 20", "at 25", "at 30"]
    assert buf.insert(Line("message", "at 25 again", time=25, msgid="b")) == (at_25, False)


def test_lines_of_the_same_millisecond_keep_the_servers_order(model: ClientModel) -> None:
    feed(model, f"{S} 005 alice CHATHISTORY=2 :are supported by this server")
    join(model, "#dev", 100)
    same = at(50)
    feed(model, *history_batch("h1", "#dev", f"{same};msgid=m3 :{BOB} PRIVMSG #dev :three",
                               f"{same};msgid=m4 :{BOB} PRIVMSG #dev :four"))
    dev = model.find("#dev")
    assert dev is not None
    model.history.older(dev)
    feed(model, *history_batch("h2", "#dev", f"{same};msgid=m1 :{BOB} PRIVMSG #dev :one",
                               f"{same};msgid=m2 :{BOB} PRIVMSG #dev :two"))
    assert [text for _, text, _ in said(dev)] == ["one", "two", "three", "four"]


# --- search and goto ---------------------------------------------------------------

def test_search_fills_a_results_buffer_and_goto_opens_the_room_around_it(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev"))
    sent(model)
    assert model.history.search("deploy friday", "#ops", "bob") is None
    assert sent(model) == ["SEARCH :text=deploy friday;in=#ops;from=bob;limit=50"]
    feed(model, f"{S} BATCH +s1 soju.im/search",
         f"@batch=s1;{at(5)};msgid=x1 :{BOB} PRIVMSG #ops :deploy on friday?",
         f"@batch=s1;{at(6)};msgid=x2 :{BOB} PRIVMSG alice :about the friday deploy",
         f"{S} BATCH -s1")
    results = model.buffer
    assert results.name == SEARCH_BUFFER and results.kind == "search"
    assert texts(results)[0] == ("Search for 'deploy friday in #ops from bob': 2 messages "
                                 "(Up/Down, Enter or /goto N opens one)")
    assert [(line.label, line.nick, line.text) for line in list(results.lines)[1:]] == [
        ("1 #ops", "bob", "deploy on friday?"), ("2 bob", "bob", "about the friday deploy")]
    assert results.selected == 1

    assert model.history.goto(1) is None
    ops = model.buffer
    assert ops.name == "#ops" and ops.kind == "room" and not ops.joined
    assert ops.history.jump_to == ops.history.found == "x1"
    assert sent(model) == ["CHATHISTORY AROUND #ops msgid=x1 50"]
    feed(model, *history_batch("h2", "#ops", f"{at(4)};msgid=x0 :carol!c@h PRIVMSG #ops :so",
                               f"{at(5)};msgid=x1 :{BOB} PRIVMSG #ops :deploy on friday?"))
    assert [text for _, text, _ in said(ops)] == ["so", "deploy on friday?"]
    assert not ops.history.beginning          # AROUND says nothing about the beginning

    results.selected = 1                      # Down in the results
    assert model.history.goto(None) is None   # Enter: the selected one, the chat with bob
    assert model.buffer.name == "bob"
    assert model.history.goto(7) == "No result 7: there are 2"


def test_search_text_is_escaped_and_an_empty_search_says_so(model: ClientModel) -> None:
    model.history.search("a;b\\c", None, None)
    assert [m.params for m in model.history.take()] == [["text=a\\:b\\\\c;limit=50"]]
    feed(model, f"{S} BATCH +s1 soju.im/search", f"{S} BATCH -s1")
    assert texts(model.buffer) == ["Search for 'a;b\\c': nothing found"]
    assert model.history.goto(1) == "No search results to open: /search words first"


# --- redaction ---------------------------------------------------------------------

def test_own_messages_come_back_with_msgids_and_can_be_removed(model: ClientModel) -> None:
    join(model, "#dev", 100)
    model.switch_to("#dev")
    feed(model, f"@{at(101)};msgid=o1 :{ALICE} PRIVMSG #dev :first",
         f"@{at(102)};msgid=b1 :{BOB} PRIVMSG #dev :bob's",
         f"@{at(103)};msgid=o2 :{ALICE} PRIVMSG #dev :oops, typo")
    dev = model.buffer
    assert [line.own for line in dev.lines if line.kind == "message"] == [True, False, True]
    sent(model)
    assert model.history.redact(dev, 1, "") is None
    assert model.history.redact(dev, 2, "wrong room") is None
    assert sent(model) == ["REDACT #dev o2", "REDACT #dev o1 :wrong room"]
    assert model.history.redact(dev, 3, "") == "No message 3: you have 2 here (1 is your last)"
    feed(model, f"@msgid=r1 :{ALICE} REDACT #dev o2")
    assert said(dev)[-1] == ("alice", "(message removed)", False)
    assert [line.redacted for line in dev.lines if line.kind == "message"] == [False, False, True]
    assert model.history.redact(dev, 2, "") is not None    # only one left to remove


def test_redactions_from_anyone_are_shown_unknown_ones_ignored(model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, f"@msgid=b1 :{BOB} PRIVMSG #dev :spam spam",
         f"@msgid=b2 :{BOB} PRIVMSG alice :private spam",
         "@msgid=r1 :op!o@h REDACT #dev b1 :spam",
         f"@msgid=r2 :{BOB} REDACT alice b2",
         "@msgid=r3 :op!o@h REDACT #dev nothing-known")
    assert said(model.find("#dev"))[-1] == ("bob", "(message removed by op: spam)", False)
    assert said(model.find("bob"))[-1] == ("bob", "(message removed)", False)


def test_a_redaction_in_history_applies_to_the_page_it_came_with(model: ClientModel) -> None:
    join(model, "#dev", 100)
    feed(model, *history_batch("h1", "#dev", f"{at(10)};msgid=m1 :{BOB} PRIVMSG #dev :oops",
                               f"{at(11)};msgid=m2 :{BOB} REDACT #dev m1"))
    assert said(model.find("#dev")) == [("bob", "(message removed)", True)]


# --- without the capabilities --------------------------------------------------------

def test_without_history_capabilities_nothing_is_asked(model: ClientModel) -> None:
    plain = ClientModel("alice")
    welcome(plain, "server-time multi-prefix")
    join(plain, "#dev", 100)
    feed(plain, f":{BOB} PRIVMSG alice :hi")
    dev = plain.find("#dev")
    assert dev is not None
    plain.history.older(dev)
    assert sent(plain) == []
    assert plain.history.search("x", None, None) == "This server does not offer search"
    assert plain.history.redact(dev, 1, "") == "This server cannot remove messages"
    assert not dev.history.loading and not dev.history.beginning


# --- typed commands ----------------------------------------------------------------

ROOM = Where("#dev", "room")
RESULTS = Where(None, "search")


@pytest.mark.parametrize("line, where, actions", [
    ("/search deploy friday", ROOM, [Search("deploy friday")]),
    ("/search deploy in #ops from bob", ROOM, [Search("deploy", "#ops", "bob")]),
    ("/search from bob", ROOM, [Search("", None, "bob")]),
    ("/search meet in the park", ROOM, [Search("meet in the park")]),
    ("/goto 3", ROOM, [Goto(3)]),
    ("/goto", ROOM, [Goto()]),
    ("/redact", ROOM, [Redact(1, "")]),
    ("/redact 2 wrong room", ROOM, [Redact(2, "wrong room")]),
    ("/redact oops typo", ROOM, [Redact(1, "oops typo")]),
    ("", RESULTS, [Goto()]),                   # Enter in the results opens the selected
    ("2", RESULTS, [Goto(2)]),
])
def test_history_commands_parse(line: str, where: Where, actions: list[object]) -> None:
    assert interpret(line, where, Catalog()) == actions


def test_history_commands_have_usage_and_help_like_the_others() -> None:
    catalog = Catalog()
    assert interpret("/search", ROOM, catalog)[0].text == "Usage: /search <words>..."  # type: ignore[union-attr]
    assert interpret("/goto x", ROOM, catalog)[0].text == "Usage: /goto [<result>]"  # type: ignore[union-attr]
    assert "Redact" not in str(interpret("/redact", Where(), catalog))
    assert {"SEARCH", "GOTO", "REDACT"} <= {c.name for c in catalog.commands()}


# --- what the view shows -------------------------------------------------------------

def test_the_status_line_says_when_history_loads_and_when_it_begins(
        model: ClientModel) -> None:
    join(model, "#dev", 100)
    model.switch_to("#dev")
    view = ChatView(model, InputBuffer())

    def status() -> str:
        return "".join(fragment[1] for fragment in view.status_line())

    assert "[loading history]" in status()
    feed(model, *history_batch("h1", "#dev", f"{at(10)};msgid=m1 :{BOB} PRIVMSG #dev :hi"))
    assert "[loading history]" not in status()
    assert "[beginning of history]" not in status()      # only once PgUp went past the top
    view.messages.wants_older = True
    assert "[beginning of history]" in status()
