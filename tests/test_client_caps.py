"""Capability negotiation as the link does it, fed raw server lines; the server-time tag
as the model and the view read it; the negotiation against the real server."""
from __future__ import annotations

import queue
import socket
import time
from collections.abc import Callable

import pytest

from ircish.client.cap_negotiation import (
    COMPANIONS,
    HISTORY,
    WANTED,
    CapNegotiation,
    message_time,
)
from ircish.client.link import Link, LinkEvent
from ircish.client.messages import render_line
from ircish.client.model import ClientModel
from ircish.protocol import Message, parse_line
from ircish.server.server import Server

from .ircclient import Client

S = ":irc.test"


def answers(negotiation: CapNegotiation, *lines: str) -> list[str]:
    """What the client sends in answer to these server lines, in order."""
    sent: list[str] = []
    for line in lines:
        sent += [m.to_line() for m in negotiation.feed(parse_line(line))]
    return sent


def test_opens_with_ls_302() -> None:
    assert [m.to_line() for m in CapNegotiation().start()] == ["CAP LS 302"]


def test_requests_what_it_wants_of_what_is_offered_then_ends() -> None:
    caps = CapNegotiation()
    assert answers(caps, f"{S} CAP * LS :away-notify sasl=PLAIN,EXTERNAL server-time echo-message") \
        == ["CAP REQ :server-time away-notify sasl"]
    assert not caps.done
    # sasl is asked for always (for a /login later); without credentials, no login now
    assert answers(caps, f"{S} CAP * ACK :server-time away-notify sasl") == ["CAP END"]
    assert caps.done and caps.enabled == {"server-time", "away-notify", "sasl"}
    assert caps.offered["sasl"] == "PLAIN,EXTERNAL"


def test_multi_line_ls_is_gathered_before_requesting() -> None:
    caps = CapNegotiation()
    assert answers(caps, f"{S} CAP * LS * :multi-prefix sasl", f"{S} CAP * LS * :batch") == []
    assert answers(caps, f"{S} CAP * LS :server-time") == \
        ["CAP REQ :server-time multi-prefix sasl"]
    assert answers(caps, f"{S} CAP * ACK :server-time multi-prefix sasl") == ["CAP END"]


def test_nothing_wanted_offered_or_an_empty_list_ends_at_once() -> None:
    assert answers(CapNegotiation(), f"{S} CAP * LS :") == ["CAP END"]        # ours today
    assert answers(CapNegotiation(), f"{S} CAP * LS :batch chghost") == ["CAP END"]


def test_a_refused_request_still_ends() -> None:
    caps = CapNegotiation()
    answers(caps, f"{S} CAP * LS :multi-prefix")
    assert answers(caps, f"{S} CAP * NAK :multi-prefix") == ["CAP END"]
    assert caps.enabled == set()


@pytest.mark.parametrize("refusal", [f"{S} 421 * CAP :Unknown command",
                                     f"{S} 451 * CAP :You have not registered"])
def test_a_server_without_cap_gets_cap_end_once(refusal: str) -> None:
    caps = CapNegotiation()
    assert answers(caps, refusal) == ["CAP END"]
    assert answers(caps, f"{S} 421 * CAP :Unknown command") == []   # the answer to CAP END
    assert caps.done


def test_silence_ends_it_and_a_welcome_closes_it() -> None:
    caps = CapNegotiation()
    assert [m.to_line() for m in caps.expired()] == ["CAP END"]
    assert caps.expired() == []
    registered = CapNegotiation()
    assert answers(registered, f"{S} 001 alice :Welcome") == []
    assert registered.expired() == []


def test_cap_new_and_del_after_registration() -> None:
    caps = CapNegotiation()
    answers(caps, f"{S} CAP * LS :", f"{S} 001 alice :Welcome")
    assert answers(caps, f"{S} CAP alice NEW :away-notify chghost") == ["CAP REQ away-notify"]
    assert answers(caps, f"{S} CAP alice ACK :away-notify") == []        # no second END
    assert caps.enabled == {"away-notify"}
    assert answers(caps, f"{S} CAP alice DEL :away-notify") == []
    assert caps.enabled == set()
    assert answers(caps, f"{S} CAP alice LS :away-notify") == []         # someone typed /quote


def test_a_refused_cap_is_not_shown_before_registration_but_ack_is() -> None:
    model = ClientModel("alice")
    model.feed(parse_line(f"{S} 421 * CAP :Unknown command"))
    model.feed(parse_line(f"{S} CAP * ACK :server-time multi-prefix"))
    assert [line.text for line in model.server.lines] == \
        ["Capabilities enabled: server-time multi-prefix"]


# --- server-time ------------------------------------------------------------------

STAMP = "2026-11-25T03:09:16.123Z"
EPOCH = 1795576156.123


@pytest.mark.parametrize("tag, expected", [
    (STAMP, EPOCH),
    ("2026-11-25T03:09:16Z", 1795576156.0),
    ("2026-11-25T04:09:16.5+01:00", 1795576156.5),
    ("2001-09-09T01:46:40.000000Z", 1e9),
])
def test_time_tag_is_read(tag: str, expected: float) -> None:
    when = message_time(parse_line(f"@time={tag} :bob!b@h PRIVMSG #general :hi"))
    assert when == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("tag", [
    "", "yesterday", "2026-11-25", "2026-11-25T03:09:16.123", "2026-13-25T03:09:16Z",
    "2026-02-30T03:09:16Z", "2026-11-25T25:09:16Z", "2026-11-25 03:09:16Z",
    "２０２６-11-25T03:09:16Z", "2026-11-25T03:09:16.Z", "2026-11-25T03:09:16.123Zjunk",
    "1795576156",
])
def test_malformed_time_tags_are_ignored(tag: str) -> None:
    assert message_time(parse_line(f"@time={tag} :bob!b@h PRIVMSG #general :hi")) is None


def test_the_model_dates_lines_by_the_tag_and_the_view_shows_it_in_local_time() -> None:
    model = ClientModel("alice")
    before = time.time()
    for line in (":alice!a@h JOIN #general",
                 f"@time={STAMP} :bob!b@h JOIN #general",
                 f"@time={STAMP} :bob!b@h PRIVMSG #general :from the past",
                 "@time=garbage :bob!b@h PRIVMSG #general :bad tag",
                 "@time= :bob!b@h PRIVMSG #general :empty tag",
                 ":bob!b@h PRIVMSG #general :no tag"):
        model.feed(parse_line(line))
    room = model.find("#general")
    assert room is not None
    stamps = {line.text: line.time for line in room.lines}
    assert stamps["bob (b@h) joined #general"] == pytest.approx(EPOCH)
    assert stamps["from the past"] == pytest.approx(EPOCH)
    for text in ("You joined #general", "bad tag", "empty tag", "no tag"):
        assert before <= stamps[text] <= time.time()
    shown = "".join(fragment[1] for fragment in render_line(room.lines[2]))
    assert shown == time.strftime("%H:%M ", time.localtime(EPOCH)) + "<bob> from the past"
    model.add_own("#general", "mine")                 # my own lines: the time I sent them
    assert room.lines[-1].time >= before


# --- against the real server --------------------------------------------------------


@pytest.mark.parametrize("history", [True, False])
def test_the_link_negotiates_with_the_real_server(start_server: Callable[..., Server],
                                                  connect: Callable[..., Client],
                                                  history: bool) -> None:
    """Whatever the server offers (with history or without), the link gets registered,
    and holds exactly what it asked for and the server granted: history and what it
    needs only from a server that keeps history."""
    server = start_server(no_history=not history)
    events: queue.Queue[LinkEvent] = queue.Queue()
    link = Link(*server.address, "alice", events.put)
    link.start()
    seen: list[Message] = []
    try:
        deadline = time.monotonic() + 5
        while not any(m.command == "001" for m in seen):
            event = events.get(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(event, Message):
                seen.append(event)
        offered = set(link.caps.offered)
        assert link.caps.done
        asked = {*WANTED, *HISTORY, *COMPANIONS} if history else set(WANTED)
        assert ("draft/chathistory" in offered) is history
        assert link.caps.enabled == offered & asked
        bob = connect("bob", target=server)
        bob.send("WHOIS alice")
        bob.expect(r" 311 bob alice ")
    finally:
        link.quit()


def test_a_silent_peer_gets_cap_end_after_the_wait() -> None:
    """A server that ignores CAP LS without a word must not hold registration up."""
    listener = socket.create_server(("127.0.0.1", 0))
    events: queue.Queue[LinkEvent] = queue.Queue()
    host, port = listener.getsockname()[:2]
    link = Link(host, port, "alice", events.put, cap_wait=0.3)
    link.start()
    try:
        peer, _ = listener.accept()
        peer.settimeout(3)
        received = b""
        started = time.monotonic()
        while b"CAP END\r\n" not in received:
            received += peer.recv(4096)
        assert time.monotonic() - started >= 0.25
        assert received.split(b"\r\n")[:4] == [b"CAP LS 302", b"NICK alice",
                                                b"USER alice 0 * :ircish user", b"CAP END"]
        peer.close()
    finally:
        link.quit(wait=0.5)
        listener.close()
