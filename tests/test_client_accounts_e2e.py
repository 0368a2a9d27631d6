"""End to end, the whole client in this process (keys through a pipe, as in
test_client_app) against a scripted peer: a real socket on 127.0.0.1 that plays the
server's side of the transcripts the specs write (sasl-3.1 with SCRAM-SHA-256 checked
by scramp's server side, draft/account-registration, draft/read-marker, ircish's
ROOM INFO), line by line, and checks what the client sends."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import scramp

from ircish.client.app import history_file
from ircish.client.history import timestamp

from .test_client_app import Running, client_app
from .test_client_e2e import Terminal, terminal  # noqa: F401 (a fixture)

S = ":irc.test"
OFFER = ("sasl=PLAIN,SCRAM-SHA-256 server-time message-tags batch echo-message "
         "draft/chathistory draft/account-registration draft/read-marker account-notify "
         "extended-join account-tag")


class Peer:
    """The server's side, scripted: accepts the client's connections one after the
    other; `expect` reads what the client sends (every line is kept in `log`)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self.conn: socket.socket | None = None
        self.pending: list[str] = []
        self.log: list[str] = []
        self._buf = b""

    def accept(self, wait: float = 10.0) -> None:
        if self.conn is not None:
            self.conn.close()
        self.listener.settimeout(wait)
        self.conn, _ = self.listener.accept()
        self.pending, self._buf = [], b""

    def send(self, *lines: str) -> None:
        assert self.conn is not None
        self.conn.sendall("".join(line + "\r\n" for line in lines).encode())

    def expect(self, pattern: str, wait: float = 10.0) -> re.Match[str]:
        """The next line the client sends that matches (earlier ones are passed over)."""
        assert self.conn is not None
        deadline = time.monotonic() + wait
        while True:
            while self.pending:
                line = self.pending.pop(0)
                match = re.fullmatch(pattern, line)
                if match:
                    return match
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the client never sent {pattern!r}; it sent {self.log[-10:]}"
            self.conn.settimeout(remaining)
            data = self.conn.recv(65536)
            assert data, f"the client closed the connection before sending {pattern!r}"
            self._buf += data
            *complete, self._buf = self._buf.split(b"\r\n")
            lines = [raw.decode() for raw in complete]
            self.log += lines
            self.pending += lines

    def close_conn(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def close(self) -> None:
        self.close_conn()
        self.listener.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    made = Peer()
    yield made
    made.close()


@pytest.fixture(autouse=True)
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The input history and the accounts file in the test's directory, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("IRCISH_PASSWORD", raising=False)


def client(peer: Peer, *args: str) -> contextlib.AbstractAsyncContextManager[Running]:
    """The client app against the scripted peer, which closes its side before the QUIT
    (it would not answer it)."""
    return client_app(peer, *args, before_quit=peer.close_conn, wait=10)


async def off(call: Callable[[], object]) -> object:
    """Run the peer's blocking side off the client's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, call)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text).decode()


BASE = time.time() - 600
OTHER = "ergo-2.14.0"


def at(seconds: int) -> str:
    return timestamp(BASE + seconds)


def negotiate(peer: Peer) -> str:
    """Up to the client's CAP REQ, granted whole; returns what it asked for."""
    peer.expect("CAP LS 302")
    peer.expect(r"NICK alice")
    peer.send(f"{S} CAP * LS :{OFFER}")
    asked = peer.expect(r"CAP REQ :(.*)")[1]
    peer.send(f"{S} CAP * ACK :{asked}")
    return asked


def scram_login(peer: Peer, password: str) -> None:
    """The server's side of SCRAM-SHA-256 for `alice`; raises if the proof is wrong."""
    mechanism = scramp.ScramMechanism("SCRAM-SHA-256")
    info = mechanism.make_auth_info(password)
    server = mechanism.make_server(lambda name: info)
    peer.expect("AUTHENTICATE SCRAM-SHA-256")
    peer.send("AUTHENTICATE +")
    server.set_client_first(unb64(peer.expect(r"AUTHENTICATE (\S+)")[1]))
    peer.send(f"AUTHENTICATE {b64(server.get_server_first())}")
    server.set_client_final(unb64(peer.expect(r"AUTHENTICATE (\S+)")[1]))
    peer.send(f"AUTHENTICATE {b64(server.get_server_final())}")
    peer.expect(r"AUTHENTICATE \+")
    peer.send(f"{S} 900 alice alice!~alice@127.0.0.1 alice :You are now logged in as alice",
              f"{S} 903 alice :SASL authentication successful")


def welcome(peer: Peer, version: str = "ircish-0.1.0") -> None:
    peer.expect("CAP END")
    peer.send(f"{S} 001 alice :Welcome to the ircish IRC network alice!~alice@127.0.0.1",
              f"{S} 004 alice irc.test {version} iowB biklmnost",
              f"{S} 005 alice CHATHISTORY=100 :are supported by this server")


def test_sasl_scram_at_connect_room_owner_and_read_markers(
        peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRCISH_PASSWORD", "correct horse")

    def server_side() -> None:
        peer.accept()
        asked = negotiate(peer).split()
        assert {"sasl", "draft/read-marker", "account-notify", "extended-join"} <= set(asked)
        scram_login(peer, "correct horse")
        welcome(peer)
        peer.expect("JOIN #general")
        peer.send(":alice!~alice@127.0.0.1 JOIN #general alice :ircish user",
                  f"{S} MARKREAD #general timestamp={at(20)}",
                  f"{S} 353 alice = #general :alice bob", f"{S} 366 alice #general :End")
        peer.expect(r"CHATHISTORY LATEST #general \* 50")
        peer.expect("ROOM INFO #general")
        peer.send(f"{S} BATCH +h chathistory #general",
                  *(f"@batch=h;time={at(n)};msgid=m{n} :bob!~bob@h PRIVMSG #general :line {n}"
                    for n in (10, 20, 30)),
                  f"{S} BATCH -h",
                  f"{S} NOTE ROOM REGISTERED #general bob {int(BASE)} :#general is bob's",
                  f"{S} NOTE ROOM AMODE #general alice +o :alice is auto-opped")

    async def scenario() -> None:
        async with client(peer, "--nick", "alice", "--sasl") as alice:
            await off(server_side)
            await alice.until(lambda: alice.model.find("#general") is not None
                              and alice.model.find("#general").owner == "bob")   # type: ignore[union-attr]
            assert alice.model.accounts.account == "alice"
            view = alice.chat.view
            assert "owner: bob" in "".join(fragment[1] for fragment in view.topic_line())
            assert "You are now logged in as alice" in [line.text for line in
                                                        alice.model.server.lines]
            assert not any("registered" in t for t in alice.texts("#general"))   # quiet
            # On screen at the bottom: the newest line is read, and the server is told.
            await off(lambda: peer.expect(rf"MARKREAD #general timestamp={re.escape(at(30))}"))
            peer.send(f"@time={at(40)};msgid=m40 :bob!~bob@h PRIVMSG #general :line 40")
            await off(lambda: peer.expect(rf"MARKREAD #general timestamp={re.escape(at(40))}"))
            await alice.type("/query bob\r")
            await off(lambda: peer.expect(r"CHATHISTORY LATEST bob \* 50"))
            await off(lambda: peer.expect("MARKREAD bob"))
            peer.send(f"{S} BATCH +p chathistory bob",
                      f"@batch=p;time={at(5)};msgid=p5 :bob!~bob@h PRIVMSG alice :psst",
                      f"@batch=p;time={at(6)};msgid=p6 :alice!~alice@h PRIVMSG bob :yes?",
                      f"{S} BATCH -p")
            await alice.until(lambda: [t for t in alice.texts("bob")][-2:] == ["psst", "yes?"])
    asyncio.run(scenario())
    assert "correct horse" not in " ".join(peer.log)


def test_register_with_the_hidden_prompt_then_reconnect_and_logout(peer: Peer) -> None:
    """Another IRCv3 server (not ircish: /logout reconnects without logging in)."""
    def first_connection() -> None:
        peer.accept()
        negotiate(peer)
        welcome(peer, OTHER)              # no credentials: no AUTHENTICATE before CAP END
        peer.expect("JOIN #general")
        peer.send(":alice!~alice@127.0.0.1 JOIN #general * :ircish user",
                  f"{S} 366 alice #general :End")

    async def scenario() -> None:
        async with client(peer, "--nick", "alice") as alice:
            await off(first_connection)
            await alice.until(lambda: alice.model.buffer.joined)
            assert not any(line.startswith("AUTHENTICATE") for line in peer.log)
            await alice.type("/register alice@example.net\r")
            assert alice.model.password_prompt == "New password for account alice: "
            assert alice.chat.view.prompt() == "New password for account alice: "
            await alice.type("hunter2 hunter2\r")
            assert alice.model.password_prompt == \
                "The same password again for account alice: "
            await alice.type("hunter2 hunter2\r")
            await off(lambda: peer.expect(r"REGISTER \* alice@example\.net :hunter2 hunter2"))
            peer.send(f"{S} REGISTER SUCCESS alice :Account created",
                      f"{S} 900 alice alice!~alice@127.0.0.1 alice :You are now logged in as "
                      "alice")
            await alice.until(lambda: alice.model.accounts.account == "alice")
            assert "Account alice registered; you are logged in as alice (Account created)" \
                in alice.texts()
            shown = " ".join(line.text for buf in alice.model.buffers for line in buf.lines)
            assert "hunter2" not in shown

            # A dropped link: the next connection logs in with what was registered.
            def dropped() -> None:
                assert peer.conn is not None
                peer.conn.close()
                peer.accept()
                assert "sasl" in negotiate(peer).split()
                scram_login(peer, "hunter2 hunter2")
                welcome(peer, OTHER)
            await off(dropped)
            await alice.until(lambda: alice.model.registered
                              and alice.model.accounts.account == "alice")

            await alice.type("/logout\r")
            await off(lambda: peer.expect("QUIT :Logging out"))

            def logged_out() -> None:
                assert peer.conn is not None
                peer.conn.close()
                peer.accept()
                start = len(peer.log)
                negotiate(peer)
                welcome(peer, OTHER)
                assert not any(line.startswith("AUTHENTICATE") for line in peer.log[start:])
            await off(logged_out)
            await alice.until(lambda: alice.model.registered)
            assert alice.model.accounts.account is None
    asyncio.run(scenario())
    kept = history_file().read_text()
    assert "hunter2" not in kept and "/register" not in kept and "/logout" in kept


def test_the_password_prompt_is_masked_on_screen(terminal: Callable[..., Terminal]) -> None:  # noqa: F811
    """The real client in a pseudo-terminal against the real server: what is typed at
    the password prompt shows as stars, and never in clear."""
    alice = terminal("--nick", "alice", "--join", "")
    alice.expect(r"\[alice\] \[1:127\.0\.0\.1:\d+\] \[online\]")
    alice.type("/login\r")
    alice.expect(r"Type the password \(it is not shown\)")
    alice.expect(r"^Password for account alice:$")      # (the screen's lines are stripped)
    alice.type("hunter2")
    alice.expect(r"^Password for account alice: \*{7}$")
    assert "hunter2" not in alice.text()
    alice.type("\r")
    alice.expect(r"^\[127\.0\.0\.1:\d+\]$")               # the prompt is the usual one again
    alice.type("/help login\r")                              # something after it, drawn
    alice.expect(r"/login \[<account>\]")
    assert "hunter2" not in alice.text()
