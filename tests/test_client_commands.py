"""The client's slash-command parser: a table of typed lines and the actions they mean."""
from __future__ import annotations

import dataclasses

import pytest

from ircish.client.outgoing import messages_for, split_text, text_budget
from ircish.client.slash import (
    Catalog,
    CloseBuffer,
    Error,
    Info,
    OpenQuery,
    Quit,
    Say,
    Send,
    SwitchTo,
    Where,
    interpret,
)
from ircish.commandspec import CommandTable, builtin_plugin_folder, read_folder
from ircish.protocol import MAX_LINE, Message

ROOM = Where("#general", "room")
QUERY = Where("bob", "query")
SERVER = Where()
SERVER_SPECS = read_folder(builtin_plugin_folder())
JOIN_HELP = next(spec.help for spec in SERVER_SPECS if spec.name == "JOIN")


def send(command: str, *params: str) -> Send:
    return Send(Message(command, list(params)))


CASES = [
    # plain text and `//`
    ("hello there", ROOM, [Say("#general", "hello there")]),
    ("  spaced  out ", ROOM, [Say("#general", "  spaced  out ")]),
    ("hi bob", QUERY, [Say("bob", "hi bob")]),
    ("//join is a command", ROOM, [Say("#general", "/join is a command")]),
    ("//", ROOM, [Say("#general", "/")]),
    ("", ROOM, []),
    ("   ", ROOM, []),
    # /join, /part
    ("/join #dev", ROOM, [send("JOIN", "#dev")]),
    ("/join dev", ROOM, [send("JOIN", "#dev")]),
    ("/JOIN #a,#b key1", SERVER, [send("JOIN", "#a,#b", "key1")]),
    ("/join 0", ROOM, [send("JOIN", "0")]),
    ("/part", ROOM, [send("PART", "#general")]),
    ("/part see you later", ROOM, [send("PART", "#general", "see you later")]),
    ("/part #dev gone  fishing", ROOM, [send("PART", "#dev", "gone  fishing")]),
    # /msg opens a private buffer when the echo arrives; /query opens it now
    ("/msg bob hello there", ROOM, [Say("bob", "hello there")]),
    ("/msg bob  two  spaces ", ROOM, [Say("bob", "two  spaces ")]),
    ("/MSG #dev hi all", ROOM, [Say("#dev", "hi all")]),
    ("/privmsg bob hi", ROOM, [Say("bob", "hi")]),
    ("/msg bob,carol hi", ROOM, [Say("bob", "hi"), Say("carol", "hi")]),
    ("/query carol", ROOM, [OpenQuery("carol")]),
    ("/query carol are you there?", ROOM, [OpenQuery("carol"), Say("carol", "are you there?")]),
    ("/notice bob ping me", ROOM, [Say("bob", "ping me", "notice")]),
    # /me
    ("/me waves", ROOM, [Say("#general", "waves", "action")]),
    ("/me waves back", QUERY, [Say("bob", "waves back", "action")]),
    # /nick, /topic, /names, /who, /whois, /list, /away
    ("/nick alice2", ROOM, [send("NICK", "alice2")]),
    ("/topic", ROOM, [send("TOPIC", "#general")]),
    ("/topic Release on Friday", ROOM, [send("TOPIC", "#general", "Release on Friday")]),
    ("/topic #dev new  topic", ROOM, [send("TOPIC", "#dev", "new  topic")]),
    ("/names", ROOM, [send("NAMES", "#general")]),
    ("/names #dev", ROOM, [send("NAMES", "#dev")]),
    ("/names", SERVER, [send("NAMES")]),
    ("/who", ROOM, [send("WHO", "#general")]),
    ("/who bob", ROOM, [send("WHO", "bob")]),
    ("/whois bob", ROOM, [send("WHOIS", "bob")]),
    ("/list", ROOM, [send("LIST")]),
    ("/away gone to lunch", ROOM, [send("AWAY", "gone to lunch")]),
    ("/away", ROOM, [send("AWAY")]),
    # client-only commands
    ("/close", ROOM, [CloseBuffer(None)]),
    ("/close #dev", ROOM, [CloseBuffer("#dev")]),
    ("/win 3", ROOM, [SwitchTo(index=3)]),
    ("/buffer dev", ROOM, [SwitchTo(name="dev")]),
    ("/buffer 2", ROOM, [SwitchTo(index=2)]),
    ("/quote MODE #general", ROOM, [send("MODE", "#general")]),
    ("/quote PRIVMSG bob :hi there", ROOM, [send("PRIVMSG", "bob", "hi there")]),
    ("/raw PING x", ROOM, [send("PING", "x")]),
    ("/quit", ROOM, [Quit("")]),
    ("/quit off to bed, bye", ROOM, [Quit("off to bed, bye")]),
    # /help: from the same registry entries, the server asked for what only it knows
    # the server's own entry (its wording changes with the server, the shape does not)
    ("/help join", ROOM, [Info("/join <room>{,<room>} [<key>{,<key>}]"),
                          Info("  " + JOIN_HELP)]),
    ("/help /query", ROOM, [Info("/query <nick> [<text>]"),
                            Info("  Open a private chat with someone, optionally saying something.")]),
    ("/help frobnicate", ROOM, [send("HELP", "frobnicate")]),
    # unknown commands go to the server as typed
    ("/frobnicate a b :c d", ROOM, [send("FROBNICATE", "a", "b", "c d")]),
    ("/version", ROOM, [send("VERSION")]),
    # missing arguments
    ("/join", ROOM, [Error("Usage: /join <room>{,<room>} [<key>{,<key>}]")]),
    ("/msg", ROOM, [Error("Usage: /msg <target>{,<target>} <text>")]),
    ("/msg bob", ROOM, [Error("Usage: /msg <target>{,<target>} <text>")]),
    ("/query", ROOM, [Error("Usage: /query <nick> [<text>]")]),
    ("/me", ROOM, [Error("Usage: /me <text>")]),
    ("/nick", ROOM, [Error("Usage: /nick <nick>")]),
    ("/whois", ROOM, [Error("Usage: /whois [<server>] <nick>{,<nick>}")]),
    ("/part", SERVER, [Error("Usage: /part <room>{,<room>} [<reason>]")]),
    ("/topic", QUERY, [Error("Usage: /topic <room> [<text>]")]),
    ("/win", ROOM, [Error("Usage: /win <number>")]),
    ("/win two", ROOM, [Error("Usage: /win <number>")]),
    ("/buffer", ROOM, [Error("Usage: /buffer <name>")]),
    ("/quote", ROOM, [Error("Usage: /quote <line>")]),
    # things that cannot work where the user is
    ("hello", SERVER, [Error("This is the server buffer: /join a room or /query someone to talk")]),
    ("/me waves", SERVER, [Error("/me works in a room or a private chat")]),
    ("/query #dev", ROOM, [Error("/query is for people; use /join #dev for a room")]),
    ("/", ROOM, [Error("Type a command after '/', or // to send text starting with '/'")]),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.mark.parametrize("line, where, expected", CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_interpret(catalog: Catalog, line: str, where: Where, expected: list[object]) -> None:
    assert interpret(line, where, catalog) == expected


def test_help_lists_server_and_client_commands_but_not_protocol_ones(catalog: Catalog) -> None:
    lines = [a.text for a in interpret("/help", ROOM, catalog) if isinstance(a, Info)]
    listed = {line.split()[0] for line in lines if line.startswith("  /")}
    assert {"/join", "/part", "/privmsg", "/query", "/me", "/nick", "/topic", "/names", "/who",
            "/whois", "/list", "/away", "/help", "/close", "/quit", "/quote", "/win",
            "/buffer"} <= listed
    assert not listed & {"/cap", "/user", "/pass", "/pong", "/ping"}


def test_catalog_uses_the_server_registry_entries(catalog: Catalog) -> None:
    # The client's /msg behaviour keeps the server's usage and help: one source of truth.
    server_entry = catalog.server.get("PRIVMSG")
    client_entry = catalog.get("msg")
    assert client_entry is not None and server_entry is not None
    assert (client_entry.usage, client_entry.help, client_entry.aliases) == \
           (server_entry.usage, server_entry.help, server_entry.aliases)


def test_server_aliases_that_are_client_commands_stay_the_clients() -> None:
    # PROTOCOL.md allows QUERY and ME as PRIVMSG aliases on the server side.
    server = CommandTable(dataclasses.replace(spec, aliases=("MSG", "QUERY", "ME"))
                          if spec.name == "PRIVMSG" else spec for spec in SERVER_SPECS)
    catalog = Catalog(server)
    assert interpret("/query bob", ROOM, catalog) == [OpenQuery("bob")]
    assert interpret("/me waves", ROOM, catalog) == [Say("#general", "waves", "action")]
    assert interpret("/msg bob hi", ROOM, catalog) == [Say("bob", "hi")]


SPLITS = [
    ("short", 10, ["short"]),
    ("", 10, [""]),
    ("one two three four", 9, ["one two", "three", "four"]),
    ("abcdefghijkl", 5, ["abcde", "fghij", "kl"]),
    ("ab  cd", 3, ["ab", " cd"]),            # only the one space at the cut goes
    ("ééééé", 4, ["éé", "éé", "é"]),          # never cuts a character in two
    ("x " * 3, 2, ["x", "x", "x "]),
]


@pytest.mark.parametrize("text, limit, pieces", SPLITS)
def test_split_text(text: str, limit: int, pieces: list[str]) -> None:
    assert split_text(text, limit) == pieces
    assert all(len(p.encode()) <= limit for p in pieces)


SOURCE = "alice!~alice@127.0.0.1"


@pytest.mark.parametrize("kind", ["message", "action", "notice"])
def test_long_text_is_split_at_words_to_fit_the_relayed_line(kind: str) -> None:
    words = [f"word{i}" for i in range(300)]
    text = " ".join(words)
    pieces = messages_for(Say("#general", text, kind), SOURCE)
    assert len(pieces) > 1
    for n, (piece, msg) in enumerate(pieces):
        relayed = Message(msg.command, msg.params, source=SOURCE).to_bytes(force_trailing=True)
        assert len(relayed) <= MAX_LINE
        if n < len(pieces) - 1:
            assert len(relayed) >= MAX_LINE - 10     # full lines, not timid ones
    assert " ".join(piece for piece, _ in pieces) == text   # nothing lost
    if kind == "action":
        assert all(m.params[1].startswith("\x01ACTION ") and m.params[1].endswith("\x01")
                   for _, m in pieces)


def test_text_budget_accounts_for_the_prefix_the_server_adds() -> None:
    budget = text_budget(SOURCE, "PRIVMSG", "#general")
    assert budget == MAX_LINE - len(f":{SOURCE} PRIVMSG #general :\r\n")
