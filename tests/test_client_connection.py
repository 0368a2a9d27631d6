"""The client's link on its own (reader thread, keep-alive), against the real server."""
from __future__ import annotations

import queue
import time
from collections.abc import Callable

from ircish.client.link import Link, LinkEvent, LinkState
from ircish.protocol import Message
from ircish.server.server import Server

from .ircclient import Client


class Events:
    """What the link delivers, as the UI loop would receive it."""

    def __init__(self) -> None:
        self.queue: queue.Queue[LinkEvent] = queue.Queue()
        self.seen: list[LinkEvent] = []

    def deliver(self, event: LinkEvent) -> None:
        self.queue.put(event)

    def wait_for(self, test: Callable[[LinkEvent], bool], wait: float = 5.0) -> LinkEvent:
        deadline = time.monotonic() + wait
        while True:
            event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            self.seen.append(event)
            if test(event):
                return event

    def states(self) -> list[str]:
        return [e.state for e in self.seen if isinstance(e, LinkState)]


def welcome(event: LinkEvent) -> bool:
    return isinstance(event, Message) and event.command == "001"


def test_keeps_the_link_alive_both_ways(start_server: Callable[..., Server]) -> None:
    # The server PINGs after 0.3 s of silence; we PING after 0.4 s of ours. Neither drops.
    server = start_server(ping_interval=0.3, ping_timeout=0.5)
    events = Events()
    link = Link(*server.address, "alice", events.deliver, idle_ping=0.4)
    link.start()
    try:
        events.wait_for(welcome)
        events.wait_for(lambda e: isinstance(e, Message) and e.command == "PING")
        events.wait_for(lambda e: isinstance(e, Message) and e.command == "PONG")
        time.sleep(1.5)  # the point: several ping intervals pass, and the link must last
        while not events.queue.empty():
            events.seen.append(events.queue.get())
        assert events.states() == ["connecting", "connected"]
    finally:
        link.quit()
    assert events.wait_for(lambda e: isinstance(e, LinkState)) == LinkState("disconnected", "Disconnected")


def test_sends_from_another_thread_and_tracks_its_nick(server: Server,
                                                       connect: Callable[..., Client]) -> None:
    bob = connect("bob")
    events = Events()
    link = Link(*server.address, "alice", events.deliver)
    link.start()
    try:
        events.wait_for(welcome)
        assert link.send(Message("NICK", ["alicia"]))
        events.wait_for(lambda e: isinstance(e, Message) and e.command == "NICK")
        assert link.nick == "alicia"     # a reconnect registers with the nick in use
        assert link.send(Message("PRIVMSG", ["bob", "hi from a thread"]))
        bob.expect(r"^:alicia!\S+ PRIVMSG bob :hi from a thread$")
    finally:
        link.quit("bye")
    assert not link.send(Message("PRIVMSG", ["bob", "too late"]))
