"""The client's state fed with IRC lines, no terminal: buffers, members, unread, mentions."""
from __future__ import annotations

import pytest

from ircish.client.model import Buffer, ClientModel
from ircish.protocol import parse_line

S = ":irc.test"
ALICE = "alice!~alice@127.0.0.1"
BOB = "bob!~bob@10.0.0.2"
CAROL = "carol!~carol@10.0.0.3"


def feed(model: ClientModel, *lines: str) -> None:
    for line in lines:
        model.feed(parse_line(line))


def texts(buf: Buffer | None) -> list[str]:
    assert buf is not None
    return [line.text for line in buf.lines]


def joined(model: ClientModel, room: str, *others: str) -> None:
    """The burst a server sends when alice joins `room` where `others` already are."""
    names = " ".join(["alice", *others])
    feed(model, f":{ALICE} JOIN {room}",
         f"{S} 353 alice = {room} :{names}", f"{S} 366 alice {room} :End of /NAMES list.")


@pytest.fixture
def model() -> ClientModel:
    m = ClientModel("alice")
    feed(m, f"{S} 001 alice :Welcome to the ircish IRC network {ALICE}",
         f"{S} 005 alice PREFIX=(ov)@+ CASEMAPPING=ascii :are supported by this server")
    return m


def nicks(model: ClientModel, room: str) -> list[str]:
    buf = model.find(room)
    assert buf is not None
    return [model.features.sign(m.modes) + m.nick for m in buf.sorted_members(model.features)]


def test_welcome_sets_nick_and_source(model: ClientModel) -> None:
    assert model.registered and model.nick == "alice" and model.own_source == ALICE
    assert texts(model.server) == [f"Welcome to the ircish IRC network {ALICE}"]


def test_join_burst_fills_members_and_topic_quietly(model: ClientModel) -> None:
    model.focus_on_join(["#general"])
    feed(model, f":{ALICE} JOIN #general",
         f"{S} 332 alice #general :Anything goes",
         f"{S} 353 alice = #general :alice @bob",
         f"{S} 353 alice = #general :+carol",
         f"{S} 366 alice #general :End of /NAMES list.")
    room = model.buffer
    assert room.name == "#general" and room.joined and room.topic == "Anything goes"
    assert nicks(model, "#general") == ["@bob", "+carol", "alice"]
    assert texts(room) == ["You joined #general", "Topic: Anything goes"]


def test_join_without_asking_does_not_steal_focus(model: ClientModel) -> None:
    joined(model, "#dev")
    assert model.buffer is model.server


def test_names_asked_for_is_shown_in_the_current_buffer(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    feed(model, f"{S} 353 alice = #general :alice @bob", f"{S} 366 alice #general :End")
    assert texts(model.server)[-1] == "Members of #general (2): @bob alice"
    assert nicks(model, "#general") == ["@bob", "alice"]


def test_others_join_part_quit_across_rooms(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    joined(model, "#dev", "bob")
    feed(model, f":{CAROL} JOIN #dev")
    assert nicks(model, "#dev") == ["alice", "bob", "carol"]
    feed(model, f":{CAROL} PART #dev :lunch")
    assert texts(model.find("#dev"))[-2:] == ["carol (~carol@10.0.0.3) joined #dev",
                                             "carol left #dev (lunch)"]
    feed(model, f":{BOB} QUIT :Quit: bye")
    for room in ("#general", "#dev"):
        assert texts(model.find(room))[-1] == "bob quit (Quit: bye)"
        assert nicks(model, room) == ["alice"]


def test_own_part_keeps_the_buffer_but_forgets_the_room(model: ClientModel) -> None:
    joined(model, "#dev", "bob")
    feed(model, f":{ALICE} PART #dev")
    dev = model.find("#dev")
    assert dev is not None and not dev.joined and dev.members == {}
    assert texts(dev)[-1] == "You left #dev"
    assert model.rooms_to_rejoin() == []


def test_nick_change_everywhere_once(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    joined(model, "#dev", "bob")
    feed(model, f":{BOB} PRIVMSG alice :hi")
    feed(model, f":{BOB} NICK robert")
    for name in ("#general", "#dev", "robert"):
        assert texts(model.find(name)).count("bob is now known as robert") == 1
    assert model.find("bob") is None           # the private chat follows the nick
    assert nicks(model, "#dev") == ["alice", "robert"]


def test_my_own_nick_change(model: ClientModel) -> None:
    joined(model, "#general")
    feed(model, f":{ALICE} NICK alicia")
    assert model.nick == "alicia" and model.own_source == "alicia!~alice@127.0.0.1"
    assert texts(model.find("#general"))[-1] == "You are now known as alicia"
    assert texts(model.server)[-1] == "You are now known as alicia"   # where I am
    assert nicks(model, "#general") == ["alicia"]


def test_room_messages_unread_and_mentions(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    joined(model, "#dev", "bob")
    model.switch_to("#dev")
    feed(model, f":{BOB} PRIVMSG #general :morning all",
         f":{BOB} PRIVMSG #general :Alice: are you there?",
         f":{BOB} PRIVMSG #general :malice is not a mention",
         f":{BOB} PRIVMSG #dev :this one I see")
    general = model.find("#general")
    assert general is not None
    assert (general.unread, general.mentions) == (3, 1)
    assert [line.highlight for line in general.lines if line.kind == "message"] == [False, True, False]
    assert model.buffer.unread == 0
    model.switch_to("general")
    assert (general.unread, general.mentions) == (0, 0)


def test_status_lines_do_not_count_as_unread(model: ClientModel) -> None:
    joined(model, "#general")
    feed(model, f":{BOB} JOIN #general", f":{BOB} NICK bobby", f":{CAROL} TOPIC #general :x")
    general = model.find("#general")
    assert general is not None and general.unread == 0 and general.topic == "x"


def test_private_messages_open_a_buffer_and_count_as_mentions(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    model.switch_to("#general")
    feed(model, f":{BOB} PRIVMSG alice :psst", f":{BOB} PRIVMSG alice :\x01ACTION winks\x01")
    query = model.find("bob")
    assert query is not None and query.kind == "query"
    assert [(line.kind, line.nick, line.text) for line in query.lines] == \
           [("message", "bob", "psst"), ("action", "bob", "winks")]
    assert (query.unread, query.mentions) == (2, 2)
    assert texts(model.buffer)[-1] == \
        "Private message from bob: psst [buffer 3: Alt-3 or /buffer bob]"


def test_own_messages_are_echoed_without_unread(model: ClientModel) -> None:
    joined(model, "#general")
    model.switch_to("#general")
    model.add_own("#general", "hello")
    model.add_own("carol", "hi carol")     # /msg: opens the chat, says so here
    carol = model.find("carol")
    assert carol is not None and texts(carol) == ["hi carol"] and carol.unread == 0
    assert model.buffer.name == "#general"
    assert texts(model.buffer)[-2:] == ["hello", "-> carol: hi carol"]


def test_ctcp_other_than_action_is_not_shown(model: ClientModel) -> None:
    feed(model, f":{BOB} PRIVMSG alice :\x01VERSION\x01")
    assert model.find("bob") is None


def test_errors_land_in_the_current_buffer(model: ClientModel) -> None:
    joined(model, "#general")
    model.switch_to("#general")
    feed(model, f"{S} 401 alice zed :No such nick/channel",
         f"{S} 421 alice FROB :Unknown command",
         f"{S} 433 alice bob :Nickname is already in use")
    assert [(line.kind, line.text) for line in model.buffer.lines][-3:] == [
        ("error", "zed: No such nick/channel"), ("error", "FROB: Unknown command"),
        ("error", "bob: Nickname is already in use")]


def test_list_replies_are_readable_and_remembered(model: ClientModel) -> None:
    feed(model, f"{S} 321 alice Channel :Users  Name",
         f"{S} 322 alice #dev 3 :Building things", f"{S} 323 alice :End of /LIST")
    assert texts(model.server)[-2:] == ["Rooms (members, topic):", "  #dev (3) Building things"]
    assert list(model.known_rooms.values()) == ["#dev"]


def test_whois_replies(model: ClientModel) -> None:
    feed(model, f"{S} 311 alice bob ~bob 10.0.0.2 * :Bob B",
         f"{S} 319 alice bob :#general #dev", f"{S} 301 alice bob :at lunch",
         f"{S} 318 alice bob :End of /WHOIS list.")
    assert texts(model.server)[-3:] == ["bob is ~bob@10.0.0.2 (Bob B)", "bob is in #general #dev",
                                        "bob is away: at lunch"]


def test_who_replies(model: ClientModel) -> None:
    feed(model, f"{S} 352 alice #general ~bob 10.0.0.2 irc.test bob G@ :0 Bob B",
         f"{S} 352 alice #general ~bob 10.0.0.2 irc.test odd",      # too short: shown as is
         f"{S} 315 alice #general :End of /WHO list.")
    assert texts(model.server)[-2:] == ["  bob (~bob@10.0.0.2) in #general (away): Bob B",
                                        "#general ~bob 10.0.0.2 irc.test: odd"]


def test_mode_changes_prefixes(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    feed(model, f":{BOB} MODE #general +o alice")
    assert nicks(model, "#general") == ["@alice", "bob"]
    feed(model, f":{BOB} MODE #general -o alice")
    assert nicks(model, "#general") == ["alice", "bob"]


def test_disconnect_and_rejoin_list(model: ClientModel) -> None:
    joined(model, "#general", "bob")
    joined(model, "#dev")
    feed(model, f":{ALICE} PART #dev")
    model.set_connection("connected")
    model.switch_to("#general")
    model.set_connection("disconnected", "Connection lost (Connection reset); retrying in 1 s")
    model.set_connection("disconnected", "Cannot connect to h:1 (Connection refused); retrying in 2 s")
    general = model.buffer
    assert not general.joined and general.members == {}
    assert model.rooms_to_rejoin() == ["#general"]
    # the drop is told once where I am, every retry in the server buffer
    assert texts(general)[-1] == "Connection lost (Connection reset); retrying in 1 s"
    assert texts(model.server)[-2:] == ["Connection lost (Connection reset); retrying in 1 s",
                                        "Cannot connect to h:1 (Connection refused); retrying in 2 s"]


def test_buffers_switch_cycle_and_close(model: ClientModel) -> None:
    joined(model, "#general")
    joined(model, "#dev")
    model.open_query("Bob")
    assert [b.name for b in model.buffers][1:] == ["#general", "#dev", "Bob"]
    assert model.buffer.name == "Bob"
    model.cycle(+1)
    assert model.buffer is model.server
    model.cycle(-1)
    assert model.buffer.name == "Bob"
    assert model.switch_to("bob") and model.switch_to("DEV") and model.buffer.name == "#dev"
    assert not model.switch_to("nothing")
    model.open_query("dev")                                  # a nick and a room: #dev and dev
    assert model.switch_to("#dev") and model.buffer.name == "#dev"
    assert model.switch_to("dev") and model.buffer.name == "dev"
    model.close(model.buffer)
    model.switch_to("#dev")
    assert not model.switch(9)
    model.close(model.buffer)
    assert model.buffer.name == "#general"
    assert [b.name for b in model.buffers][1:] == ["#general", "Bob"]


def test_invitations_and_moderation_replies_read_as_sentences(model: ClientModel) -> None:
    feed(model, ":bob!b@h INVITE alice #secret",
         ":bob!b@h INVITE carol #mine",
         f"{S} 341 alice carol #mine",
         f"{S} 367 alice #mine *!*@spam.example bob 1700000000",
         f"{S} 368 alice #mine :End of channel ban list",
         f"{S} 730 alice :dave!d@h")
    texts = [line.text for line in list(model.buffer.lines)[-5:]]
    assert texts == ["bob invites you to #secret (/join #secret)",
                     "bob invites carol to #mine",
                     "You invited carol to #mine",
                     "  #mine bans *!*@spam.example (set by bob)",
                     "Online: dave!d@h"]
