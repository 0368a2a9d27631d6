"""Fixtures: the real server, in this process, on an ephemeral 127.0.0.1 port."""
from __future__ import annotations

import logging
import threading
from typing import Callable, Iterator

import pytest

from ircish.config import RoomSpec, Settings
from ircish.server import Server

from .ircclient import Client

SERVER_NAME = "irc.test"


def test_settings(**overrides: object) -> Settings:
    settings = Settings(host="127.0.0.1", port=0, server_name=SERVER_NAME,
                        rooms=[RoomSpec("#general", "Welcome"), RoomSpec("#dev")])
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(**overrides: object) -> Server:
        server = Server(test_settings(**overrides))
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
