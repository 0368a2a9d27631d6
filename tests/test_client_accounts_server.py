"""End to end against the real ircish server (its accounts in the test's directory), the
whole client in this process (keys through a pipe, as in test_client_app), other
people on raw sockets: logging in with SASL while connecting (SCRAM-SHA-256, and PLAIN),
a refused password; /register, and /login, /logout and /login again; read markers
shared by two clients of one account, private history, a room's owner."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.client import sasl
from ircish.client.buffers import TALK
from ircish.client.link import Link
from ircish.commandspec import builtin_plugin_folder
from ircish.server.server import Server

from .ircclient import Client
from .test_client_app import Running, client_app

SLOW = 15.0        # seconds: answers to lines held back by the server's flood control
PASSWORD = "correct-horse-battery"  # ircish refuses spaces (NickServ IDENTIFY splits on them)


@pytest.fixture(autouse=True)
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The input history and the accounts file in the test's directory, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("IRCISH_PASSWORD", PASSWORD)


def needs(plugin: str) -> pytest.MarkDecorator:
    """For a test of what a server plugin brings, while that plugin is not merged yet."""
    return pytest.mark.skipif(not (builtin_plugin_folder() / plugin).exists(),
                              reason=f"the server has no {plugin} yet")


def mechanism(alice: Running) -> str:
    link = alice.chat.link
    assert isinstance(link, Link) and link.caps.sasl is not None
    return link.caps.sasl.mechanism


def talk(alice: Running, name: str) -> list[str]:
    buf = alice.model.find(name)
    return [line.text for line in buf.lines if line.kind in TALK] if buf else []


@pytest.mark.parametrize("preferred", ["SCRAM-SHA-256", "PLAIN"])
def test_sasl_at_connect(server: Server, connect: Callable[..., Client],
                         monkeypatch: pytest.MonkeyPatch, preferred: str) -> None:
    server.accounts.create("alice", PASSWORD)
    monkeypatch.setattr(sasl, "PREFERENCE", (preferred,))
    bob = connect("bob")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--sasl") as alice:
            await alice.until(lambda: alice.model.registered
                              and alice.model.accounts.account == "alice")
            assert mechanism(alice) == preferred
            assert "You are now logged in as alice" in [
                line.text for line in alice.model.server.lines]
            bob.send("WHOIS alice")
            bob.expect(r" 330 bob alice alice :is logged in as")
    asyncio.run(scenario())


def test_a_wrong_password_goes_on_without_an_account(server: Server,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    server.accounts.create("alice", "another password")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--sasl") as alice:
            await alice.until(lambda: alice.model.registered and alice.model.buffer.joined)
            assert alice.model.accounts.account is None
            server_lines = [line.text for line in alice.model.server.lines]
            assert any(text.startswith("Not logged in: ") for text in server_lines), \
                server_lines
            link = alice.chat.link
            assert link is not None and link.credentials is None   # not tried again
    asyncio.run(scenario())


def test_register_from_the_client(server: Server, connect: Callable[..., Client]) -> None:
    bob = connect("bob")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.joined)
            await alice.type("/register\r")
            await alice.type(PASSWORD + "\r")
            await alice.type(PASSWORD + "\r")
            await alice.until(lambda: alice.model.accounts.account == "alice")
            bob.send("WHOIS alice")
            bob.expect(r" 330 bob alice alice :is logged in as")
            assert server.accounts.check_password("alice", PASSWORD) is not None
            shown = " ".join(line.text for buf in alice.model.buffers for line in buf.lines)
            assert PASSWORD not in shown
    asyncio.run(scenario())


def test_login_logout_and_login_again(server: Server, connect: Callable[..., Client]) -> None:
    """Connected without logging in, on a server that keeps `alice` for its owner: the
    client is `alice_`, and /login still means the account alice (SASL again, the
    password hidden); /logout on ircish asks NickServ, and the connection stays."""
    server.accounts.create("alice", PASSWORD)
    bob = connect("bob")

    def whois_account(nick: str) -> list[str]:
        bob.send(f"WHOIS {nick}")
        return [line for line in bob.collect(rf" 318 bob {nick} ") if " 330 " in line]

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.joined)
            assert alice.model.nick == "alice_"
            for _ in range(2):
                await alice.type("/login\r")
                assert alice.model.password_prompt == "Password for account alice: "
                await alice.type(PASSWORD + "\r")
                await alice.until(lambda: alice.model.accounts.account == "alice", wait=SLOW)
                nick = alice.model.nick
                assert whois_account(nick) == [f":irc.test 330 bob {nick} alice :is logged in as"]
                await alice.type("/logout\r")
                await alice.until(lambda: alice.model.accounts.account is None, wait=SLOW)
                assert whois_account(alice.model.nick) == []
                assert alice.model.connection == "connected"        # no reconnect needed
            shown = " ".join(line.text for buf in alice.model.buffers for line in buf.lines)
            assert PASSWORD not in shown
    asyncio.run(scenario())


# --- what the server's read markers, private history and room owners bring (each test
# runs once the server has the plugin: checked against those branches merged) -------

@needs("markread.py")
def test_two_clients_of_one_account_agree_on_what_is_unread(
        server: Server, connect: Callable[..., Client]) -> None:
    """Reading #general in one client moves the server's read marker, which the other
    client of the same account uses for its unread count."""
    server.accounts.create("alice", PASSWORD)
    bob = connect("bob")
    bob.join("#general")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--sasl") as desk, \
                client_app(server, "--nick", "alice2", "--account", "alice",
                           "--sasl") as phone:
            for alice in (desk, phone):
                await alice.until(lambda a=alice: a.model.buffer.joined   # type: ignore[misc]
                                  and a.model.accounts.account == "alice")
                assert "draft/read-marker" in alice.model.caps
            phone.model.switch(0)                   # the phone shows its server buffer
            bob.send("PRIVMSG #general :one")
            bob.send("PRIVMSG #general :two")
            general = phone.model.find("#general")
            assert general is not None
            await phone.until(lambda: talk(phone, "#general")[-2:] == ["one", "two"])
            assert general.unread == 2
            # The desk shows #general at its bottom: read there, told to the server...
            await desk.until(lambda: talk(desk, "#general")[-2:] == ["one", "two"])
            # ... and the phone hears of it.
            await phone.until(lambda: general.unread == 0, wait=SLOW)
            assert general.read.marker is not None
    asyncio.run(scenario())


@needs("markread.py")
def test_private_history_comes_back_to_a_new_client(server: Server,
                                                    connect: Callable[..., Client]) -> None:
    server.accounts.create("alice", PASSWORD)
    bob = connect("bob")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--sasl") as alice:
            await alice.until(lambda: alice.model.accounts.account == "alice"
                              and alice.model.buffer.joined)
            bob.send("PRIVMSG alice :psst, remember this")
            await alice.until(lambda: talk(alice, "bob") == ["psst, remember this"])
            await alice.type("/buffer bob\r")
            await alice.type("noted\r")
            # (slow: the client's automatic requests at connect use up its flood tokens)
            bob.expect(r"PRIVMSG bob :noted$", wait=SLOW)
        async with client_app(server, "--nick", "alice", "--sasl") as again:
            await again.until(lambda: again.model.accounts.account == "alice"
                              and again.model.buffer.joined)
            await again.type("/query bob\r")
            await again.until(lambda: talk(again, "bob") == ["psst, remember this", "noted"],
                              wait=SLOW)
            query = again.model.find("bob")
            assert query is not None and all(line.history for line in query.lines
                                             if line.kind in TALK)
    asyncio.run(scenario())


@needs("room.py")
def test_a_registered_room_shows_its_owner(server: Server) -> None:
    """alice registers #books (`/room`, a command of the server's plugins); bob's client
    joining it asks who owns it, quietly, and shows it in the top line."""
    server.accounts.create("alice", PASSWORD)

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--sasl", "--join", "#books") as alice:
            await alice.until(lambda: alice.model.buffer.name == "#books"
                              and alice.model.buffer.joined
                              and alice.model.accounts.account == "alice")
            await alice.type("/room register #books\r")
            await alice.until(lambda: alice.model.buffer.owner == "alice", wait=SLOW)
            async with client_app(server, "--nick", "bob", "--join", "#books") as bob:
                await bob.until(lambda: bob.model.buffer.name == "#books"
                                and bob.model.buffer.owner == "alice", wait=SLOW)
                topic = "".join(fragment[1] for fragment in bob.chat.view.topic_line())
                assert topic.startswith(" #books (2 members) owner: alice |"), topic
                assert not any("registered" in text for text in bob.texts("#books"))
    asyncio.run(scenario())
