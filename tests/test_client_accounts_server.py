"""End to end against the real ircish server (its accounts in the test's directory), the
whole client in this process (keys through a pipe, as in test_client_app), other
people on raw sockets: logging in with SASL while connecting (SCRAM-SHA-256, and PLAIN),
a refused password; /register, and /login, /logout and /login again."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.client import sasl
from ircish.client.buffers import TALK
from ircish.client.link import Link
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
