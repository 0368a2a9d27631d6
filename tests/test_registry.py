"""The command registry: arity from usage, slash lines, plugin discovery, dispatch."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ircish.commandspec import Usage, builtin_plugin_folder, read_folder
from ircish.protocol import ProtocolError
from ircish.server.registry import PluginError, Registry, builtin_registry

from .conftest import SERVER_NAME


@pytest.fixture(scope="module")
def registry() -> Registry:
    return builtin_registry()


@pytest.mark.parametrize("usage,expected", [
    ("", (0, 0)), ("<nick>", (1, 1)), ("[<text>]", (0, 1)),
    ("<target>{,<target>} <text>", (2, 2)), ("<room> [<text>]", (1, 2)),
    ("<username> <mode> <unused> <realname>", (4, 4)), ("<nick>...", (1, None)),
    ("<target> [<modes>] [<args>...]", (1, None)),
])
def test_arity_comes_from_the_usage_string(usage: str, expected: tuple) -> None:
    parsed = Usage.parse(usage)
    assert (parsed.required, parsed.most) == expected


@pytest.mark.parametrize("line,command,params", [
    ("/msg bob hello there", "PRIVMSG", ["bob", "hello there"]),
    ("/privmsg #a,#b  spaced   out  ", "PRIVMSG", ["#a,#b", "spaced   out  "]),
    ("/join #general", "JOIN", ["#general"]),
    ("/join #a,#b key1,key2", "JOIN", ["#a,#b", "key1,key2"]),
    ("/topic #a a brand new topic", "TOPIC", ["#a", "a brand new topic"]),
    ("/topic #a", "TOPIC", ["#a"]),
    ("/nick alice", "NICK", ["alice"]),
    ("/quit", "QUIT", []),
    ("/quit gone for lunch", "QUIT", ["gone for lunch"]),
    ("/who #a", "WHO", ["#a"]),
    ("/user u 0 * Real Name Here", "USER", ["u", "0", "*", "Real Name Here"]),
    ("/ison a b c", "ISON", ["a", "b", "c"]),
    ("/frobnicate x y z", "FROBNICATE", ["x", "y", "z"]),
    ("/MSG Bob hi", "PRIVMSG", ["Bob", "hi"]),
])
def test_slash_lines_use_the_commands_arity(registry: Registry, line: str, command: str,
                                            params: list[str]) -> None:
    msg = registry.parse_slash(line)
    assert (msg.command, msg.params) == (command, params)


@pytest.mark.parametrize("line", ["/", "//", "/ join #a"])
def test_a_slash_line_without_a_command_is_rejected(registry: Registry, line: str) -> None:
    with pytest.raises(ProtocolError):
        registry.parse_slash(line)


def test_every_builtin_command_has_usage_help_and_a_unique_name(registry: Registry) -> None:
    names = [c.name for c in registry.commands()]
    assert len(names) == len(set(names))
    for cmd in registry.commands():
        assert cmd.help, cmd.name
        assert cmd.help[0].isupper() and cmd.help.endswith("."), cmd.name
    for name in ("CAP", "PASS", "NICK", "USER", "PING", "PONG", "QUIT", "JOIN", "PART",
                 "PRIVMSG", "NOTICE", "NAMES", "WHO", "WHOIS", "TOPIC", "LIST", "AWAY",
                 "MOTD", "LUSERS", "VERSION", "HELP", "MSG"):
        assert registry.get(name) is not None, name


def _plugin(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def test_plugins_are_discovered_from_a_folder(tmp_path: Path) -> None:
    _plugin(tmp_path, "slap.py", '''
        from ircish.server.registry import command

        @command("SLAP", usage="<nick> [<fish>]", help="Slap someone.")
        def slap(ctx, nick, fish="trout"):
            pass
    ''')
    _plugin(tmp_path, "_private.py", "raise RuntimeError('not loaded')\n")
    registry = builtin_registry([tmp_path])
    slap = registry.get("slap")
    assert slap is not None and (slap.min_params, slap.max_params) == (1, 2)
    assert registry.parse_slash("/slap bob a large trout").params == ["bob", "a large trout"]


@pytest.mark.parametrize("body,expected", [
    ("def broken(:\n", r"broken\.py:1: "),
    ("import no_such_module_here\n", r"broken\.py:1: ModuleNotFoundError: No module named"),
    ("x = 1\ny = 1 / 0\n", r"broken\.py:2: ZeroDivisionError"),
])
def test_a_broken_plugin_names_its_file_and_reason(tmp_path: Path, body: str,
                                                    expected: str) -> None:
    _plugin(tmp_path, "broken.py", body)
    with pytest.raises(PluginError, match=expected):
        builtin_registry([tmp_path])


def test_a_plugin_may_not_redefine_a_command(tmp_path: Path) -> None:
    _plugin(tmp_path, "join2.py", '''
        from ircish.server.registry import command

        @command("JOIN", usage="<room>", help="Another join.")
        def join(ctx, room):
            pass
    ''')
    with pytest.raises(PluginError, match=r"join2\.py: command JOIN is already defined"):
        builtin_registry([tmp_path])


def test_the_plugins_source_says_what_the_server_runs(registry: Registry) -> None:
    # The client reads the entries from the source; the server runs the modules.
    read = {spec.name: spec for spec in read_folder(builtin_plugin_folder())}
    assert read == {cmd.name: cmd.spec for cmd in registry.commands()}


def test_reading_the_command_entries_runs_no_server_code() -> None:
    script = ("import sys, json; from ircish.client.slash import Catalog; "
              "Catalog(); print(json.dumps(sorted(m for m in sys.modules "
              "if m.startswith('ircish.server'))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    assert json.loads(out) == ["ircish.server"]  # the package's empty __init__, no more


def test_a_plugin_whose_entry_is_not_literal_is_refused(tmp_path: Path) -> None:
    _plugin(tmp_path, "shout.py", '''
        from ircish.server.registry import command

        USAGE = "<text>"

        @command("SHOUT", usage=USAGE, help="Shout.")
        def shout(ctx, text):
            pass
    ''')
    with pytest.raises(PluginError, match=r"shout\.py:6: @command arguments must be literals"):
        builtin_registry([tmp_path])


# --- dispatch, over a real connection ------------------------------------------------

def test_registry_answers_451_421_461(connect) -> None:
    c = connect()
    c.send("JOIN #general")
    c.expect_exact(f":{SERVER_NAME} 451 * :You have not registered")
    c.send("FROB")
    c.expect_exact(f":{SERVER_NAME} 451 * :You have not registered")
    c.register("alice")
    c.send("FROB x")
    c.expect_exact(f":{SERVER_NAME} 421 alice FROB :Unknown command")
    c.send("JOIN")
    c.expect_exact(f":{SERVER_NAME} 461 alice JOIN :Not enough parameters")
    c.send("USER a b c")
    c.expect_exact(f":{SERVER_NAME} 461 alice USER :Not enough parameters")


def test_a_plugin_command_runs_on_the_server(start_server, connect, tmp_path: Path) -> None:
    _plugin(tmp_path, "echo.py", '''
        from ircish.server.registry import command

        @command("ECHO", usage="<text>", help="Say it back.")
        def echo(ctx, text):
            ctx.reply("NOTICE", "echo: " + text)
    ''')
    server = start_server(command_dirs=[tmp_path])
    c = connect(None, target=server)
    c.register("alice")
    c.send("/echo hello   world")
    c.expect_exact(f":{SERVER_NAME} NOTICE alice :echo: hello   world")
