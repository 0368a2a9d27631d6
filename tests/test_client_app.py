"""The whole client in this process (prompt_toolkit fed through a pipe, DummyOutput)
against the real server, with a raw-socket second user: keys, paste, splitting,
reconnects, history. The pseudo-terminal test (test_client_e2e) covers the screen."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from ircish.client.app import ChatApp, history_file, parse_args
from ircish.server.server import Server

from .ircclient import Client

ALT = "\x1b"
CTRL_C, CTRL_D, CTRL_N = "\x03", "\x04", "\x0e"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


class Running:
    """A ChatApp running on the test's event loop, typed into through a pipe."""

    def __init__(self, chat: ChatApp, pipe: PipeInput, task: asyncio.Future[None]) -> None:
        self.chat, self.pipe, self.task = chat, pipe, task
        self.model = chat.model

    async def until(self, condition: Callable[[], object], wait: float = 5.0) -> None:
        deadline = time.monotonic() + wait
        while not condition():
            assert not self.task.done(), "the client stopped"
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.02)

    async def type(self, text: str) -> None:
        self.pipe.send_text(text)
        await asyncio.sleep(0.05)

    def texts(self, name: str | None = None) -> list[str]:
        buf = self.model.buffer if name is None else self.model.find(name)
        assert buf is not None
        return [line.text for line in buf.lines]


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))   # no accounts file of the user's
    return tmp_path


class Listening(Protocol):
    @property
    def address(self) -> tuple[str, int]: ...


@contextlib.asynccontextmanager
async def client_app(server: Server | Listening, *args: str,
                     before_quit: Callable[[], object] = lambda: None,
                     wait: float = 5) -> AsyncIterator[Running]:
    """`ircish --host H --port P ARGS` running until the block ends (or it quits);
    `before_quit` runs first (a scripted peer closes its side: it would not answer)."""
    host, port = server.address
    with create_pipe_input() as pipe:
        chat = ChatApp(parse_args(["--host", host, "--port", str(port), *args]),
                       input=pipe, output=DummyOutput())
        running = Running(chat, pipe, asyncio.ensure_future(chat.run()))
        try:
            yield running
        finally:
            before_quit()
            chat.quit()
            await asyncio.wait_for(running.task, wait)


def test_talk_in_a_room_paste_and_long_lines(server: Server, connect: Callable[..., Client]) -> None:
    bob = connect("bob")
    bob.join("#general")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.name == "#general"
                              and "bob" in alice.model.buffer.members)
            bob.expect(r"^:alice!\S+ JOIN #general$")
            bob.send("PRIVMSG #general :hi alice")
            await alice.until(lambda: "hi alice" in alice.texts())

            await alice.type("hello bob\r")
            bob.expect(r"^:alice!\S+ PRIVMSG #general :hello bob$")

            await alice.type(f"{PASTE_START}one\ntwo\nthree{PASTE_END}\r")
            for word in ("one", "two", "three"):
                bob.expect(rf"PRIVMSG #general :{word}$")

            long_text = " ".join(f"word{i}" for i in range(250))
            await alice.type(long_text + "\r")
            pieces: list[str] = []
            while " ".join(pieces) != long_text:
                pieces.append(bob.expect(r"PRIVMSG #general :(.*)$")[1])
            assert len(pieces) == 5                 # 1.9 kB of text in lines of 512 bytes
            # the echo shows what was sent, whole (the server's echo-message: on its way)
            await alice.until(lambda: alice.texts()[-5:] == pieces)
    asyncio.run(scenario())
    assert "hello bob" in history_file().read_text()


def test_private_chat_and_buffer_keys(server: Server, connect: Callable[..., Client]) -> None:
    bob = connect("bob")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice", "--join", "#general,dev") as alice:
            await alice.until(lambda: [b.name for b in alice.model.buffers][1:] == ["#general", "#dev"])
            assert alice.model.buffer.name == "#general"     # the first room has the focus
            bob.send("PRIVMSG alice :psst")
            await alice.until(lambda: alice.model.find("bob") is not None)
            assert [b.mentions for b in alice.model.buffers if b.name == "bob"] == [1]

            await alice.type(ALT + "4")
            assert alice.model.buffer.name == "bob" and alice.model.buffer.mentions == 0
            await alice.type("psst yourself\r")
            bob.expect(r"^:alice!\S+ PRIVMSG bob :psst yourself$")

            await alice.type(CTRL_N)
            assert alice.model.buffer.kind == "server"
            await alice.type("/buffer dev\r")
            assert alice.model.buffer.name == "#dev"
            shown = alice.chat.view.members_shown()
            await alice.type("\x1bOQ")   # F2
            assert alice.chat.view.members_shown() is not shown
            await alice.type("/close\r")
            await alice.until(lambda: alice.model.find("#dev") is None)
            assert alice.model.buffer.name == "#general"
            await alice.type(CTRL_N)
            await alice.type("/join #general\r")     # already in it: just shown
            assert alice.model.buffer.name == "#general"
            await alice.type("half typed" + CTRL_C)
            assert alice.chat.input.text == ""
            await alice.type(CTRL_C)
            assert alice.texts()[-1] == "Ctrl-C clears the input line; /quit or Ctrl-D leaves ircish"
    asyncio.run(scenario())


def test_nick_in_use_at_connect_takes_nick_(server: Server, connect: Callable[..., Client]) -> None:
    connect("alice")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.registered)
            assert alice.model.nick == "alice_"
    asyncio.run(scenario())


def test_reconnects_and_rejoins(start_server: Callable[..., Server],
                                connect: Callable[..., Client]) -> None:
    first = start_server()
    port = first.address[1]

    async def scenario() -> None:
        async with client_app(first, "--nick", "alice", "--join", "#general,#dev") as alice:
            await alice.until(lambda: alice.model.rooms_to_rejoin() == ["#general", "#dev"]
                              and alice.model.buffer.joined)
            await alice.type("/part #dev\r")
            await alice.until(lambda: alice.model.rooms_to_rejoin() == ["#general"])
            first.stop()
            await alice.until(lambda: alice.model.connection == "disconnected")
            assert alice.texts()[-1] == "Connection lost (closed by the server); retrying in 1 s"
            second = start_server(port=port)
            await alice.until(lambda: alice.model.registered and alice.model.buffer.joined, 10)
            bob = Client(second.address, "bob")
            bob.register("bob")
            bob.send("NAMES #general")
            bob.expect(r" 353 bob = #general :alice$")
            bob.send("NAMES #dev")   # parted before the drop: not rejoined
            lines = bob.collect(r" 366 bob #dev ")
            assert not any("alice" in line for line in lines), lines
            bob.close()
    asyncio.run(scenario())


def test_quit_with_a_reason(server: Server, connect: Callable[..., Client]) -> None:
    bob = connect("bob")
    bob.join("#general")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.joined)
            await alice.type("/quit off to bed\r")
            await asyncio.wait_for(alice.task, 5)
    asyncio.run(scenario())
    bob.expect(r"^:alice!\S+ QUIT :Quit: off to bed$")


def test_ctrl_d_on_an_empty_line_leaves(server: Server, connect: Callable[..., Client]) -> None:
    bob = connect("bob")
    bob.join("#general")

    async def scenario() -> None:
        async with client_app(server, "--nick", "alice") as alice:
            await alice.until(lambda: alice.model.buffer.joined)
            await alice.type(CTRL_D)
            await asyncio.wait_for(alice.task, 5)
    asyncio.run(scenario())
    bob.expect(r"^:alice!\S+ QUIT")


def test_history_survives_a_restart(server: Server) -> None:
    async def scenario() -> str:
        async with client_app(server, "--nick", "alice") as first:
            await first.until(lambda: first.model.buffer.joined)
            await first.type("remember this line\r")
            await first.type("/list\r")
        async with client_app(server, "--nick", "alice") as second:
            await second.until(lambda: second.model.registered)
            await second.type("\x1b[A\x1b[A")    # Up, Up
            return second.chat.input.text
    assert asyncio.run(scenario()) == "remember this line"
