"""SASL (IRCv3 sasl-3.1 and sasl-3.2) with no sockets in it: the client's AUTHENTICATE
chunks in, steps out (a challenge to send, success as an account, or failure).

- `Exchange` reassembles one client response from its `AUTHENTICATE` chunks (400 bytes
  of base64 each; a chunk of exactly 400 means more follows, `+` alone ends a response
  that is a multiple of 400, or is an empty one) and hands it, decoded, to the mechanism.
- `Plain` (RFC 4616), `Scram` (SCRAM-SHA-256, RFC 5802/7677, run by `scramp`) and
  `External` (RFC 4422 appendix A: the TLS client certificate) turn responses into steps.
  They check credentials only through an `Authority` (`login.py` gives the server's:
  hashing thread, throttling), so the protocol is testable on its own.
- `available` says which mechanisms work on a connection: CAP LS's `sasl=` value.

A SCRAM exchange for an unknown account runs on made-up keys, derived from a secret
kept in the data directory (`scram_secret`), so it fails exactly as a wrong password
does: same messages, same salt for the same name every time, across restarts
(scramp's advice against user enumeration).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scramp import ScramException

from ...protocol import casefold
from . import passwords
from .book import AccountError

if TYPE_CHECKING:
    from ..config import Settings

PLAIN = "PLAIN"
SCRAM = "SCRAM-SHA-256"
EXTERNAL = "EXTERNAL"

CHUNK = 400                 # base64 bytes in one AUTHENTICATE (sasl-3.1)
MAX_RESPONSE = 4 * CHUNK    # base64 bytes in one client response; more is 905

ScramKeys = tuple[bytes, bytes, bytes, int]  # salt, stored key, server key, iterations
WRONG = "Invalid account name or password"


def available(settings: Settings, tls: bool) -> tuple[str, ...]:
    """The mechanisms that work on a connection (TLS or not), in the order CAP LS
    lists them: PLAIN unless --plain-requires-tls and the connection is plain TCP;
    SCRAM-SHA-256 always (it never sends the password); EXTERNAL on TLS connections of
    a server that asks for client certificates (--tls-client-ca)."""
    found = [PLAIN] if tls or not settings.plain_requires_tls else []
    found.append(SCRAM)
    if tls and settings.tls_client_ca is not None:
        found.append(EXTERNAL)
    return tuple(found)


def unavailable(name: str, settings: Settings) -> str:
    """Why mechanism `name` is not among this connection's `available` ones."""
    if name == PLAIN and settings.plain_requires_tls:
        return "PLAIN needs a TLS connection on this server"
    if name == EXTERNAL and settings.tls_client_ca is not None:
        return "EXTERNAL needs a TLS connection with a client certificate"
    return f"{name[:32]} is not a mechanism of this server"


# --- what a mechanism answers -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Challenge:
    """Send `data` to the client (`AUTHENTICATE` lines) and wait for its response."""

    data: bytes

    def lines(self) -> list[str]:
        """The parameters of the AUTHENTICATE lines that carry it."""
        encoded = base64.b64encode(self.data).decode("ascii")
        chunks = [encoded[i:i + CHUNK] for i in range(0, len(encoded), CHUNK)]
        if not chunks or len(chunks[-1]) == CHUNK:
            chunks.append("+")
        return chunks


@dataclass(frozen=True, slots=True)
class Success:
    account: str


@dataclass(frozen=True, slots=True)
class Failure:
    text: str
    too_long: bool = False   # 905 rather than 904


Step = Challenge | Success | Failure


class Authority(Protocol):
    """Where mechanisms check credentials. Each raises AccountError (its text is what
    the client is told) for a refusal."""

    def password(self, name: str, password: str) -> str:
        """The account `name` if `password` is its password."""

    def scram_keys(self, name: str) -> ScramKeys | None:
        """The account's SCRAM keys; None if there is no such account."""

    def scram_verified(self, name: str) -> str:
        """The client proved it knows `name`'s password: its registered name."""

    def certificate(self, authzid: str) -> str:
        """The account the connection's client certificate belongs to."""


class Mechanism(Protocol):
    def respond(self, data: bytes) -> Step:
        """The next step, given the client's decoded response."""


# --- the mechanisms -----------------------------------------------------------------

class Plain:
    """`[authzid] NUL authcid NUL password`; one may only act as oneself, so a given
    authzid must name the authcid's account."""

    def __init__(self, authority: Authority) -> None:
        self._authority = authority

    def respond(self, data: bytes) -> Step:
        parts = data.split(b"\0")
        if len(parts) != 3:
            return Failure("Malformed PLAIN response")
        try:
            authzid, authcid, password = (p.decode("utf-8") for p in parts)
        except UnicodeDecodeError:
            return Failure("Malformed PLAIN response (not UTF-8)")
        if not authcid or not password:
            return Failure(WRONG)
        if authzid and casefold(authzid) != casefold(authcid):
            return Failure("You may only log in as yourself (authzid must be empty "
                           "or the account name)")
        try:
            return Success(self._authority.password(authcid, password))
        except AccountError as refused:
            return Failure(refused.text)


class Scram:
    """SCRAM-SHA-256 without channel binding: client-first, server-first, client-final
    (with the proof), server-final (the server's signature), then the client's empty
    response ends the exchange with success."""

    def __init__(self, authority: Authority, secret: bytes) -> None:
        self._authority = authority
        self._secret = secret
        self._server = passwords.SCRAM.make_server(self._keys)
        self._stage = 0      # client-first, client-final, the empty final response
        self._name = ""

    def _keys(self, name: str) -> ScramKeys:
        """scramp's auth_fn: real keys, or made-up ones for an unknown name."""
        self._name = name
        keys = self._authority.scram_keys(name)  # AccountError when throttled
        return keys if keys is not None else fake_keys(name, self._secret)

    def respond(self, data: bytes) -> Step:
        stage, self._stage = self._stage, self._stage + 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return Failure("Malformed SCRAM message (not UTF-8)")
        try:
            if stage == 0:
                self._server.set_client_first(text)
                return Challenge(self._server.get_server_first().encode("utf-8"))
            if stage == 1:
                try:
                    self._server.set_client_final(text)
                except ScramException as exc:
                    if exc.server_error is not None and \
                            exc.server_error.value == "invalid-proof":
                        return Failure(WRONG)
                    raise
                return Challenge(self._server.get_server_final().encode("utf-8"))
            if data:
                return Failure("Malformed SCRAM message (expected an empty response)")
            return Success(self._authority.scram_verified(self._name))
        except AccountError as refused:
            return Failure(refused.text)
        except ScramException:
            return Failure("Malformed SCRAM message")


class External:
    """The TLS client certificate is the credential; the response is an optional
    authzid (the account to act as, which must be the certificate's)."""

    def __init__(self, authority: Authority) -> None:
        self._authority = authority

    def respond(self, data: bytes) -> Step:
        try:
            authzid = data.decode("utf-8")
        except UnicodeDecodeError:
            return Failure("Malformed EXTERNAL response (not UTF-8)")
        try:
            return Success(self._authority.certificate(authzid))
        except AccountError as refused:
            return Failure(refused.text)


def mechanism(name: str, authority: Authority, secret: bytes) -> Mechanism:
    """A new exchange's mechanism (`name` is one of `available`'s)."""
    if name == PLAIN:
        return Plain(authority)
    if name == SCRAM:
        return Scram(authority, secret)
    return External(authority)


# --- one exchange, and a connection's state ----------------------------------------

class Exchange:
    """One AUTHENTICATE exchange: the mechanism and the client response being
    reassembled from its chunks."""

    def __init__(self, name: str, mech: Mechanism) -> None:
        self.name = name
        self._mechanism = mech
        self._chunks: list[str] = []
        self._size = 0

    def feed(self, param: str) -> Step | None:
        """One AUTHENTICATE parameter; None while a response continues (a full chunk)."""
        if len(param) > CHUNK or self._size + len(param) > MAX_RESPONSE:
            return Failure("SASL message too long", too_long=True)
        if param != "+":
            self._chunks.append(param)
            self._size += len(param)
        if len(param) == CHUNK:
            return None
        encoded = "".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return Failure("Invalid base64 encoding")
        return self._mechanism.respond(data)


class SaslState:
    """A connection's SASL: the exchange in progress, and how many have failed
    (`Session.sasl` holds it; only the connection's reader thread touches it)."""

    __slots__ = ("exchange", "failures")

    def __init__(self) -> None:
        self.exchange: Exchange | None = None
        self.failures = 0


# --- made-up SCRAM keys for unknown names -------------------------------------------

def fake_keys(name: str, secret: bytes) -> ScramKeys:
    """Keys no password opens, the same for a name every time (as a real account's
    are); `name` casefolded, as accounts are looked up."""
    key = casefold(name).encode("utf-8")
    salt = hmac.digest(secret, b"salt:" + key, "sha256")
    stored = hmac.digest(secret, b"stored:" + key, "sha256")
    server = hmac.digest(secret, b"server:" + key, "sha256")
    return salt, stored, server, passwords.SCRAM_ITERATIONS


SECRET_FILE = "scram-secret"
_secrets: dict[str, bytes] = {}   # by path; setdefault is atomic: no lock needed
_PROCESS_SECRET = secrets.token_bytes(32)


def scram_secret(settings: Settings) -> bytes:
    """The secret behind `fake_keys`: kept in the data directory (made on first use,
    readable by the server's user only) so that it outlives restarts, as the accounts
    do; without a data directory (--no-history) accounts do not outlive the process,
    and neither need the secret. Reads or writes the disk: call it holding no lock."""
    if settings.no_history:
        return _PROCESS_SECRET
    path = settings.data_dir / SECRET_FILE
    known = _secrets.get(str(path))
    if known is None:
        known = _secrets.setdefault(str(path), _load_or_make(path))
    return known


def _load_or_make(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    except ValueError:
        raise RuntimeError(f"{path}: not a secret written by ircish") from None
    draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)  # atomic, and never replaces one already made
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return bytes.fromhex(path.read_text().strip())
