"""End to end: history in the client against the real server (its SQLite history in the
test's directory), over real sockets. The whole client runs in this process (keys
through a pipe, as in test_client_app), bob on a raw socket; one test reads the screen
through a pseudo-terminal (as in test_client_e2e)."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from ircish.client.buffers import TALK
from ircish.client.history import SEARCH_BUFFER
from ircish.client.view import BUFFER_LIST_WIDTH, MEMBER_LIST_WIDTH
from ircish.protocol import Message
from ircish.server.server import Server

from .conftest import Connect
from .ircclient import Client
from .test_client_app import Running, client_app, data_home  # noqa: F401 (a fixture)
from .test_client_e2e import COLS, Terminal, terminal  # noqa: F401 (a fixture)

PAGE_UP, ENTER, UP = "\x1b[5~", "\r", "\x1b[A"


def recorded(alice: Running) -> list[Message]:
    """What the client sends from now on (install before it connects)."""
    sent: list[Message] = []
    send = alice.chat.send

    def record(msg: Message) -> bool:
        sent.append(msg)
        return send(msg)
    alice.chat.send = record  # type: ignore[method-assign]
    return sent


def asked(sent: list[Message], command: str = "CHATHISTORY") -> list[str]:
    return [m.to_line() for m in sent if m.command == command]


def said(bob: Client, *texts: str, room: str = "#general") -> None:
    """bob says each text; the PING round trip means the server has recorded them."""
    for text in texts:
        bob.send(f"PRIVMSG {room} :{text}")
    bob.send("PING :recorded")
    bob.expect(r"PONG .*recorded")


def talk(alice: Running, name: str) -> list[str]:
    buf = alice.model.find(name)
    return [line.text for line in buf.lines if line.kind in TALK] if buf else []


def colours(term: Terminal, row: int) -> set[str]:
    """The colours of the written characters of the message pane's `row`."""
    chars = term.screen.buffer[row]
    left, right = BUFFER_LIST_WIDTH + 1, COLS - MEMBER_LIST_WIDTH - 1
    return {chars[x].fg for x in range(left, right) if chars[x].data.strip()}


def test_history_is_shown_above_the_join_line_dimmed(
        terminal: Callable[..., Terminal], connect: Callable[..., Client]) -> None:  # noqa: F811
    bob = connect("bob")
    bob.join("#general")
    said(bob, "said before alice came", "\x01ACTION waves\x01")

    alice = terminal("--nick", "alice")
    alice.expect(r"-- You joined #general")
    alice.expect(r"\d\d:\d\d \* bob waves")
    history, action, joined = (alice.line_with(text) for text in (
        "<bob> said before alice came", "* bob waves", "-- You joined #general"))
    assert history < action < joined
    assert colours(alice, history) == {"brightblack"}, "history is dimmed, its nick too"

    bob.send("PRIVMSG #general :and now live")
    alice.expect(r"<bob> and now live")
    assert "default" in colours(alice, alice.line_with("<bob> and now live"))
    alice.type(PAGE_UP)                       # all of it fits: nothing older, and it says so
    alice.expect(r"\[online\] \[beginning of history\]")


def test_a_reconnect_catches_up_without_duplicates(server: Server,
                                                   connect: Callable[..., Client]) -> None:
    bob = connect("bob")
    bob.join("#general")
    said(bob, "before alice came")

    async def scenario() -> list[Message]:
        async with client_app(server, "--nick", "alice") as alice:
            sent = recorded(alice)
            await alice.until(lambda: "before alice came" in talk(alice, "#general"))
            bob.expect(r"JOIN #general")
            said(bob, "live while alice is here")
            await alice.type("hello bob\r")
            await alice.until(lambda: talk(alice, "#general")[-2:] == [
                "live while alice is here", "hello bob"])
            await alice.type("/quote QUIT :brb\r")
            await alice.until(lambda: alice.model.connection == "disconnected")
            said(bob, "while alice was away")
            await alice.until(lambda: "while alice was away" in talk(alice, "#general"), 10)
            await alice.until(lambda: not alice.model.buffer.history.loading)
            assert talk(alice, "#general") == ["before alice came", "live while alice is here",
                                               "hello bob", "while alice was away"]
            buf = alice.model.buffer
            lines = [line.text for line in buf.lines]
            rejoined = len(lines) - 1 - lines[::-1].index("You joined #general")
            assert lines.index("hello bob") < lines.index("while alice was away") < rejoined
            assert [line.history for line in buf.lines if line.kind == "message"] == \
                   [True, False, False, True]
            return sent
    sent = asyncio.run(scenario())
    first, again = asked(sent)
    assert first == "CHATHISTORY LATEST #general * 50"
    assert re.fullmatch(r"CHATHISTORY LATEST #general msgid=\S+ 50", again), again


def test_a_long_outage_is_caught_up_in_full(start_server: Callable[..., Server],
                                            connect: Callable[..., Client]) -> None:
    server = start_server(history_query_limit=5, flood_control=False)
    bob = connect("bob", target=server)
    bob.join("#general")
    away = [f"while away {n}" for n in range(17)]

    async def scenario() -> list[Message]:
        async with client_app(server, "--nick", "alice") as alice:
            sent = recorded(alice)
            await alice.until(lambda: alice.model.buffer.joined)
            said(bob, "seen live")
            await alice.until(lambda: "seen live" in talk(alice, "#general"))
            await alice.type("/quote QUIT :brb\r")
            await alice.until(lambda: alice.model.connection == "disconnected")
            said(bob, *away)
            await alice.until(lambda: "while away 16" in talk(alice, "#general"), 10)
            await alice.until(lambda: not alice.model.buffer.history.loading)
            assert talk(alice, "#general") == ["seen live", *away]
            return sent
    sent = asyncio.run(scenario())
    kinds = [r.split()[1] for r in asked(sent)]
    assert kinds[:2] == ["LATEST", "LATEST"] and set(kinds[2:]) == {"BETWEEN"}
    assert len(kinds) >= 4        # 17 lines and alice's QUIT, 5 a page: the gap took pages


def test_page_up_at_the_top_loads_older_history_until_the_beginning(
        start_server: Callable[..., Server], connect: Callable[..., Client]) -> None:
    server = start_server(history_query_limit=10, flood_control=False)
    bob = connect("bob", target=server)
    bob.join("#general")
    said(bob, *(f"message {n}" for n in range(1, 26)))
    expected = [f"message {n}" for n in range(1, 26)]

    async def scenario() -> list[Message]:
        async with client_app(server, "--nick", "alice") as alice:
            sent = recorded(alice)
            await alice.until(lambda: "message 25" in talk(alice, "#general"))
            buf = alice.model.buffer
            assert talk(alice, "#general")[0] != "message 1"      # a page, not all of it
            assert not buf.history.beginning
            for _ in range(40):
                if buf.history.beginning and alice.chat.view.messages.at_top:
                    break
                await alice.type(PAGE_UP)
                await alice.until(lambda: not buf.history.loading)
            assert talk(alice, "#general") == expected            # each once, in order
            status = "".join(text for _, text, *_ in alice.chat.view.status_line())
            assert "[beginning of history]" in status
            await alice.type(PAGE_UP)                             # nothing more is asked
            return sent
    sent = asyncio.run(scenario())
    requests = asked(sent)
    assert requests[0] == "CHATHISTORY LATEST #general * 10"
    assert all(re.fullmatch(r"CHATHISTORY BEFORE #general msgid=\S+ 10", r)
               for r in requests[1:]), requests
    assert len(requests) <= 5     # 25 messages and a few events: three or four pages


def test_search_results_open_with_enter_or_goto_around_the_message(
        start_server: Callable[..., Server], connect: Callable[..., Client]) -> None:
    server = start_server(history_query_limit=5)
    bob = connect("bob", target=server)
    bob.join("#dev")
    said(bob, "the deploy is on friday", *(f"filler {n}" for n in range(8)),
         "deploy done", room="#dev")

    async def scenario() -> list[Message]:
        async with client_app(server, "--nick", "alice", "--join", "#general,#dev") as alice:
            sent = recorded(alice)
            await alice.until(lambda: "deploy done" in talk(alice, "#dev"))
            assert "the deploy is on friday" not in talk(alice, "#dev")   # not on the page
            await alice.type("/search deploy in #dev\r")
            await alice.until(lambda: alice.model.buffer.name == SEARCH_BUFFER)
            results = alice.model.buffer
            assert [(line.label, line.nick, line.text) for line in results.lines
                    if line.kind == "result"] == [("1 #dev", "bob", "the deploy is on friday"),
                                                  ("2 #dev", "bob", "deploy done")]
            assert results.selected == 1
            await alice.type(UP)                      # the older one
            assert results.selected == 0
            await alice.type(ENTER)
            await alice.until(lambda: "the deploy is on friday" in talk(alice, "#dev"))
            dev = alice.model.buffer
            assert dev.name == "#dev"
            found = next(line for line in dev.lines if line.text == "the deploy is on friday")
            assert found.history and dev.history.found == found.msgid
            assert talk(alice, "#dev").index("the deploy is on friday") == 0   # by its time
            await asyncio.sleep(0.1)                  # drawn: the jump is done
            assert dev.history.jump_to == ""

            await alice.type("/buffer (search)\r")
            await alice.type("/goto 2\r")             # already here: nothing more to ask
            assert alice.model.buffer is dev and dev.history.found != found.msgid
            await alice.type("/goto 9\r")
            assert alice.model.buffer.lines[-1].text == "No result 9: there are 2"
            return sent
    sent = asyncio.run(scenario())
    assert asked(sent, "SEARCH") == ["SEARCH text=deploy;in=#dev;limit=50"]
    [around] = [r for r in asked(sent) if "AROUND" in r]      # /goto 2 needed none
    assert re.fullmatch(r"CHATHISTORY AROUND #dev msgid=\S+ 5", around), around


def test_redactions_mine_and_others_are_shown_as_removed(server: Server,
                                                         capped: Connect) -> None:
    bob = capped("bob", "message-tags echo-message draft/message-redaction")
    bob.join("#general")
    bob.drain()

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.joined)
            await alice.type("oops, wrong room\r")
            msgid = bob.expect(r"msgid=([^; ]+).* PRIVMSG #general :oops, wrong room")[1]
            await alice.until(lambda: "oops, wrong room" in talk(alice, "#general"))
            await alice.type("/redact\r")
            bob.expect(rf"^@\S+ :alice!\S+ REDACT #general {re.escape(msgid)}$")
            await alice.until(lambda: talk(alice, "#general") == ["(message removed)"])

            bob.send("PRIVMSG #general :buy cheap watches")
            spam = bob.expect(r"msgid=([^; ]+).* PRIVMSG #general :buy cheap watches")[1]
            await alice.until(lambda: "buy cheap watches" in talk(alice, "#general"))
            bob.send(f"REDACT #general {spam} :sorry, wrong window")
            await alice.until(lambda: talk(alice, "#general")[-1]
                              == "(message removed: sorry, wrong window)")
            removed = [line for line in alice.model.buffer.lines if line.redacted]
            assert [line.nick for line in removed] == ["alice", "bob"]

            await alice.type("/redact\r")          # nothing of mine left to remove
            assert alice.model.buffer.lines[-1].text == "You have no message here to remove"
    asyncio.run(scenario())


def test_without_the_capabilities_no_history_is_asked_for(
        start_server: Callable[..., Server], connect: Callable[..., Client]) -> None:
    server = start_server(no_history=True)
    bob = connect("bob", target=server)
    bob.join("#general")
    said(bob, "before alice came")

    async def scenario() -> list[Message]:
        async with client_app(server, "--nick", "alice") as alice:
            sent = recorded(alice)
            await alice.until(lambda: alice.model.buffer.joined)
            assert "draft/chathistory" not in alice.model.caps
            assert not {"batch", "echo-message", "message-tags"} & alice.model.caps
            assert talk(alice, "#general") == []             # as before: nothing replayed
            for _ in range(3):
                await alice.type(PAGE_UP)
            await alice.type("hello\r")
            assert talk(alice, "#general") == ["hello"]       # echoed at once, as before
            await alice.type("/search hello\r")
            assert alice.model.buffer.lines[-1].text == "This server does not offer search"
            await alice.type("/redact\r")
            assert alice.model.buffer.lines[-1].text == "This server cannot remove messages"
            bob.send("PRIVMSG alice :psst")
            await alice.until(lambda: alice.model.find("bob") is not None)
            bob.send("PING :done")
            bob.expect("PONG")
            await asyncio.sleep(0.1)
            assert not alice.model.buffer.history.loading
            return sent
    sent = asyncio.run(scenario())
    # (an ircish server with accounts is also asked who owns the room: not history)
    assert [m.command for m in sent if m.command != "ROOM"] == ["JOIN", "PRIVMSG"]
