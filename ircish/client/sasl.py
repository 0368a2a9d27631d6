"""SASL as the client speaks it (IRCv3 sasl-3.1/3.2), without I/O: messages in, messages
out, so the same exchange runs during registration (inside the capability negotiation,
before `CAP END`) and afterwards (`/login`, the re-authentication sasl-3.2 allows).

    C: AUTHENTICATE SCRAM-SHA-256        (or PLAIN)
    S: AUTHENTICATE +
    C: AUTHENTICATE <base64 client-first>     PLAIN: <base64 "\\0account\\0password">
    S: AUTHENTICATE <base64 server-first>
    C: AUTHENTICATE <base64 client-final>
    S: AUTHENTICATE <base64 server-final>     (its signature is checked: a server that
    C: AUTHENTICATE +                          does not know the password cannot fake it)
    S: 900 ... ; 903 :SASL authentication successful

Payloads travel base64-encoded in pieces of 400 bytes; a piece of exactly 400 means more
follows, so a payload that ends on a piece boundary is closed by `AUTHENTICATE +`, which
alone also means "empty". SCRAM-SHA-256 is preferred when the server offers it: the
password never crosses the wire. When the server's list of mechanisms is unknown (`sasl`
without a value) the preferred one is tried first; a `908` saying it is not available
moves on to the next. Nothing here logs or shows a payload.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import scramp

from ..protocol import Message

CHUNK = 400
PREFERENCE = ("SCRAM-SHA-256", "PLAIN")     # best first
ENDS = ("902", "903", "904", "905", "906", "907")   # the numerics that end an exchange


@dataclass(frozen=True)
class Credentials:
    """Who to log in as. `repr` leaves the password out (it shows up in tracebacks)."""
    account: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(account={self.account!r}, password=<hidden>)"


def mechanisms(offered: str | None) -> list[str]:
    """The mechanisms to try, best first, given the `sasl` capability's value (None or ""
    when the server lists none: then every one we know, the best first)."""
    listed = {m.strip().upper() for m in (offered or "").split(",") if m.strip()}
    return [m for m in PREFERENCE if not listed or m in listed]


def encode(payload: bytes) -> list[Message]:
    """`AUTHENTICATE` lines carrying `payload`: base64 in pieces of 400, `+` when empty
    or when the last piece was exactly 400 long."""
    text = base64.b64encode(payload).decode("ascii")
    pieces = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
    if not pieces or len(pieces[-1]) == CHUNK:
        pieces.append("+")
    return [Message("AUTHENTICATE", [piece]) for piece in pieces]


class SaslExchange:
    """One authentication attempt (with the fallback to another mechanism when the one
    tried is not available). `feed` every message; `finished` once a 903 or a failure
    came, `succeeded` tells which. `failure` says in words why the client gave up; it
    stays "" when the server's numeric (904, 902, ...) said no: that one tells the user."""

    def __init__(self, credentials: Credentials, offered: str | None = None) -> None:
        self.credentials = credentials
        self.candidates = mechanisms(offered)
        self.mechanism = ""
        self.finished = False
        self.succeeded = False
        self.failure = ""
        self._received = ""                 # server pieces of a payload not yet complete
        self._scram: scramp.ScramClient | None = None
        self._step = 0                      # server payloads answered so far
        self._available: list[str] | None = None   # from 908

    def start(self) -> list[Message]:
        if not self.candidates:
            return self._fail("the server offers no login method ircish knows "
                              "(it knows SCRAM-SHA-256 and PLAIN)")
        self.mechanism = self.candidates.pop(0)
        self._received, self._step, self._scram = "", 0, None
        return [Message("AUTHENTICATE", [self.mechanism])]

    def feed(self, msg: Message) -> list[Message]:
        """What to send in answer to `msg` (nothing for anything not SASL's)."""
        if self.finished:
            return []
        if msg.command == "AUTHENTICATE" and msg.params and self.mechanism:
            return self._piece(msg.params[0])
        if msg.command == "908" and len(msg.params) > 1:
            self._available = [m.upper() for m in msg.params[1].split(",")]
            return []
        if msg.command in ENDS:
            return self._result(msg.command)
        return []

    # --- the exchange -------------------------------------------------------------

    def _piece(self, piece: str) -> list[Message]:
        if piece != "+":
            self._received += piece
            if len(piece) == CHUNK:
                return []                   # more of this payload follows
        text, self._received = self._received, ""
        try:
            payload = base64.b64decode(text, validate=True) if text else b""
            answer = self._answer(payload.decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, scramp.ScramException):
            return self._abort("the server's answer did not prove it knows the password")
        self._step += 1
        return encode(answer.encode("utf-8")) if answer is not None else []

    def _answer(self, challenge: str) -> str | None:
        """The reply to the server's n-th payload (None: nothing to send)."""
        account, password = self.credentials.account, self.credentials.password
        if self.mechanism == "PLAIN":
            return f"\0{account}\0{password}" if self._step == 0 else None
        if self._step == 0:
            self._scram = scramp.ScramClient([self.mechanism], account, password)
            return str(self._scram.get_client_first())
        assert self._scram is not None
        if self._step == 1:
            self._scram.set_server_first(challenge)
            return str(self._scram.get_client_final())
        if self._step == 2:
            self._scram.set_server_final(challenge)   # checks the server's signature
            return ""
        return None

    def _abort(self, why: str) -> list[Message]:
        self._fail(why)
        return [Message("AUTHENTICATE", ["*"])]

    def _result(self, code: str) -> list[Message]:
        if code == "903":
            self.finished = self.succeeded = True
            return []
        untried = [m for m in self.candidates if m in (self._available or [])]
        if code == "904" and self._available is not None and self.mechanism \
                not in self._available and untried:
            self.candidates = untried
            self._available = None
            return self.start()             # that one is not offered here: the next
        return self._fail("")

    def _fail(self, why: str) -> list[Message]:
        self.finished, self.succeeded = True, False
        self.failure = self.failure or why
        return []
