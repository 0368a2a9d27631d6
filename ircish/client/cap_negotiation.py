"""The IRCv3 capabilities the client asks for, and the one tag it reads (server-time).

`CapNegotiation` is sans-I/O, like the wire format: the link feeds it each message
before registration and sends what it returns. It opens with `CAP LS 302`, gathers a
multi-line `CAP * LS * :...` reply, requests those of `WANTED` the server offers and
ends with `CAP END`, which our server (and any IRCv3 server) waits for once CAP LS was
sent. A server that does not know CAP answers 421 (or 451) or nothing at all and
registers on NICK/USER alone: the negotiation ends on the error, on the welcome, or
after `CAP_WAIT` seconds of silence, so registration never hangs on it.

History (`HISTORY`) comes with what it needs: `batch` to receive it, `message-tags` for
the msgids that dedupe it and that REDACT names, `echo-message` so that my own lines
carry a msgid too. Those companions are asked for only when the server offers history
(and batch), so against a server without it the client asks for what it always did.

Logging in (`credentials` given): `sasl` is requested with the rest, and once it is
acknowledged the SASL exchange (`sasl.SaslExchange`) runs before `CAP END`, as sasl-3.1
asks, so the welcome finds me logged in. A failed login still ends the negotiation: the
connection goes on without an account (the user is told why and can `/login`).

server-time: `message_time` reads a message's `time` tag (RFC 3339, UTC, e.g.
`2026-11-25T03:09:16.123Z`); anything malformed counts as absent, so the caller
falls back to the time of receipt.
"""
from __future__ import annotations

import re
from datetime import datetime

from ..protocol import Message
from .sasl import Credentials, SaslExchange

# server-time: when a line was sent (history replays keep their times); multi-prefix:
# every prefix in NAMES (@+alice), so a de-op leaves the voice visible; away-notify:
# AWAY lines for members, shown in the member list. Accounts, which cost nothing when
# unused: sasl (logging in now or later, /login), account-notify, account-tag and
# extended-join (who is logged in as whom), draft/account-registration (/register).
WANTED = ("server-time", "multi-prefix", "away-notify", "sasl", "account-notify",
          "account-tag", "extended-join", "draft/account-registration")
# draft/chathistory: CHATHISTORY; draft/event-playback: joins, parts, topics in it;
# draft/message-redaction: REDACT; soju.im/search: SEARCH; draft/read-marker: MARKREAD
# (what I have read, shared by my clients).
HISTORY = ("draft/chathistory", "draft/event-playback", "draft/message-redaction",
           "soju.im/search", "draft/read-marker")
COMPANIONS = ("batch", "message-tags", "echo-message")
CAP_WAIT = 10.0           # seconds without an answer to CAP LS before we end it ourselves

_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                      r"(Z|[+-][0-9]{2}:[0-9]{2})", re.ASCII)


def message_time(msg: Message) -> float | None:
    """The epoch seconds of the `time` tag, or None when absent or malformed."""
    return parse_time(msg.tags.get("time", ""))


def parse_time(raw: str) -> float | None:
    """Epoch seconds of an RFC 3339 time as server-time writes it, or None."""
    if not _RFC3339.fullmatch(raw):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:          # a date that does not exist (2026-02-30, hour 25)
        return None


class CapNegotiation:
    """One connection's negotiation, from `CAP LS 302` to `CAP END`."""

    def __init__(self, wanted: tuple[str, ...] = WANTED,
                 history: tuple[str, ...] = HISTORY,
                 credentials: Credentials | None = None) -> None:
        self.wanted = wanted
        self.history = history
        self.credentials = credentials
        self.sasl: SaslExchange | None = None   # the login under way, or the one that ran
        self.offered: dict[str, str] = {}    # name -> value, from CAP LS (and CAP NEW)
        self.enabled: set[str] = set()       # acknowledged by the server
        self.done = False                    # CAP END sent, or registration went on without it
        self._requested = False

    def start(self) -> list[Message]:
        return [Message("CAP", ["LS", "302"])]

    def feed(self, msg: Message) -> list[Message]:
        """What to send in answer to `msg` (usually nothing)."""
        if self.sasl is not None and not self.sasl.finished and not self.done:
            answers = self.sasl.feed(msg)
            return answers + self._end() if self.sasl.finished else answers
        if msg.command == "CAP" and len(msg.params) >= 2:
            return self._cap(msg.params[1].upper(), msg.params[2:])
        if msg.command in ("421", "451") and msg.params[1:2] == ["CAP"] and not self.done:
            return self._end()       # a server without CAP: END is harmless, and the rule
        if msg.command == "001":
            self.done = True         # registered: nothing more to negotiate before it
        return []

    def expired(self) -> list[Message]:
        """The server has said nothing for a while: end the negotiation if still open."""
        return [] if self.done else self._end()

    def _cap(self, sub: str, args: list[str]) -> list[Message]:
        more = len(args) > 1 and args[0] == "*"    # a 302 multi-line reply goes on
        names = args[-1].split() if args else []
        if sub in ("LS", "NEW"):
            for item in names:
                name, _, value = item.partition("=")
                self.offered[name] = value
            if more or (sub == "LS" and self.done):    # later LS: the user asked (/quote)
                return []
            wanted = self._wanted()
            if wanted:
                self._requested = True
                return [Message("CAP", ["REQ", " ".join(wanted)])]
            return [] if sub == "NEW" else self._end()
        if sub == "ACK":
            for item in names:
                if item.startswith("-"):
                    self.enabled.discard(item[1:])
                else:
                    self.enabled.add(item)
        elif sub == "DEL":
            for item in names:
                self.enabled.discard(item)
                self.offered.pop(item, None)
            return []
        if sub in ("ACK", "NAK") and self._requested and not more:
            self._requested = False
            if self.done:
                return []
            if "sasl" in self.enabled and self.credentials is not None and self.sasl is None:
                return self._log_in()
            return self._end()
        return []

    def _wanted(self) -> list[str]:
        """What to request of what is offered and not yet enabled."""
        names = list(self.wanted)
        if "batch" in self.offered and any(c in self.offered for c in self.history):
            names += [*self.history, *COMPANIONS]
        return [c for c in names if c in self.offered and c not in self.enabled]

    def _log_in(self) -> list[Message]:
        assert self.credentials is not None
        self.sasl = SaslExchange(self.credentials, self.offered.get("sasl"))
        first = self.sasl.start()
        return first + self._end() if self.sasl.finished else first

    def _end(self) -> list[Message]:
        self.done = True
        return [Message("CAP", ["END"])]
