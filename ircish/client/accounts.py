"""Accounts as the model sees them: whether I am logged in and as whom, who else is,
what registering said, and who owns a room.

- Me: `900 <nick> <source> <account> :...` (RPL_LOGGEDIN) and `901` (RPL_LOGGEDOUT),
  from SASL, `REGISTER` or NickServ alike; the status line shows the account.
- Others (a private chat's topic bar says whom one is talking to): `extended-join`
  (`JOIN #room <account|*> :realname`), `account-notify` (`ACCOUNT <account|*>`),
  `account-tag` (`@account=...` on what they say), WHOIS `330`.
- `draft/account-registration`: `REGISTER SUCCESS|VERIFICATION_REQUIRED <account> :...`.
- Rooms owned by accounts (an ircish server: its 004 version starts with `ircish-` and
  it offers account registration): once a room joined is on screen (and after the
  user's own ROOM commands about a room of his), `ROOM INFO #room` is asked, and the
  answer, whose format is fixed, fills the room's owner and access list:
      :<server> NOTE ROOM REGISTERED <#room> <founder> <registered_at> :...
      :<server> NOTE ROOM AMODE <#room> <account> <+o|+v> :...      (zero or more)
      :<server> NOTE ROOM NOT_REGISTERED <#room> :...
  These automatic answers are not shown; the answers to the user's own `/room` commands
  are. A connection's commands are answered in order, so the oldest automatic request
  outstanding is the one an answer (or a FAIL ROOM, or 421 from a server without ROOM)
  belongs to; the AMODE lines that follow an automatic REGISTERED are its too.

Handlers are named `on_<command>`; the model calls them after its own for the same
message. What to send waits in `outbox` (the session sends it), as in `history`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..protocol import Message, casefold, number
from .buffers import Line
from .sentences import nick_of

if TYPE_CHECKING:
    from .buffers import Buffer
    from .model import ClientModel

REGISTRATION = "draft/account-registration"


def is_ircish(version: str) -> bool:
    return version.startswith("ircish-")


class Accounts:
    def __init__(self, model: ClientModel) -> None:
        self.model = model
        self.outbox: list[Message] = []
        self.account: str | None = None    # mine, while logged in
        self.wanted = ""                   # the account the user logs in to at connect
        self.usual = ""                    # the account /login means: --account, else --nick
        self.known: dict[str, str] = {}    # casefolded nick -> account ("*": none)
        self.offered: dict[str, str] = {}  # capabilities offered (CAP LS/NEW), with values
        self.server_version = ""           # from 004
        self._asked: list[str] = []        # rooms whose automatic ROOM INFO is unanswered
        self._unasked: set[str] = set()    # rooms joined whose owner is not asked yet
        self._amodes_quiet: set[str] = set()   # rooms whose AMODE lines answer one

    def reset(self) -> None:
        """A new connection: nothing of the old one holds (the login runs again)."""
        self.outbox.clear()
        self.account = None
        self.known.clear()
        self.offered.clear()
        self.server_version = ""
        self._asked.clear()
        self._unasked.clear()
        self._amodes_quiet.clear()

    def account_of(self, nick: str) -> str | None:
        """The account `nick` is logged in to; "" when known to be none; None: unknown."""
        found = self.known.get(casefold(nick))
        return None if found is None else "" if found == "*" else found

    def _learn(self, nick: str, account: str) -> None:
        if nick and account:
            self.known[casefold(nick)] = account

    def hides(self, msg: Message) -> bool:
        """An error answering an automatic ROOM INFO (a server without ROOM, a room it
        does not know): not the user's business either."""
        refusal = (msg.command == "421" and msg.params[1:2] == ["ROOM"]) or \
            (msg.command == "FAIL" and msg.params[:1] == ["ROOM"])
        if refusal and self._asked:
            self._asked.pop(0)
            return True
        return False

    # --- capabilities and the server ----------------------------------------------

    def on_cap(self, msg: Message) -> None:
        sub, names = msg.params[1:2], msg.params[-1].split() if len(msg.params) > 2 else []
        if sub in (["LS"], ["NEW"]):
            for item in names:
                name, _, value = item.partition("=")
                self.offered[name] = value
        elif sub == ["DEL"]:
            for name in names:
                self.offered.pop(name, None)

    def on_004(self, msg: Message) -> None:
        self.server_version = msg.params[2] if len(msg.params) > 2 else ""

    def on_001(self, msg: Message) -> None:
        if self.wanted and self.account is None and "sasl" not in self.model.caps:
            self.model.add(self.model.server, Line(
                "error", "Not logged in: this server does not offer SASL "
                         "(/login tries NickServ)"))

    # --- me -----------------------------------------------------------------------

    def on_900(self, msg: Message) -> None:
        if len(msg.params) < 3:
            return
        was, self.account = self.account, msg.params[2]
        self._learn(self.model.nick, self.account)
        if was is None and self.model.registered:
            for buf in self.model.buffers:   # logged in now: private history is mine to read
                if buf.kind == "query":
                    self.model.query_opened(buf)

    def on_901(self, msg: Message) -> None:
        self.account = None
        self._learn(self.model.nick, "*")

    def on_register(self, msg: Message) -> None:
        """`REGISTER SUCCESS <account> :text` (logged in, as with SASL) or
        `REGISTER VERIFICATION_REQUIRED <account> :text` (how to finish it)."""
        if len(msg.params) < 2:
            return
        what, account = msg.params[0], msg.params[1]
        text = msg.params[-1] if len(msg.params) > 2 else ""
        if what == "SUCCESS":
            self.account = self.account or account
            self.model.note(f"Account {account} registered; you are logged in as "
                            f"{self.account}" + (f" ({text})" if text else ""))
        elif what == "VERIFICATION_REQUIRED":
            self.model.note(f"Account {account} needs verifying: {text} "
                            f"(then /quote VERIFY {account} <code>)")

    # --- others -------------------------------------------------------------------

    def on_join(self, msg: Message) -> None:
        """extended-join names the account; my own join makes the room's owner worth
        asking an ircish server, once the room is on screen (`due`)."""
        nick = nick_of(msg.source)
        if len(msg.params) >= 3:
            self._learn(nick, msg.params[1])
        room = msg.params[0] if msg.params else ""
        if room and self.model.is_me(nick):
            self._unasked.add(casefold(room))

    def due(self) -> None:
        """Ask who owns the room on screen, if not yet since joining it: only the room
        shown has its top line on screen, and each request spends the server's flood
        tokens, which the user's own lines need more (a few rooms joined at once would
        otherwise hold his first lines back for seconds)."""
        buf = self.model.buffer
        if buf.key in self._unasked and buf.kind == "room" and buf.joined:
            self._unasked.discard(buf.key)
            self.ask_room(buf.name)

    def ask_room(self, room: str) -> None:
        """Ask an ircish server who owns `room`, quietly (on joining it, and after the
        user's own ROOM commands about it, whose answers do not say)."""
        if is_ircish(self.server_version) and REGISTRATION in self.offered:
            self._asked.append(casefold(room))
            self.outbox.append(Message("ROOM", ["INFO", room]))

    def sent(self, msg: Message) -> None:
        """The user sent `msg`: a ROOM command changing a room of mine is followed by
        a quiet ROOM INFO, so that the top line shows what it did."""
        params = msg.params
        if msg.command == "ROOM" and len(params) > 1 and params[0].upper() != "INFO" \
                and self.model.find(params[1], "room") is not None:
            self.ask_room(params[1])

    def on_account(self, msg: Message) -> None:
        if msg.params:
            self._learn(nick_of(msg.source), msg.params[0])
            if self.model.is_me(nick_of(msg.source)):
                self.account = None if msg.params[0] == "*" else msg.params[0]

    def on_privmsg(self, msg: Message) -> None:
        if "!" in (msg.source or ""):
            self._learn(nick_of(msg.source), msg.tags.get("account", ""))

    on_notice = on_privmsg

    def on_330(self, msg: Message) -> None:
        if len(msg.params) > 2:
            self._learn(msg.params[1], msg.params[2])

    # --- rooms owned by accounts --------------------------------------------------

    def on_note(self, msg: Message) -> None:
        """`NOTE|WARN <command> <code> [<context>...] :<description>`: shown, but for
        the answers to ROOM INFO."""
        if not self.room_note(msg) and len(msg.params) >= 3:
            self.model.note(f"{msg.params[0]}: {msg.params[-1]}",
                            "error" if msg.command == "WARN" else "info")

    on_warn = on_note

    def room_note(self, msg: Message) -> bool:
        """`NOTE ROOM ...`: True when it was one of ROOM INFO's answers."""
        params = msg.params
        if params[:1] != ["ROOM"] or len(params) < 4:
            return False
        what, key = params[1], casefold(params[2])
        if what == "AMODE":
            quiet = key in self._amodes_quiet
        elif what in ("REGISTERED", "NOT_REGISTERED"):
            quiet = bool(self._asked) and self._asked[0] == key
            if quiet:
                self._asked.pop(0)
                self._amodes_quiet.add(key)
            else:
                self._amodes_quiet.discard(key)
        else:
            return False
        buf = self.model.find(params[2], "room")
        text = None if buf is None else self._room_note(buf, what, params[3:-1])
        if buf is None or text is None:
            return quiet            # a room without a buffer: shown as any NOTE, unless
        if not quiet:               # it answers an automatic request
            self.model.add(buf, Line("info", text))
        return True

    def _room_note(self, buf: Buffer, what: str, args: list[str]) -> str | None:
        """Apply one answer; returns how it reads (None: not one of ROOM INFO's)."""
        if what == "REGISTERED" and len(args) >= 2:
            buf.owner, buf.access = args[0], {}
            return f"{buf.name} is registered to {args[0]} since {when(args[1])}"
        if what == "AMODE" and len(args) >= 2:
            buf.access[casefold(args[0])] = args[1]
            return f"  {args[0]} gets {args[1]} in {buf.name}"
        if what == "NOT_REGISTERED":
            buf.owner, buf.access = "", {}
            return f"{buf.name} is not registered"
        return None


def when(stamp: str) -> str:
    """A registration time: epoch seconds shown as a local date; anything else as is."""
    seconds = number(stamp)
    if seconds is None:
        return stamp
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
