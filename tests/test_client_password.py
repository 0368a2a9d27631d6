"""The client's link gives a server's connection password (PASS) when it has one."""
from __future__ import annotations

import queue
from collections.abc import Callable

import pytest

from ircish.client.app import PASSWORD_VARIABLE, parse_args
from ircish.client.link import Link, LinkEvent, LinkState
from ircish.protocol import Message
from ircish.server.server import Server


def first_reply(server: Server, password: str | None) -> Message:
    """What the server answers the link's registration with: 001, or 464."""
    events: queue.Queue[LinkEvent] = queue.Queue()
    link = Link(*server.address, "alice", events.put, password=password, backoff=(30.0,))
    link.start()
    try:
        while True:
            event = events.get(timeout=5)
            if isinstance(event, Message) and event.command in ("001", "464"):
                return event
    finally:
        link.quit()


def test_the_right_password_registers(start_server: Callable[..., Server]) -> None:
    server = start_server(password="sesame")
    assert first_reply(server, "sesame").command == "001"


@pytest.mark.parametrize(("given", "told"), [
    (None, "The server wants a password (ircish --password); not retrying"),
    ("wrong", "Wrong server password; not retrying"),
])
def test_no_password_or_a_wrong_one_is_refused_and_not_retried(
        start_server: Callable[..., Server], given: str | None, told: str) -> None:
    server = start_server(password="sesame")
    events: queue.Queue[LinkEvent] = queue.Queue()
    link = Link(*server.address, "alice", events.put, password=given, backoff=(0.05,))
    link.start()
    try:
        seen = [events.get(timeout=5)]
        while seen[-1] != LinkState("disconnected", told):
            seen.append(events.get(timeout=5))
        assert [e.params[-1] for e in seen if isinstance(e, Message)
                and e.command == "464"] == ["Password incorrect"]
        assert [e for e in seen if isinstance(e, LinkState)] == [
            LinkState("connecting", "{}:{}".format(*server.address)), LinkState("connected"),
            LinkState("disconnected", told)]
        link._thread.join(2)
        assert not link._thread.is_alive()  # no second attempt
        assert events.empty()
    finally:
        link.quit()


def test_the_password_comes_from_the_environment_not_the_command_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    assert parse_args([]).password is None
    monkeypatch.setenv(PASSWORD_VARIABLE, "sesame")
    assert parse_args([]).password == "sesame"
    with pytest.raises(SystemExit):
        parse_args(["--password", "sesame"])   # a flag, not a value: ps would show it
