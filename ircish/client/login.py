"""Logging in, registering and logging out from inside the client (`/login`,
`/register`, `/logout`): the hidden password prompt and what is sent with its answer.

- The password is asked on the input line, masked (`model.password_prompt` tells the
  view); the line typed there goes nowhere else: not to the history file (the app
  clears it before the history sees it), not to the scrollback, not to the log.
  `/register` asks twice: a typo in a new password would lock the user out.
- `/register [email]`: `REGISTER * <email|*> <password>` (draft/account-registration;
  `*` is the current nick). `REGISTER SUCCESS` means logged in, as with SASL.
- `/login [account]`: SASL again if the server's `sasl` capability is enabled (sasl-3.2
  allows re-authenticating after registration), else `PRIVMSG NickServ :IDENTIFY
  <account> <password>`.
- A login that worked (900, or REGISTER SUCCESS) makes the link log in with SASL on
  every reconnect from then on (`remember`).
- `/logout`: IRC has no standard way to log out (SASL cannot undo itself; NickServ
  LOGOUT exists on some services only, and what an unknown one does with it cannot be
  known). The credentials are forgotten either way (no login on the next connection).
  On an ircish server (its 004 version says so), whose NickServ has LOGOUT, that is
  sent and the connection stays; elsewhere the client reconnects without logging in
  (`reconnect`), which works on every server, and the rooms are rejoined.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..protocol import Message, casefold
from .accounts import REGISTRATION, is_ircish
from .model import ClientModel
from .sasl import Credentials, SaslExchange
from .slash import AskPassword


class AccountLink(Protocol):
    def remember(self, credentials: Credentials | None) -> None: ...
    def reconnect(self, reason: str) -> None: ...


@dataclass
class Asking:
    purpose: str                 # "register" or "login"
    account: str
    email: str = ""
    first: str | None = None     # register: typed once, to be typed again


class LoginFlow:
    def __init__(self, model: ClientModel, send: Callable[[Message], bool],
                 link: AccountLink) -> None:
        self.model = model
        self.send = send
        self.link = link
        self.asking: Asking | None = None
        self.sasl: SaslExchange | None = None    # a /login over SASL under way
        self.pending: Credentials | None = None  # sent; remembered once it works

    # --- the prompt ---------------------------------------------------------------

    def ask(self, action: AskPassword) -> None:
        model = self.model
        why = self._refusal(action)
        if why is not None:
            model.note(why, "error")
            return
        if action.purpose == "register":
            account = model.nick
            self._prompt(f"New password for account {account}: ")
        else:
            # (not the nick in use: a server that keeps registered nicks for their
            # owners gave me `alice_` until I log in)
            accounts = model.accounts
            account = action.account or accounts.wanted or accounts.usual or model.nick
            self._prompt(f"Password for account {account}: ")
        self.asking = Asking(action.purpose, account, action.email)
        model.note("Type the password (it is not shown) and press Enter; "
                   "Ctrl-C on the empty line cancels")

    def _refusal(self, action: AskPassword) -> str | None:
        accounts = self.model.accounts
        if not self.model.registered:
            return "Not connected: wait for the connection, then try again"
        if action.purpose == "register":
            if REGISTRATION not in accounts.offered:
                return "This server does not offer account registration " \
                       "(draft/account-registration)"
            if accounts.account is not None:
                return f"You are logged in as {accounts.account} already"
        return None

    def _prompt(self, text: str | None) -> None:
        self.model.password_prompt = text

    def cancel(self) -> bool:
        """Ctrl-C at the prompt: True if there was one to cancel."""
        if self.asking is None:
            return False
        self.asking = None
        self._prompt(None)
        self.model.note("Cancelled")
        return True

    def password(self, text: str) -> None:
        """The line typed at the prompt (never shown, never kept)."""
        asking = self.asking
        if asking is None:
            return
        if not text:
            self.model.note("An empty password: type one, or Ctrl-C to cancel", "error")
            return
        if asking.purpose == "register" and asking.first is None:
            asking.first = text
            self._prompt(f"The same password again for account {asking.account}: ")
            return
        self.asking = None
        self._prompt(None)
        if asking.first is not None and asking.first != text:
            self.model.note("The two passwords differ: nothing was sent (/register again)",
                            "error")
            return
        self.pending = Credentials(asking.account, text)
        if asking.purpose == "register":
            self.send(Message("REGISTER", ["*", asking.email or "*", text]))
        elif "sasl" in self.model.caps:
            self.sasl = SaslExchange(self.pending, self.model.accounts.offered.get("sasl"))
            self._send_all(self.sasl.start())
        else:
            self.send(Message("PRIVMSG", ["NickServ", f"IDENTIFY {asking.account} {text}"]))

    # --- from the server ----------------------------------------------------------

    def handle(self, msg: Message) -> None:
        if self.sasl is not None and not self.sasl.finished:
            self._send_all(self.sasl.feed(msg))
            if self.sasl.finished and self.sasl.failure:
                self.model.note(f"Not logged in: {self.sasl.failure}", "error")
        pending = self.pending
        if pending is None:
            return
        logged_in = msg.command == "900" and len(msg.params) > 2 \
            and casefold(msg.params[2]) == casefold(pending.account)
        registered = msg.command == "REGISTER" and msg.params[:1] == ["SUCCESS"]
        refused = msg.command in ("902", "904") \
            or (msg.command == "FAIL" and msg.params[:1] == ["REGISTER"])
        if logged_in or registered:
            self.link.remember(pending)
            self.model.accounts.wanted = pending.account
        if logged_in or registered or refused:
            self.pending = None

    def _send_all(self, messages: list[Message]) -> None:
        for msg in messages:
            self.send(msg)

    # --- logging out --------------------------------------------------------------

    def logout(self) -> None:
        self.link.remember(None)
        self.pending = None
        self.model.accounts.wanted = ""
        if self.model.accounts.account is None:
            self.model.note("You are not logged in (the next connection will not log in "
                            "either)")
            return
        if is_ircish(self.model.accounts.server_version):
            self.send(Message("PRIVMSG", ["NickServ", "LOGOUT"]))
            return
        self.model.note("Logging out: IRC has no standard way to, so ircish reconnects "
                        "without your account; your rooms are rejoined")
        self.link.reconnect("Logging out")
