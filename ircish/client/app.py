"""`ircish`: the terminal client's entry point, its key bindings and its event loop.

The reader thread of the `Link` hands each event to the prompt_toolkit loop
with `call_soon_threadsafe`; from there on everything (model, session, drawing)
runs on the UI thread. Keys map to session and model calls, nothing more.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
from collections.abc import Callable
from pathlib import Path

import platformdirs
from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output

from ..protocol import Message, split_list
from .completion import ChatCompleter
from .credentials import CredentialsError, accounts_file, resolve
from .link import Link, LinkEvent, tls_context
from .model import ClientModel
from .sasl import Credentials
from .secrecy import carries_password
from .session import Session
from .slash import Catalog
from .view import STYLE, ChatView


def default_nick() -> str:
    """The login name, made into a valid nick (`john.doe` -> `john_doe`)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "guest"
    name = re.sub(r"[^A-Za-z0-9\[\]\\`_^{|}-]", "_", name)[:30]
    return name if name and not name[0].isdigit() and name[0] != "-" else f"u{name}"[:30]


PASSWORD_VARIABLE = "IRCISH_PASSWORD"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ircish",
        description="A terminal IRC client for ircish (and any IRC server): rooms, private "
                    "chats, history and completion.",
        epilog="Inside: /help lists the commands; Alt-1..9, Ctrl-N/Ctrl-P or /win N switch "
               "buffers; F2 shows or hides the member list; Ctrl-R searches the input history; "
               "PageUp/PageDown scroll (PageUp at the top loads older history, with servers "
               "that keep it); /search words; /register, /login and /logout for your account "
               "(passwords are asked hidden, never kept); /quit or Ctrl-D on an empty line "
               "leaves.")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="server port (default 6667, or 6697 with --tls)")
    parser.add_argument("--tls", action="store_true",
                        help="connect with TLS, checking the server's certificate and name")
    parser.add_argument("--tls-ca", metavar="FILE",
                        help="trust the certificates signed by this CA (PEM) for --tls")
    parser.add_argument("--tls-no-verify", action="store_true",
                        help="with --tls, accept any certificate (self-signed test servers; "
                             "anyone on the path could read along)")
    parser.add_argument("--nick", default=default_nick(),
                        help="your nickname (default: your login name, %(default)s)")
    parser.add_argument("--join", default="#general", metavar="ROOMS",
                        help="rooms to join, comma-separated (default '#general'; '' for none)")
    parser.add_argument("--password", action="store_true",
                        help="ask for the server's connection password (PASS) before "
                             f"connecting; or set {PASSWORD_VARIABLE} (never on the command "
                             "line, where others could read it)")
    parser.add_argument("--sasl", action="store_true",
                        help="log in to your account (SASL: SCRAM-SHA-256 or PLAIN) while "
                             f"connecting; the password comes from {PASSWORD_VARIABLE}, the "
                             f"accounts file {accounts_file()} (chmod 600; a server listed "
                             "there is logged in to without --sasl) or a hidden prompt")
    parser.add_argument("--account", metavar="NAME",
                        help="the account to log in to (default: the nick)")
    args = parser.parse_args(argv)
    if args.sasl:    # the variable is the account's password; PASS only when asked for
        args.password = getpass.getpass("Server password: ") if args.password else None
    else:
        args.password = (getpass.getpass("Server password: ") if args.password
                         else os.environ.get(PASSWORD_VARIABLE))
    if args.port is None:
        args.port = 6697 if args.tls else 6667
    try:
        args.credentials = resolve(args.host, args.port, args.nick, args.account, args.sasl,
                                   os.environ, getpass.getpass)
    except CredentialsError as exc:
        parser.error(str(exc))
    return args


def history_file() -> Path:
    """The input history, one file shared by all runs (written as each line is sent,
    so a crash loses nothing)."""
    folder = Path(platformdirs.user_data_dir("ircish", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "history"


class DiscreetHistory(FileHistory):
    """The input history, less the lines that hold a password (`keep` says which)."""

    def __init__(self, filename: str, keep: Callable[[str], bool]) -> None:
        super().__init__(filename)
        self.keep = keep

    def append_string(self, string: str) -> None:
        if self.keep(string):
            super().append_string(string)


TICK = 1.0      # seconds: how often what is on screen is marked as read


class ChatApp:
    def __init__(self, args: argparse.Namespace, input: Input | None = None,
                 output: Output | None = None) -> None:
        self.args = args
        self.model = ClientModel(args.nick, f"{args.host}:{args.port}")
        self.credentials: Credentials | None = getattr(args, "credentials", None)
        self.model.accounts.wanted = self.credentials.account if self.credentials else ""
        self.model.accounts.usual = args.account or args.nick
        self.catalog = Catalog()
        self.quit_reason = ""
        self.link: Link | None = None
        rooms = [r if r.startswith("#") else "#" + r for r in split_list(args.join)]
        self.session = Session(self.model, self, self.catalog, rooms, self.quit)
        typing_command = Condition(lambda: self.input.text.startswith("/")
                                   and " " not in self.input.text)
        history = DiscreetHistory(str(history_file()), lambda line: not carries_password(
            line, self.session.where(), self.catalog))
        self.input = Buffer(history=history,
                            completer=ChatCompleter(self.model, self.catalog),
                            complete_while_typing=typing_command,
                            accept_handler=self._accept, multiline=False)
        self.view = ChatView(self.model, self.input)
        self.app: Application[None] = Application(
            layout=self.view.layout, key_bindings=self._keys(), style=STYLE,
            full_screen=True, refresh_interval=15, input=input, output=output)

    # --- the link, as the session sees it ---------------------------------------

    def send(self, msg: Message) -> bool:
        return self.link is not None and self.link.send(msg)

    def remember(self, credentials: Credentials | None) -> None:
        """Log in with these from the next connection on (None: not at all)."""
        self.credentials = credentials
        if self.link is not None:
            self.link.credentials = credentials

    def reconnect(self, reason: str) -> None:
        if self.link is not None:
            self.link.reconnect(reason)

    def quit(self, reason: str = "") -> None:
        self.quit_reason = reason
        if self.app.is_running and not self.app.is_done:
            self.app.exit()

    # --- running ------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()

        def deliver(event: LinkEvent) -> None:   # on the reader thread
            try:
                loop.call_soon_threadsafe(self._on_event, event)
            except RuntimeError:
                pass   # the loop has closed: we are on our way out

        tls = (tls_context(not self.args.tls_no_verify, self.args.tls_ca)
               if self.args.tls else None)
        self.link = Link(self.args.host, self.args.port, self.args.nick, deliver,
                         tls=tls, password=self.args.password, credentials=self.credentials)
        self.link.start()
        ticking = asyncio.ensure_future(self._tick())
        try:
            await self.app.run_async()
        finally:
            ticking.cancel()
            self.link.quit(self.quit_reason)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            self.session.tick(at_bottom=self.view.messages.scroll == 0)

    def _on_event(self, event: LinkEvent) -> None:
        self.session.handle(event)
        self.app.invalidate()

    def _accept(self, buffer: Buffer) -> bool:
        self.view.messages.scroll = 0
        text = buffer.text
        if self.model.password_prompt is not None:
            buffer.text = ""   # before the history sees it: a password is not kept
        self.session.submit(text)
        return False   # clear the input line

    # --- keys ---------------------------------------------------------------------

    def _keys(self) -> KeyBindings:
        keys = KeyBindings()
        model, view = self.model, self.view

        def switched() -> None:
            view.messages.scroll = 0
            view.messages.wants_older = False

        for n in range(1, 10):
            @keys.add("escape", str(n))
            def _switch(event: KeyPressEvent, index: int = n - 1) -> None:
                model.switch(index)
                switched()

        @keys.add("c-n")
        @keys.add("escape", "right")
        def _next(event: KeyPressEvent) -> None:
            model.cycle(+1)
            switched()

        @keys.add("c-p")
        @keys.add("escape", "left")
        def _previous(event: KeyPressEvent) -> None:
            model.cycle(-1)
            switched()

        @keys.add("pageup")
        def _back(event: KeyPressEvent) -> None:
            if view.messages.at_top:    # nothing more here: ask the server's history
                view.messages.wants_older = True
                self.session.load_older()
            else:
                view.messages.scroll_by(+1)

        @keys.add("pagedown")
        def _forward(event: KeyPressEvent) -> None:
            view.messages.scroll_by(-1)

        picking = Condition(lambda: model.buffer.kind == "search" and not self.input.text)

        @keys.add("up", filter=picking)
        @keys.add("down", filter=picking)
        def _pick(event: KeyPressEvent) -> None:
            """Up/Down choose a search result (the input's history gets them elsewhere)."""
            step = -1 if event.key_sequence[0].key == "up" else 1
            buf = model.buffer
            buf.selected = max(0, min(len(buf.results) - 1, buf.selected + step))

        @keys.add("f2")
        def _members(event: KeyPressEvent) -> None:
            view.toggle_members()

        @keys.add("c-c")
        def _clear(event: KeyPressEvent) -> None:
            if self.input.text:
                self.input.reset()
            elif self.session.login.cancel():
                pass   # the password prompt is closed
            else:   # what people try first to leave
                model.note("Ctrl-C clears the input line; /quit or Ctrl-D leaves ircish")

        @keys.add("c-d", filter=Condition(lambda: not self.input.text))
        def _leave(event: KeyPressEvent) -> None:
            self.quit()

        return keys


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    asyncio.run(ChatApp(args).run())
    return 0
