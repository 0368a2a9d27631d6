"""Fixtures: the real server, in this process, on an ephemeral 127.0.0.1 port."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ircish.server.config import RoomSpec, Settings
from ircish.server.server import Server

from .ircclient import Client

SERVER_NAME = "irc.test"


def test_settings(data_dir: Path, **overrides: object) -> Settings:
    """The settings of a test server: history on (as users run it), kept in `data_dir`."""
    settings = Settings(host="127.0.0.1", port=0, server_name=SERVER_NAME,
                        rooms=[RoomSpec("#general", "Welcome"), RoomSpec("#dev")],
                        data_dir=data_dir)
    # tests of wrong passwords need not wait a second after each (test_login_delay.py
    # checks the delay itself)
    settings.login_failure_delay = 0.0
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts servers; each keeps its data in the test's own temporary directory unless
    given `data_dir` (two servers given the same one are a restart)."""
    started: list[Server] = []

    def start(**overrides: object) -> Server:
        data_dir = overrides.pop("data_dir", None) or tmp_path / f"data{len(started)}"
        assert isinstance(data_dir, Path)
        server = Server(test_settings(data_dir, **overrides))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(nick: str | None = None, target: Server | None = None) -> Client:
        client = Client((target or server).address, nick or "?")
        clients.append(client)
        if nick:
            client.register(nick)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def no_logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The server catches and logs a handler that raised: that fails the test too."""
    yield
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)
               if r.levelno >= logging.ERROR and r.name.startswith("ircish")]
    assert not records, [r.getMessage() for r in records]


@pytest.fixture(autouse=True)
def no_thread_crashes() -> Iterator[None]:
    """Fail any test during which a server thread died with an exception."""
    crashes: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook
    threading.excepthook = crashes.append
    yield
    threading.excepthook = previous
    assert not crashes, f"threads crashed: {[(c.thread, c.exc_value) for c in crashes]}"


# --- rooms of clients (the conformance tests) ------------------------------------

def src(nick: str) -> str:
    return f":{nick}!~{nick}@127.0.0.1"


@pytest.fixture
def room(connect) -> Callable[..., list[Client]]:
    """room("#chan", "foo", "bar"): the clients, joined in order (the first made the
    room and is its operator), with everything so far drained."""
    def make(name: str, *nicks: str) -> list[Client]:
        clients = [connect(nick) for nick in nicks]
        together(name, *clients)
        return clients
    return make


@pytest.fixture
def bare(start_server, connect) -> Callable[[str], Client]:
    """Clients of a server with no default rooms (so LIST starts empty)."""
    target: Server = start_server(rooms=[])
    return lambda nick: connect(nick, target=target)


# --- clients that negotiate capabilities (the IRCv3 tests) --------------------------

TIME = r"time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"   # a server-time tag
MSGID = r"msgid=[0-9a-f]+"

Connect = Callable[..., Client]


@pytest.fixture
def capped(server: Server) -> Iterator[Connect]:
    """capped(nick, caps): a client registered as a modern client does: CAP LS 302,
    REQ of `caps`, NICK, USER, END (the module's `server` fixture decides the server)."""
    clients: list[Client] = []

    def make(nick: str, caps: str = "") -> Client:
        c = Client(server.address, nick)
        clients.append(c)
        c.send("CAP LS 302")
        c.expect(r" CAP \* LS :")
        if caps:
            c.send(f"CAP REQ :{caps}")
            c.expect_exact(f":{SERVER_NAME} CAP * ACK :{caps}")
        c.send("CAP END")
        c.register(nick)
        return c

    yield make
    for c in clients:
        c.close()


def together(room: str, *clients: Client) -> None:
    """The clients join the room in order, then each reads what that brought it."""
    for client in clients:
        client.join(room)
    for client in clients:
        client.drain()
