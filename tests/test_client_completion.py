"""Completion: what the completer offers, and what Tab does in a real prompt_toolkit
input fed through `create_pipe_input()` with `DummyOutput()`."""
from __future__ import annotations

import asyncio

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from ircish.client.completion import ChatCompleter
from ircish.client.model import ClientModel
from ircish.client.slash import Catalog
from ircish.protocol import parse_line

TAB = "\t"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture
def model() -> ClientModel:
    m = ClientModel("alice")
    for line in (":alice!a@h JOIN #general",
                 ":irc.test 353 alice = #general :alice @Bob carol Carla",
                 ":irc.test 366 alice #general :End of /NAMES list.",
                 ":alice!a@h JOIN #dev",
                 ":irc.test 366 alice #dev :End of /NAMES list.",
                 ":irc.test 322 alice #random 0 :Off-topic",
                 ":dave!d@h PRIVMSG alice :hi"):
        m.feed(parse_line(line))
    m.switch_to("#general")
    return m


@pytest.fixture
def completer(model: ClientModel, catalog: Catalog) -> ChatCompleter:
    return ChatCompleter(model, catalog)


def offered(completer: ChatCompleter, text: str) -> list[str]:
    doc = Document(text, len(text))
    return [c.text for c in completer.get_completions(doc, CompleteEvent(completion_requested=True))]


@pytest.mark.parametrize("text, expected", [
    ("/jo", ["/join "]),
    ("/JO", ["/join "]),                             # case-insensitive
    ("/q", ["/query ", "/quit ", "/quote "]),         # client commands next to server ones
    ("/ms", ["/msg "]),                              # aliases too
    ("/wh", ["/who ", "/whois "]),
    ("/help jo", ["join"]),                          # <command> argument
    ("/join #", ["#general", "#dev", "#random"]),     # joined rooms, then those seen in LIST
    ("/join #R", ["#random"]),
    ("/part #d", ["#dev"]),
    ("/query c", ["Carla", "carol"]),                # <nick> argument: any nick I know
    ("/query D", ["dave"]),
    ("/msg #g", ["#general"]),                       # <target>: rooms and nicks
    ("/msg b", ["Bob"]),
    ("/buffer da", ["dave"]),                        # <name>: buffer names
    ("b", ["Bob: "]),                                # a nick at line start addresses them
    ("hello car", ["Carla", "carol"]),               # nicks of the current room mid-line
    ("hello da", []),                                # dave is not in #general
    ("a", []),                                       # not myself
    ("", []),                                        # nothing for an empty line
    ("see #d", ["#dev"]),                            # rooms in plain text
    ("/topic #general some te", []),                 # free text after the arguments
])
def test_offers(completer: ChatCompleter, text: str, expected: list[str]) -> None:
    got = offered(completer, text)
    if text.startswith("/") and " " not in text:
        # Server plugins come and go (the registry is shared): the ones named must be
        # there, in order, and nothing that does not match.
        assert [c for c in got if c in expected] == expected
        assert all(c.startswith(text.lower()) for c in got)
    else:
        assert got == expected


def test_who_spoke_last_comes_first(model: ClientModel, completer: ChatCompleter) -> None:
    model.feed(parse_line(":carol!c@h PRIVMSG #general :anyone?"))
    model.feed(parse_line(":Bob!b@h PRIVMSG #general :me"))
    assert offered(completer, "c") == ["carol: ", "Carla: "]
    assert offered(completer, "") == []
    assert offered(completer, "ok ") == []


def test_command_completions_show_usage_and_help(completer: ChatCompleter) -> None:
    doc = Document("/whoi", 5)
    [completion] = completer.get_completions(doc, CompleteEvent())
    assert completion.display_text == "/whois"
    assert completion.display_meta_text == ("[<server>] <nick>{,<nick>}  Show a user's name, "
                                            "host, rooms, idle time and away message.")
    [query] = completer.get_completions(Document("/quer", 5), CompleteEvent())
    assert query.display_meta_text.startswith("<nick> [<text>]  Open a private chat")


async def type_and_enter(completer: ChatCompleter, *chunks: str) -> str:
    """Type into a real prompt through a pipe; pause after each chunk so the
    (asynchronous) completion can finish, as it would between human keystrokes."""
    with create_pipe_input() as pipe:
        session: PromptSession[str] = PromptSession(completer=completer, input=pipe,
                                                    output=DummyOutput())
        result = asyncio.ensure_future(session.prompt_async())
        for chunk in chunks:
            pipe.send_text(chunk)
            await asyncio.sleep(0.15)
        pipe.send_text("\r")
        return await asyncio.wait_for(result, 5)


@pytest.mark.parametrize("chunks, line", [
    (("/jo", TAB, "#gen", TAB), "/join #general"),
    (("/mo", TAB, TAB), "/monitor "),                # Tab again cycles: /mode, /monitor, ...
    (("b", TAB, "hi there"), "Bob: hi there"),
    (("thanks CAR", TAB), "thanks Carla"),
    (("thanks CAR", TAB, TAB), "thanks carol"),
    (("/query D", TAB, " hi"), "/query dave hi"),
])
def test_tab_in_a_real_prompt(completer: ChatCompleter, chunks: tuple[str, ...], line: str) -> None:
    assert asyncio.run(type_and_enter(completer, *chunks)) == line


def test_redact_and_goto_complete_numbers_with_what_each_is(model: ClientModel,
                                                            completer: ChatCompleter) -> None:
    model.caps.add("echo-message")
    for line in (":alice!a@h PRIVMSG #general :first thing I said",
                 ":Bob!b@h PRIVMSG #general :not mine",
                 "@msgid=a2 :alice!a@h PRIVMSG #general :second thing",
                 "@msgid=a1 :alice!a@h PRIVMSG #general :last thing",
                 ":irc.test BATCH +s soju.im/search",
                 "@batch=s;msgid=x :Bob!b@h PRIVMSG #dev :a result",
                 ":irc.test BATCH -s"):
        model.feed(parse_line(line))
    model.switch_to("#general")
    redact = list(completer.get_completions(Document("/redact ", 8), CompleteEvent()))
    assert [(c.text, c.display_meta_text) for c in redact] == [
        ("1", "last thing"), ("2", "second thing")]     # newest first; no msgid, no redact
    assert offered(completer, "/redact 2") == ["2"]
    goto = list(completer.get_completions(Document("/goto ", 6), CompleteEvent()))
    assert [(c.text, c.display_meta_text) for c in goto] == [("1", "a result")]
