"""Rooms and history survive a restart: two real servers, one after the other, on the
same data directory (a real SQLite file); what the second shows, clients see."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.protocol import casefold
from ircish.server.config import RoomSpec
from ircish.server.server import Server
from ircish.server.store import conversation_key
from ircish.server.store.sqlite import SqliteStore

from .conftest import SERVER_NAME, src, together
from .ircclient import Client

Start = Callable[..., Server]


def client(server: Server, nick: str) -> Client:
    c = Client(server.address, nick)
    c.register(nick)
    return c


def restart(start_server: Start, old: Server, **overrides: object) -> Server:
    data_dir = old.settings.data_dir
    old.stop()
    return start_server(data_dir=data_dir, **overrides)


def test_a_room_comes_back_with_its_topic_modes_key_limit_and_bans(
        start_server: Start, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    alice = client(first, "alice")
    alice.join("#plans")
    alice.drain()
    alice.send("TOPIC #plans :Ship it on Friday")
    alice.send("MODE #plans +imk-n sesame")
    alice.send("MODE #plans +l 12")
    alice.send("MODE #plans +b troll!*@*")
    alice.send("MODE #plans +b spam*!*@*")
    alice.expect(r"MODE #plans \+b spam\*!\*@\*")
    plans = first.rooms.get("#plans")
    created, bans = plans.created, [(b.mask, b.set_at) for b in plans.bans.values()]

    second = restart(start_server, first)
    bob = client(second, "bob")
    bob.send("LIST #plans")
    bob.expect_exact(f":{SERVER_NAME} 321 bob Channel :Users  Name",
                     f":{SERVER_NAME} 322 bob #plans 0 :Ship it on Friday",
                     f":{SERVER_NAME} 323 bob :End of /LIST")
    bob.send("MODE #plans b")
    bob.expect_exact(*[f":{SERVER_NAME} 367 bob #plans {mask} {src('alice')[1:]} {at}"
                       for mask, at in bans],
                     f":{SERVER_NAME} 368 bob #plans :End of channel ban list")
    bob.send("MODE #plans")
    bob.expect_exact(f":{SERVER_NAME} 324 bob #plans +iklmt * 12",
                     f":{SERVER_NAME} 329 bob #plans {created}")
    room = second.rooms.get("#plans")
    assert room.modes == {"i", "m", "t"}
    assert (room.key, room.limit, room.created) == ("sesame", 12, created)
    assert room.topic is not None and room.topic.setter == src("alice")[1:]
    bob.send("JOIN #plans sesame")
    bob.expect_exact(f":{SERVER_NAME} 473 bob #plans :Cannot join channel (+i)")
    alice.close()


def test_whoever_rejoins_a_restored_room_first_is_not_its_operator(
        start_server: Start, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    alice = client(first, "alice")
    alice.join("#cafe")
    alice.drain()
    alice.close()  # #cafe empties and is dropped...
    bob = client(first, "bob")
    bob.join("#bar")
    second = restart(start_server, first)  # ...#bar exists at shutdown
    assert second.rooms.find("#cafe") is None
    mallory = client(second, "mallory")
    mallory.send("JOIN #bar")
    mallory.expect_exact(f"{src('mallory')} JOIN #bar",
                         f":{SERVER_NAME} 353 mallory = #bar :mallory",
                         f":{SERVER_NAME} 366 mallory #bar :End of /NAMES list.")
    mallory.send("MODE #bar +i")
    mallory.expect_exact(f":{SERVER_NAME} 482 mallory #bar :You're not channel operator")
    mallory.send("PART #bar")
    mallory.expect(r" PART #bar")
    third = restart(start_server, second)  # a restored room that empties is dropped too
    assert third.rooms.find("#bar") is None


def oper_client(server: Server, nick: str) -> Client:
    """A client whose user is a server operator (who may set a default room's topic)."""
    c = client(server, nick)
    user = server.nicks.get(nick)
    assert user is not None
    user.modes.add("o")
    return c


def test_rooms_yaml_wins_for_what_it_sets(start_server: Start, tmp_path: Path) -> None:
    rooms = [RoomSpec("#general", "Welcome"), RoomSpec("#dev")]
    first = start_server(data_dir=tmp_path / "data", rooms=rooms)
    welcome = first.rooms.get("#general").topic
    oper = oper_client(first, "oper")
    oper.send("TOPIC #dev :Builds and reviews")
    oper.send("MODE #dev +k hush")
    oper.expect(r"MODE #dev \+k hush")
    oper.close()

    second = restart(start_server, first, rooms=rooms)
    assert second.rooms.get("#general").topic == welcome  # unchanged: same setter and time
    dev = second.rooms.get("#dev")
    assert dev.topic is not None and dev.topic.text == "Builds and reviews"
    assert dev.key == "hush"  # what rooms.yaml does not set comes back
    oper = oper_client(second, "oper")
    oper.send("TOPIC #general :Changed")
    oper.expect(r"TOPIC #general :Changed")
    oper.close()

    third = restart(start_server, second, rooms=rooms)
    topic = third.rooms.get("#general").topic
    assert topic is not None and topic.text == "Welcome"  # rooms.yaml sets it: it wins


def test_history_outlives_the_room_and_the_server(start_server: Start, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    alice, bob = client(first, "alice"), client(first, "bob")
    alice.join("#tmp")
    alice.drain()
    alice.send("PRIVMSG #tmp :anyone here?")
    alice.send("PRIVMSG bob :psst")
    alice.send("PART #tmp")  # the room is dropped
    alice.expect(r" PART #tmp")
    bob.expect(r"PRIVMSG bob :psst")
    second = restart(start_server, first)
    store = second.archive.store
    assert second.rooms.find("#tmp") is None
    kept = store.latest("#tmp", None, 10, events=False)
    assert [(r.source, r.command, r.params) for r in kept] == [
        (src("alice")[1:], "PRIVMSG", ("#tmp", "anyone here?"))]
    events = store.latest("#tmp", None, 10, events=True)
    assert [r.command for r in events] == ["JOIN", "PRIVMSG", "PART"]
    # neither is logged in: the conversation of two nicks (kept, read by no one)
    private = store.latest(conversation_key("!alice", "!bob"), None, 10, events=False)
    assert [(r.sender_key, r.text) for r in private] == [("alice", "psst")]
    assert all(r.msgid for r in events + private)


def test_what_is_kept_and_what_is_not(start_server: Start, tmp_path: Path) -> None:
    server = start_server(data_dir=tmp_path / "data")
    a, b = client(server, "alice"), client(server, "bob")
    for c in (a, b):
        c.send("CAP REQ :message-tags")
        c.expect(r"CAP \S+ ACK")
        c.join("#room")
    a.drain()
    b.drain()
    a.send("@+typing=active TAGMSG #room")          # fleeting: not kept
    a.send("@+draft/react=👍;+draft/reply=x TAGMSG #room")  # a reaction: kept
    a.send("PRIVMSG @#room :for operators only")    # STATUSMSG: not kept
    a.send("NOTICE #room :heads up")
    a.send("NICK alicia")
    a.send("TOPIC #room :new")
    b.expect(r"TOPIC #room :new")
    kept = server.archive.store.latest(casefold("#room"), None, 20, events=True)
    assert [(r.command, r.params[-1] if r.params else "") for r in kept] == [
        ("JOIN", "#room"), ("JOIN", "#room"), ("TAGMSG", "#room"), ("NOTICE", "heads up"),
        ("NICK", "alicia"), ("TOPIC", "new")]
    assert dict(kept[2].tags) == {"+draft/react": "👍", "+draft/reply": "x"}
    messages = server.archive.store.latest("#room", None, 20, events=False)
    assert [r.command for r in messages] == ["NOTICE"]


def isupport(server: Server) -> list[str]:
    """The 005 tokens a new client gets."""
    c = Client(server.address, "probe")
    c.send("NICK probe")
    c.send("USER probe 0 * :Probe")
    burst = c.collect(r" (376|422) ")
    c.close()
    return [t for line in burst if " 005 " in line
            for t in line.split(" 005 probe ")[1].split(" :")[0].split(" ")]


def test_history_tokens_in_005_only_with_history(start_server: Start, tmp_path: Path) -> None:
    kept = isupport(start_server(data_dir=tmp_path / "kept"))
    assert "CHATHISTORY=100" in kept and "MSGREFTYPES=timestamp,msgid" in kept
    forgotten = isupport(start_server(data_dir=tmp_path / "none", no_history=True))
    assert not [t for t in forgotten if t.startswith(("CHATHISTORY", "MSGREFTYPES"))]
    assert "NETWORK=ircish" in forgotten  # the burst was read


def test_no_history_keeps_nothing_and_offers_nothing(start_server: Start,
                                                     tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data", no_history=True)
    alice = client(first, "alice")
    alice.send("CAP LS 302")
    line = alice.expect(r"CAP alice LS :(.*)").group(1)
    assert "chathistory" not in line and "soju.im/search" not in line
    alice.join("#gone")
    alice.drain()
    second = restart(start_server, first, no_history=True)
    assert second.rooms.find("#gone") is None
    assert not (tmp_path / "data").exists()


def test_a_full_disk_degrades_history_never_the_chat(
        start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ircish.server.store")
    server = start_server(data_dir=tmp_path / "data", flood_control=False)
    store = server.archive.store
    assert isinstance(store, SqliteStore)
    alice, bob = client(server, "alice"), client(server, "bob")
    together("#full", alice, bob)
    alice.send("PRIVMSG #full :kept")
    bob.expect_exact(f"{src('alice')} PRIVMSG #full :kept")
    assert [r.text for r in store.latest("#full", None, 10, events=False)] == ["kept"]

    def fill_the_disk(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    store._on_writer(fill_the_disk)
    for i in range(60):
        alice.send(f"PRIVMSG #full :{i} {'x' * 400}")  # the chat goes on...
        bob.expect_exact(f"{src('alice')} PRIVMSG #full :{i} {'x' * 400}")
    alice.send("PING :still here")
    alice.expect(r"PONG \S+ :still here")
    texts = [r.text for r in store.latest("#full", None, 100, events=False)]
    dropped = store.stats().dropped
    # what still fitted in the last pages is kept, the rest is lost, and counted
    assert texts[0] == "kept" and len(texts) < 61 and dropped >= 61 - len(texts)
    lost = [r for r in caplog.records if "lost" in r.getMessage()]
    assert len(lost) == 1 and "full" in lost[0].getMessage()  # ...logged once, not per line
