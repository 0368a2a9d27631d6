"""End to end: the real `ircish` client in a pseudo-terminal (pexpect), its screen read
through a terminal emulator (pyte), against the real server, with bob on a raw socket."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from ircish.client.view import MEMBER_LIST_WIDTH
from ircish.server.server import Server

from .ircclient import Client

ROWS, COLS = 30, 110
ALT = "\x1b"


class Terminal:
    """A pty running the client, and the screen it draws."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        # prompt_toolkit asks where the cursor is (CPR); the emulator answers.
        self.screen.write_process_input = child.send  # type: ignore[method-assign]

    def pump(self, wait: float = 0.05) -> None:
        while True:
            try:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=wait))
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def expect(self, pattern: str, wait: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + wait
        while True:
            self.pump()
            match = re.search(pattern, self.text(), re.MULTILINE)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"screen never showed {pattern!r}:\n{self.text()}")

    def type(self, text: str) -> None:
        self.child.send(text)
        self.pump()

    def line_with(self, text: str) -> int:
        return next(i for i, line in enumerate(self.screen.display) if text in line)


def client_command() -> list[str]:
    script = Path(sys.executable).with_name("ircish")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ircish.client.app import main; main()"]


@pytest.fixture
def terminal(server: Server, tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    children: list[pexpect.spawn] = []

    def start(*args: str) -> Terminal:
        host, port = server.address
        env = {**os.environ, "TERM": "xterm", "LANG": "C.UTF-8", "XDG_DATA_HOME": str(tmp_path),
               "XDG_CONFIG_HOME": str(tmp_path)}
        command, *first = client_command()
        child = pexpect.spawn(command, [*first, "--host", host, "--port", str(port), *args],
                              env=env, dimensions=(ROWS, COLS))
        children.append(child)
        return Terminal(child)

    yield start
    for child in children:
        child.close(force=True)


def test_rooms_private_chat_nick_change_and_quit(terminal: Callable[..., Terminal],
                                                 connect: Callable[..., Client]) -> None:
    alice = terminal("--nick", "alice", "--join", "")
    alice.expect(r"Welcome to the ircish IRC network alice")
    alice.expect(r"\[alice\] \[1:127\.0\.0\.1:\d+\] \[online\]")

    # /join #general: the room becomes the current buffer, its topic on top
    alice.type("/join #general\r")
    alice.expect(r"-- You joined #general")
    alice.expect(r"^ #general \(1 member\) Welcome")

    bob = connect("bob")
    bob.join("#general")
    alice.expect(r"-- bob \(~bob@127\.0\.0\.1\) joined #general")
    alice.expect(r"^ #general \(2 members\) Welcome")

    # a room message both ways
    alice.type("hello from the terminal\r")
    bob.expect(r"^:alice!~alice@127\.0\.0\.1 PRIVMSG #general :hello from the terminal$")
    alice.expect(r"\d\d:\d\d <alice> hello from the terminal")
    bob.send("PRIVMSG #general :hi alice, welcome")
    alice.expect(r"\d\d:\d\d <bob> hi alice, welcome")
    mention = alice.screen.buffer[alice.line_with("hi alice, welcome")]
    assert any(char.bold for char in mention.values()), "a mention is highlighted"

    # a private message both ways
    bob.send("PRIVMSG alice :psst, a secret")
    alice.expect(r"Private message from bob: psst, a secret \[buffer 3: Alt-3")
    alice.expect(r"^ 3 bob 1 ")                      # the buffer list shows it unread
    alice.type("/msg bob secret received\r")
    bob.expect(r"^:alice!\S+ PRIVMSG bob :secret received$")
    alice.type(ALT + "3")
    alice.expect(r"^ Private chat with bob")
    alice.expect(r"<bob> psst, a secret")
    alice.expect(r"<alice> secret received")
    alice.type("/me waves\r")
    bob.expect(r"^:alice!\S+ PRIVMSG bob :\x01ACTION waves\x01$")
    alice.expect(r"\d\d:\d\d \* alice waves")

    # nick changes, mine and bob's
    alice.type("/nick alicia\r")
    bob.expect(r"^:alice!~alice@127\.0\.0\.1 NICK alicia$")
    alice.expect(r"-- You are now known as alicia")
    alice.expect(r"\[alicia\] \[3:bob\]")
    bob.send("NICK robert")
    alice.expect(r"-- bob is now known as robert")
    alice.expect(r"^ 3 robert ")

    # /quit with a reason: bob sees it and the client ends
    alice.type("/quit see you later\r")
    bob.expect(r"^:alicia!~alice@127\.0\.0\.1 QUIT :Quit: see you later$")
    alice.child.expect(pexpect.EOF, timeout=10)
    alice.child.close()
    assert alice.child.exitstatus == 0


def member_list(term: Terminal) -> list[str]:
    """The rows of the member list: the right-hand column, right of its separator."""
    left = COLS - MEMBER_LIST_WIDTH
    rows = term.screen.display[1:ROWS - 2]          # between the topic and status bars
    assert all(row[left - 1] == "│" for row in rows), "the member list is not showing"
    return [row[left:].rstrip() for row in rows if row[left:].strip()]


def expect_members(term: Terminal, expected: list[str], wait: float = 10.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        term.pump()
        if member_list(term) == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"member list {member_list(term)} != {expected}:\n{term.text()}")


def test_member_list_shows_operators_first(terminal: Callable[..., Terminal]) -> None:
    # whoever creates a room is its operator, and sees so at once
    alice = terminal("--nick", "alice", "--join", "#fresh")
    alice.expect(r"-- You joined #fresh")
    expect_members(alice, ["1 member", "@alice"])

    bob = terminal("--nick", "bob", "--join", "#fresh")
    bob.expect(r"-- You joined #fresh")
    expect_members(bob, ["2 members", "@alice", " bob"])
    expect_members(alice, ["2 members", "@alice", " bob"])

    # modes change it live on both screens; ops sort first, then by nick
    alice.type("/mode #fresh +o bob\r")
    expect_members(bob, ["2 members", "@alice", "@bob"])
    alice.type("/mode #fresh -o alice\r")
    expect_members(alice, ["2 members", "@bob", " alice"])
    expect_members(bob, ["2 members", "@bob", " alice"])
    bob.expect(r"-- alice sets mode -o alice")


def test_help_flag() -> None:
    command, *first = client_command()
    text = subprocess.run([command, *first, "--help"], capture_output=True, text=True,
                          timeout=20, check=True, env={**os.environ, "COLUMNS": "100"}).stdout
    for option in ("--host", "--port", "--nick", "--join", "Alt-1..9", "/help"):
        assert option in text
