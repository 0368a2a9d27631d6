"""Accounts in the model, no terminal and no socket: who is logged in (900/901, WHOIS
330, extended-join, account-notify, account-tag), a room's owner from ROOM INFO, and
read markers (draft/read-marker) both ways; fed with server lines as the specs write
them."""
from __future__ import annotations

import time

import pytest
from prompt_toolkit.buffer import Buffer as InputBuffer

from ircish.client.accounts import when
from ircish.client.history import timestamp
from ircish.client.model import ClientModel
from ircish.client.view import ChatView
from ircish.protocol import parse_line

S = ":irc.test"
ALICE = "alice!~alice@127.0.0.1"
BOB = "bob!~bob@10.0.0.2"
CAPS = ("server-time batch message-tags echo-message draft/chathistory sasl account-notify "
        "account-tag extended-join draft/account-registration draft/read-marker")


def feed(model: ClientModel, *lines: str) -> None:
    for line in lines:
        model.feed(parse_line(line))


def sent(model: ClientModel, now: float = 1e9) -> list[str]:
    return [m.to_line() for m in model.take(now)]


def connect(model: ClientModel, version: str = "ircish-0.1.0", account: str = "alice",
            offered: str = CAPS) -> None:
    model.set_connection("connecting")
    model.set_connection("connected")
    feed(model, f"{S} CAP * LS :{offered}", f"{S} CAP * ACK :{CAPS}",
         *([f"{S} 900 alice {ALICE} {account} :You are now logged in as {account}",
            f"{S} 903 alice :SASL authentication successful"] if account else []),
         f"{S} 001 alice :Welcome {ALICE}",
         f"{S} 004 alice irc.test {version} iowB biklmnost")


@pytest.fixture
def model() -> ClientModel:
    m = ClientModel("alice")
    connect(m)
    sent(m)
    return m


def texts(model: ClientModel, name: str | None = None) -> list[str]:
    buf = model.server if name is None else model.find(name)
    assert buf is not None
    return [line.text for line in buf.lines]


def topic(model: ClientModel) -> str:
    return "".join(fragment[1] for fragment in ChatView(model, InputBuffer()).topic_line())


# --- me and the others -----------------------------------------------------------

def test_logging_in_and_out_is_shown(model: ClientModel) -> None:
    assert model.accounts.account == "alice"
    assert texts(model)[-2:-1] == ["You are now logged in as alice"]   # 903 says no more
    feed(model, f"{S} 901 alice {ALICE} :You are now logged out")
    assert model.accounts.account is None
    assert texts(model)[-1] == "You are now logged out"


def test_a_failed_login_says_why() -> None:
    model = ClientModel("alice")
    model.accounts.wanted = "alice"
    connect(model, account="")
    feed(model, f"{S} 904 alice :SASL authentication failed")
    assert texts(model)[-1] == ("Not logged in: SASL authentication failed "
                                "(wrong account or password? /login tries again)")
    assert model.accounts.account is None


def test_whois_names_the_account(model: ClientModel) -> None:
    feed(model, f"{S} 311 alice bob ~bob 10.0.0.2 * :Bob",
         f"{S} 330 alice bob bobby :is logged in as")
    assert texts(model)[-1] == "bob is logged in as bobby"
    assert model.accounts.account_of("BOB") == "bobby"


def test_a_private_chat_says_whom_one_talks_to(model: ClientModel) -> None:
    feed(model, f"@account=bobby :{BOB} PRIVMSG alice :hi")   # account-tag
    model.switch_to("bob")
    assert topic(model) == " Private chat with bob (logged in as bobby)"
    feed(model, f":{BOB} ACCOUNT *")                            # account-notify
    assert topic(model) == " Private chat with bob (not logged in)"
    feed(model, f":{BOB} ACCOUNT bob")
    assert topic(model) == " Private chat with bob (logged in as bob)"
    feed(model, ":carol!c@h PRIVMSG alice :hello")
    model.switch_to("carol")
    assert topic(model) == " Private chat with carol"          # nothing known


def test_extended_join_names_the_account(model: ClientModel) -> None:
    feed(model, f":{ALICE} JOIN #dev alice :Alice", f":{BOB} JOIN #dev bobby :Bob",
         ":carol!c@h JOIN #dev * :Carol")
    assert model.accounts.account_of("bob") == "bobby"
    assert model.accounts.account_of("carol") == ""
    assert "bob (~bob@10.0.0.2) joined #dev" in texts(model, "#dev")


def test_my_own_account_notify(model: ClientModel) -> None:
    feed(model, f":{ALICE} ACCOUNT *")
    assert model.accounts.account is None
    feed(model, f":{ALICE} ACCOUNT alice")
    assert model.accounts.account == "alice"


def test_a_new_connection_forgets_the_account(model: ClientModel) -> None:
    model.set_connection("disconnected", "Connection lost")
    assert model.accounts.account is None and model.accounts.known == {}


# --- a room's owner ----------------------------------------------------------------

def join(model: ClientModel, room: str, shown: bool = True) -> None:
    """I join `room`, and (as when I asked for it) it is on screen."""
    feed(model, f":{ALICE} JOIN {room} alice :Alice",
         f"{S} 353 alice = {room} :alice bob", f"{S} 366 alice {room} :End of /NAMES list.")
    buf = model.find(room)
    if shown and buf is not None:
        model.show(buf)


def test_joining_asks_who_owns_the_room_and_shows_it_quietly(model: ClientModel) -> None:
    join(model, "#dev", shown=False)
    assert sent(model) == ["CHATHISTORY LATEST #dev * 50"]   # only what is on screen
    model.switch_to("#dev")
    assert sent(model) == ["ROOM INFO #dev"]
    assert sent(model) == []                                 # once per join
    dev = model.find("#dev")
    assert dev is not None
    before = texts(model, "#dev")
    feed(model, f"{S} NOTE ROOM REGISTERED #dev bob 1795576156 :#dev is registered to bob",
         f"{S} NOTE ROOM AMODE #dev carol +o :carol is auto-opped",
         f"{S} NOTE ROOM AMODE #dev Dave +v :dave is auto-voiced")
    assert dev.owner == "bob" and dev.access == {"carol": "+o", "dave": "+v"}
    assert texts(model, "#dev") == before              # not noise in the buffer
    model.show(dev)
    assert topic(model) == " #dev (2 members) owner: bob | "
    feed(model, f"{S} 332 alice #dev :Let's build")
    assert topic(model) == " #dev (2 members) owner: bob | Let's build"


def test_a_room_nobody_owns(model: ClientModel) -> None:
    join(model, "#lobby")
    assert "ROOM INFO #lobby" in sent(model)
    feed(model, f"{S} NOTE ROOM NOT_REGISTERED #lobby :#lobby is not registered")
    lobby = model.find("#lobby")
    assert lobby is not None and lobby.owner == ""
    assert "#lobby is not registered" not in texts(model, "#lobby")
    model.show(lobby)
    assert topic(model) == " #lobby (2 members) "


def test_what_the_user_asks_himself_is_shown(model: ClientModel) -> None:
    """Answers come in order: the first is the automatic request's (quiet), the next
    ones answer what the user typed (/room register #dev, /room info #dev, #elsewhere)."""
    join(model, "#dev")
    sent(model)
    before = texts(model, "#dev")
    feed(model, f"{S} NOTE ROOM NOT_REGISTERED #dev :#dev is not registered",
         f"{S} NOTE ROOM REGISTERED #dev alice 1795576156 :#dev is now yours",
         f"{S} NOTE ROOM REGISTERED #dev bob 2026-11-25T03:09:16Z :registered",
         f"{S} NOTE ROOM AMODE #dev carol +o :auto-op",
         f"{S} NOTE ROOM NOT_REGISTERED #elsewhere :#elsewhere is not registered")
    assert texts(model, "#dev")[len(before):-1] == [
        f"#dev is registered to alice since {when('1795576156')}",
        "#dev is registered to bob since 2026-11-25T03:09:16Z", "  carol gets +o in #dev"]
    assert model.buffer.lines[-1].text == "ROOM: #elsewhere is not registered"


@pytest.mark.parametrize(("version", "offered"), [
    ("ergo-2.14.0", CAPS),                                            # not ircish
    ("ircish-0.1.0", CAPS.replace(" draft/account-registration", "")),  # no accounts
])
def test_other_servers_are_not_asked(version: str, offered: str) -> None:
    model = ClientModel("alice")
    connect(model, version=version, offered=offered)
    sent(model)
    join(model, "#dev")
    assert [line for line in sent(model) if line.startswith("ROOM")] == []


def test_other_notes_are_shown(model: ClientModel) -> None:
    feed(model, f"{S} NOTE ACCOUNT VERIFY_SENT alice :Check your mail",
         f"{S} WARN REGISTER TOO_MANY :Slow down")
    assert texts(model)[-2:] == ["ACCOUNT: Check your mail", "REGISTER: Slow down"]


# --- read markers --------------------------------------------------------------------

BASE = time.time() - 3600


def at(seconds: float) -> str:
    return f"time={timestamp(BASE + seconds)}"


def message(n: int, room: str = "#dev", nick: str = "bob", text: str = "") -> str:
    return f"@{at(n)};msgid=m{n} :{nick}!{nick[0]}@h PRIVMSG {room} :{text or f'line {n}'}"


def batch(ref: str, target: str, *items: str) -> list[str]:
    return [f"{S} BATCH +{ref} chathistory {target}",
            *(f"@batch={ref};{item[1:]}" for item in items), f"{S} BATCH -{ref}"]


def test_the_marker_after_join_counts_the_unread_history(model: ClientModel) -> None:
    """The server's marker (sent after JOIN, before 366) decides what is unread, so
    a second client of mine counts what this one would."""
    feed(model, f":{ALICE} JOIN #dev", f"{S} MARKREAD #dev timestamp={timestamp(BASE + 20)}",
         f"{S} 353 alice = #dev :alice bob", f"{S} 366 alice #dev :End")
    model.switch(0)                      # looking at the server buffer
    feed(model, *batch("h1", "#dev", *(message(n) for n in (10, 20, 30, 40))))
    dev = model.find("#dev")
    assert dev is not None and dev.unread == 2 and dev.mentions == 0
    feed(model, message(50, text="alice: look"))        # live, on top
    assert (dev.unread, dev.mentions) == (3, 1)
    feed(model, f"{S} MARKREAD #dev timestamp={timestamp(BASE + 40)}")   # my other client
    assert (dev.unread, dev.mentions) == (1, 1)
    feed(model, f"{S} MARKREAD #dev timestamp={timestamp(BASE + 30)}")   # never backwards
    assert dev.unread == 1


def test_no_marker_leaves_the_count_as_it_was(model: ClientModel) -> None:
    feed(model, f":{ALICE} JOIN #dev", f"{S} MARKREAD #dev *", f"{S} 366 alice #dev :End")
    model.switch(0)
    feed(model, *batch("h1", "#dev", message(10)), message(50))
    dev = model.find("#dev")
    assert dev is not None and dev.read.marker is None and dev.unread == 1   # the live one


def test_reading_sends_markread_debounced(model: ClientModel) -> None:
    join(model, "#dev")
    sent(model)
    dev = model.find("#dev")
    assert dev is not None
    model.show(dev)
    feed(model, message(10), message(11))
    assert sent(model, now=100.0) == []                  # not seen yet
    model.markers.seen(dev)
    assert sent(model, now=100.0) == [f"MARKREAD #dev timestamp={timestamp(BASE + 11)}"]
    feed(model, message(12))
    model.markers.seen(dev)
    assert sent(model, now=101.0) == []                  # too soon after the last
    feed(model, message(13))
    model.markers.seen(dev)
    assert sent(model, now=102.5) == [f"MARKREAD #dev timestamp={timestamp(BASE + 13)}"]
    assert sent(model, now=110.0) == []                  # nothing newer
    feed(model, f"{S} MARKREAD #dev timestamp={timestamp(BASE + 20)}")   # read elsewhere
    feed(model, message(15))
    model.markers.seen(dev)
    assert sent(model, now=120.0) == []                  # older than the server's marker


def test_only_server_messages_count_as_read(model: ClientModel) -> None:
    join(model, "#dev")
    dev = model.find("#dev")
    assert dev is not None
    model.add_own("#dev", "typed, not echoed yet")       # no msgid: no server time
    feed(model, f"{S} NOTICE alice :server notice")
    model.markers.seen(dev)
    assert dev.read.seen == 0.0


def test_no_markread_without_an_account_or_the_capability() -> None:
    for account, caps in (("", CAPS), ("alice", CAPS.replace(" draft/read-marker", ""))):
        model = ClientModel("alice")
        connect(model, account=account, offered=caps)
        if "read-marker" not in caps:
            model.caps.discard("draft/read-marker")
        join(model, "#dev")
        feed(model, message(10))
        dev = model.find("#dev")
        assert dev is not None
        model.markers.seen(dev)
        assert [line for line in sent(model) if line.startswith("MARKREAD")] == []


def test_a_private_chat_asks_its_marker_and_history(model: ClientModel) -> None:
    feed(model, message(10, room="alice", text="psst"))
    assert sent(model) == ["CHATHISTORY LATEST bob * 50", "MARKREAD bob"]
    feed(model, f"{S} MARKREAD bob timestamp={timestamp(BASE + 5)}")
    bob = model.find("bob")
    assert bob is not None and (bob.unread, bob.mentions) == (1, 1)
    feed(model, f"{S} MARKREAD bob timestamp={timestamp(BASE + 10)}")
    assert (bob.unread, bob.mentions) == (0, 0)


def test_an_echoed_identify_is_not_shown(model: ClientModel) -> None:
    """With echo-message, what I send NickServ comes back: a password is not shown."""
    feed(model, f"@msgid=e1 :{ALICE} PRIVMSG NickServ :IDENTIFY alice hunter2",
         f"@msgid=e2 :{ALICE} PRIVMSG NickServ :INFO bob")
    nickserv = model.find("NickServ")
    assert nickserv is not None
    assert [line.text for line in nickserv.lines] == ["INFO bob"]


def test_a_server_without_room_info_is_not_noise(model: ClientModel) -> None:
    join(model, "#dev")
    assert "ROOM INFO #dev" in sent(model)
    before = texts(model, "#dev")
    feed(model, f"{S} 421 alice ROOM :Unknown command")      # the automatic request's
    assert texts(model, "#dev") == before
    feed(model, f"{S} 421 alice ROOM :Unknown command")      # what the user typed
    assert texts(model, "#dev")[-1] == "ROOM: Unknown command"
    join(model, "#ops")
    assert "ROOM INFO #ops" in sent(model)
    feed(model, f"{S} FAIL ROOM NO_SUCH_ROOM #ops :No such room")
    assert "ROOM: No such room" not in texts(model, "#dev") + texts(model, "#ops")


def test_after_the_users_room_command_the_owner_is_asked_again(model: ClientModel) -> None:
    join(model, "#dev")
    sent(model)
    feed(model, f"{S} NOTE ROOM NOT_REGISTERED #dev :#dev is not registered")
    for line in ("ROOM REGISTER #dev", "ROOM INFO #dev", "ROOM AMODE #nowhere +o bob"):
        model.accounts.sent(parse_line(line))
    assert sent(model) == ["ROOM INFO #dev"]           # after REGISTER only
    feed(model, f"{S} NOTE ROOM REGISTERED #dev alice 1795576156 :#dev is registered to alice")
    dev = model.find("#dev")
    assert dev is not None and dev.owner == "alice"
    assert "#dev is registered" not in " ".join(texts(model, "#dev"))
