"""The client's link to the server: one reader thread, thread-safe sends, reconnects.

The reader thread owns the socket's receiving side and the registration dance
(capability negotiation, see `cap_negotiation`; NICK/USER, `nick_` when the nick is
taken, PONG). Every line and every change of link state is handed to `deliver`, which
the UI makes thread-safe (`loop.call_soon_threadsafe`); nothing here touches the client model.
When the link drops, the thread waits (1, 2, 4 ... 30 s) and connects again; the
session rejoins its rooms when the new welcome arrives. With `credentials` each
connection logs in with SASL before the welcome (`cap_negotiation`); a login the server
refused is not tried again on the next connection (the same password would fail again,
and servers count failures), and `reconnect` starts over, e.g. without an account
(`/logout`).

The socket is non-blocking and every operation on it happens under `_lock`: the reader
waits with `select`, never inside a read, so the UI thread's writes and the reader's
reads never overlap. That is what makes TLS safe here (one SSL object must not be read
and written by two threads at once), and plain TCP works the same way.
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..protocol import LineBuffer, Message, ProtocolError, casefold, decode, parse_line
from .cap_negotiation import CAP_WAIT, CapNegotiation
from .sasl import Credentials, SaslExchange

BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
IDLE_PING = 90.0      # seconds of silence before we PING; as long again without answer: dead


@dataclass(frozen=True)
class LinkState:
    state: str        # "connecting", "connected" or "disconnected"
    detail: str = ""  # a sentence for the user: what happened, when the next try is


@dataclass(frozen=True)
class LinkNote:
    """Something the link itself has to tell the user (no server line says it)."""
    text: str


LinkEvent = Message | LinkState | LinkNote


class Link:
    def __init__(self, host: str, port: int, nick: str, deliver: Callable[[LinkEvent], None],
                 username: str | None = None, realname: str = "ircish user",
                 backoff: tuple[float, ...] = BACKOFF, idle_ping: float = IDLE_PING,
                 tls: ssl.SSLContext | None = None, cap_wait: float = CAP_WAIT,
                 password: str | None = None, credentials: Credentials | None = None) -> None:
        self.host, self.port = host, port
        self.tls = tls
        self.password = password         # the server's connection password (PASS), if any
        self.credentials = credentials   # the account to log in to (SASL), if any
        self.nick = nick                 # the nick to register with (updated as it changes)
        self.username = username or nick
        self.realname = realname
        self.deliver = deliver
        self.backoff = backoff
        self.idle_ping = idle_ping
        self.cap_wait = cap_wait
        self.caps = CapNegotiation()     # this connection's; a reconnect starts afresh
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()    # guards _sock and every write to it
        self._stop = threading.Event()
        self._connected = False          # reader thread only: got as far as TCP this time
        self._refused: str | None = None # reader thread only: why trying again is no use
        self._restart = ""               # why `reconnect` closed the link (else "")
        self._leaving = False            # quit: no reconnecting after this link
        self._leave_by: float | None = None   # after a QUIT: close if the server has not
        self._login_seen: SaslExchange | None = None   # reader thread: its end was handled
        self._thread = threading.Thread(target=self._run, name="ircish-reader", daemon=True)

    # --- called from the UI thread ------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def send(self, msg: Message) -> bool:
        """Send one message; False when there is no link (the caller tells the user)."""
        with self._lock:
            if self._sock is None:
                return False
            try:
                _send_all(self._sock, msg.to_bytes())
                return True
            except OSError:
                return False

    def quit(self, reason: str = "", wait: float = 5.0) -> None:
        """Say goodbye and stop reconnecting; waits (at most `wait` seconds) for the
        server to close the link, so that the QUIT and its reason arrive even when the
        server's flood control holds our lines back for a while (the requests made at
        connect, history catch-ups, spend its burst)."""
        self._leaving = True
        self._leave_by = time.monotonic() + wait
        if self.send(Message("QUIT", [reason] if reason else [])):
            self._thread.join(wait + 1.0)
        self._stop.set()
        self._thread.join(1.0)
        self._close()

    def reconnect(self, reason: str, wait: float = 5.0) -> None:
        """Leave (QUIT with `reason`, the server closes the link) and connect again,
        with the credentials as they are now (`/logout` clears them first)."""
        self._restart = reason
        self._leave_by = time.monotonic() + wait
        self.send(Message("QUIT", [reason]))

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # --- the reader thread --------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        where = f"{self.host}:{self.port}"
        while not self._stop.is_set():
            self.deliver(LinkState("connecting", where))
            self._connected = registered = False
            try:
                registered = self._session()
                why = "closed by the server"
            except OSError as exc:
                why = exc.strerror or str(exc)
            self._close()
            self._leave_by = None
            if self._stop.is_set() or self._leaving:
                break
            if self._refused is not None:  # the same answer would come again
                self.deliver(LinkState("disconnected", f"{self._refused}; not retrying"))
                return
            attempt = 0 if registered else attempt + 1
            delay = self.backoff[min(attempt, len(self.backoff) - 1)]
            what = "Connection lost" if self._connected else f"Cannot connect to {where}"
            if self._restart:
                what, why, self._restart = self._restart, "as asked", ""
            self.deliver(LinkState("disconnected", f"{what} ({why}); retrying in {delay:g} s"))
            if self._stop.wait(delay):
                break
        self.deliver(LinkState("disconnected", "Disconnected"))

    def _session(self) -> bool:
        """One connection, from connect to EOF. True if it got as far as the welcome."""
        sock = socket.create_connection((self.host, self.port), timeout=10)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)  # handshake, verify
        sock.setblocking(False)
        with self._lock:
            self._sock = sock
        self._connected = True
        self.deliver(LinkState("connected"))
        self.caps = CapNegotiation(credentials=self.credentials)
        for msg in self.caps.start():
            self.send(msg)
        if self.password is not None:    # before NICK/USER, as servers expect it
            self.send(Message("PASS", [self.password]))
        for line in (f"NICK {self.nick}", f"USER {self.username} 0 * :{self.realname}"):
            self.send(parse_line(line))
        frames, registered, pinged = LineBuffer(), False, False
        while not self._stop.is_set():
            leave_by = self._leave_by
            if leave_by is not None and time.monotonic() >= leave_by:
                return registered          # we said QUIT; the server never closed
            wait = self.idle_ping if self.caps.done else self.cap_wait
            if leave_by is not None:
                wait = min(wait, max(0.0, leave_by - time.monotonic()))
            data = self._receive(sock, wait)
            if data is None and leave_by is not None:
                continue
            if data is None:
                if not self.caps.done:     # a server that ignores CAP without a word
                    for msg in self.caps.expired():
                        self.send(msg)
                    continue
                if pinged:
                    raise OSError("no answer from the server (ping timeout)")
                pinged = self.send(Message("PING", ["ircish"]))
                continue
            if not data:
                return registered
            pinged = False
            for raw in frames.feed(data):
                if not isinstance(raw, bytes):
                    continue   # LineTooLong: a broken server line, skipped
                try:
                    msg = parse_line(decode(raw))
                except ProtocolError:
                    continue
                registered = self._handle(msg, registered)
                self.deliver(msg)
        return registered

    def _receive(self, sock: socket.socket, wait: float) -> bytes | None:
        """The next bytes (b"" at EOF), or None after `wait` seconds of silence."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                try:
                    return sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                return None
            select.select([sock], [], [], min(remaining, 0.5))

    def _handle(self, msg: Message, registered: bool) -> bool:
        """What the link itself answers; returns whether we are registered now."""
        for answer in self.caps.feed(msg):
            self.send(answer)
        login = self.caps.sasl
        if login is not None and login.finished and login is not self._login_seen:
            self._login_seen = login
            if not login.succeeded:
                self.credentials = None      # the same answer would come next time
            if login.failure:                # else the server's numeric said why
                self.deliver(LinkNote(f"Not logged in: {login.failure}"))
        if msg.command == "PING":
            self.send(Message("PONG", msg.params[-1:]))
        elif msg.command == "001":
            self.nick = msg.params[0]
            return True
        elif msg.command == "464" and not registered:
            self._refused = ("Wrong server password" if self.password is not None
                             else "The server wants a password (ircish --password)")
        elif msg.command in ("433", "432") and not registered:
            self.nick = (self.nick + "_") if msg.command == "433" else "ircish_user"
            self.send(Message("NICK", [self.nick]))
        elif msg.command == "NICK" and msg.params and msg.source \
                and casefold(msg.source.split("!", 1)[0]) == casefold(self.nick):
            self.nick = msg.params[0]   # reconnect with the nick in use now
        return registered

    def _close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def _send_all(sock: socket.socket, data: bytes, timeout: float = 10.0) -> None:
    """sendall for a non-blocking socket (caller holds the lock)."""
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view):]
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            if time.monotonic() > deadline:
                raise TimeoutError("the server does not take our data") from None
            select.select([], [sock], [], 0.5)


def tls_context(verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """Verifies the server's certificate and name unless `verify` is False."""
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
