"""One client connection: its reader thread, its outbox, and how it ends.

The reader thread is the only thread a client has. It reads, frames, parses and
dispatches; replies and relayed lines go to outboxes and are flushed at the end of
each chunk of input (`delivery_batch`). Lines wait in a backlog while flood control
holds them back; the reader keeps reading meanwhile, so a client whose unhandled
input passes `recvq` is dropped (`Excess Flood`) instead of hiding in kernel buffers.
Every byte read counts: empty lines and over-long ones wait in the backlog too (as
`Unheard` runs, a token a line, their bytes toward `recvq`), a command costs what its
spec says, and a line still unfinished after ENDLESS_LINE bytes is a flood.
Any thread may ask a connection to end (`terminate`); only the reader thread cleans up,
in `run`'s `finally`, so a client leaves the rooms and the nick table exactly once
whatever killed it.
"""
from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol import CLIENT_MAX_TAGS, LineBuffer, ProtocolError, decode, parse_line
from . import errors
from .context import Context, Session
from .flood import TokenBucket
from .labeled import labeled_response
from .outbox import Outbox, delivery_batch
from .state import User
from .transport import PlainTransport, Transport

if TYPE_CHECKING:
    from .server import Server

log = logging.getLogger(__name__)

RECV_SIZE = 16384
BATCH_LINES = 64  # input lines whose output is committed and sent together
ENDLESS_LINE = 2 << 20  # an unfinished line this long is a flood, not a mistake
BACKED_UP_WAIT = 0.05  # seconds between looks at an outbox too full to take more replies
JUNK_RUN = 100  # lines in a row that reach no command (empty, blank, over-long): a flood


@dataclass(slots=True)
class Unheard:
    """A run of input lines that reach no command: empty ones (no answer) or over-long
    ones (one 417 for the whole run). Each line costs a token, and `size` bytes count
    toward `recvq` while the run waits, as a line's would."""

    lines: int
    size: int
    too_long: bool


class Connection:
    def __init__(self, server: Server, sock: socket.socket, address: tuple[str, int],
                 transport: Transport | None = None) -> None:
        self.server = server
        self.sock = sock
        self.address = address
        self.transport = transport or PlainTransport(sock)
        self.outbox = Outbox(self.transport, server.writer, server.settings.sendq,
                             self.terminate)
        self.user = User(self.outbox, host=address[0], tls=self.transport.tls)
        self.user.terminate = self.terminate  # KILL ends a connection found by its User
        self.lines = LineBuffer(max_tags=CLIENT_MAX_TAGS)
        self.ctx = Context(server, self)
        self.connected_at = time.monotonic()
        self.last_heard = self.connected_at   # monotonic time of the last input
        self.ping_sent = False
        self.backlog: deque[bytes | Unheard] = deque()  # read, not yet handled
        self.backlog_bytes = 0
        self.junk_run = 0    # lines in a row that reached no command (see _take_in)
        s = server.settings
        self.bucket = (TokenBucket(s.flood_rate, s.flood_burst, self.connected_at)
                       if s.flood_control else None)
        self._poller: select.poll | None = None
        self._close_reason: str | None = None
        self._closing_lock = threading.Lock()  # _close_reason (a leaf, see state/__init__.py)

    # --- ending -------------------------------------------------------------------

    @property
    def closing(self) -> bool:
        return self._close_reason is not None

    def terminate(self, reason: str, error_line: bool = True) -> None:
        """End this connection from any thread: the first reason wins. The reader
        thread wakes up (its socket is shut down) and does the cleanup."""
        with self._closing_lock:
            if self._close_reason is not None:
                return
            self._close_reason = reason
        if error_line:
            self.send_error(f"Closing Link: {self.user.host} ({reason})")
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def quit(self, reason: str) -> None:
        """The client's own QUIT: it gets ERROR, the others see `Quit: reason`."""
        shown = f"Quit: {reason}" if reason else "Client Quit"
        self.send_error(f"Closing Link: {self.user.host} ({shown})")
        with self._closing_lock:
            if self._close_reason is None:
                self._close_reason = shown

    def send_error(self, text: str) -> None:
        """The goodbye line, out before the socket is shut (unless it cannot take it)."""
        self.outbox.put(f"ERROR :{text}\r\n".encode("utf-8", "replace"))
        self.outbox.finish(wait=0.05)

    # --- reading ------------------------------------------------------------------

    def run(self) -> None:
        reason = "Connection closed"
        try:
            self.transport.handshake()
            self.user.certfp = self.transport.certfp
            while not self.closing:
                wait = self._work_off_backlog()
                if self.backlog_bytes > self.server.settings.recvq:
                    self.terminate("Excess Flood")  # held back faster than it may go
                if self.closing:
                    break
                if wait is not None and not self._readable_within(wait):
                    continue  # a token is due: handle the next waiting line
                data = self.transport.recv(RECV_SIZE)
                if not data:
                    reason = "Remote host closed the connection"
                    break
                self.last_heard = time.monotonic()
                self.ping_sent = False
                self._take_in(data)
        except ConnectionResetError:
            reason = "Connection reset by peer"
        except ssl.SSLError as exc:
            reason = f"TLS error: {exc.reason or exc}"
        except OSError as exc:
            reason = f"Read error: {exc.strerror or exc}"
        except Exception:  # a bug must not leave a ghost user behind
            log.exception("connection %s: unexpected error", self.address)
            reason = "Internal error"
        finally:
            self.server.disconnect(self, self._close_reason or reason)

    def _take_in(self, data: bytes) -> None:
        """Frame `data` into the backlog, every byte of it accounted for."""
        frames = self.lines
        backlog = self.backlog
        heard = too_long = 0
        for line in frames.feed(data):
            if isinstance(line, bytes):
                backlog.append(line)
                self.backlog_bytes += len(line)
                heard += 1
            else:
                self._hold_unheard(1, line.size, too_long=True)
                too_long += 1
        if frames.ignored_lines and self.bucket is not None:  # else they cost no token
            self._hold_unheard(frames.ignored_lines, frames.ignored_bytes, too_long=False)
        # Flood control or not, a stream of lines that say nothing is not a client
        # talking: a run of them (reset by a chunk that holds a command) ends it.
        junk = frames.ignored_lines + too_long
        self.junk_run = junk if heard else self.junk_run + junk
        if frames.discarded > ENDLESS_LINE or self.junk_run > JUNK_RUN:
            self.terminate("Excess Flood")

    def _hold_unheard(self, lines: int, size: int, too_long: bool) -> None:
        """Queue a run of unheard lines, joining the run before it if of the same kind
        (so a stream of over-long lines draws one 417 per wait, not one per line)."""
        last = self.backlog[-1] if self.backlog else None
        if isinstance(last, Unheard) and last.too_long == too_long:
            last.lines += lines
            last.size += size
        else:
            self.backlog.append(Unheard(lines, size, too_long))
        self.backlog_bytes += size

    def _work_off_backlog(self) -> float | None:
        """Handle the lines that flood control allows now, their output committed and
        flushed once per batch of at most BATCH_LINES lines (so a long chunk of input
        cannot hold back what its first lines said). Returns how long until the next
        waiting line may go, or None if none waits."""
        bucket = self.bucket
        backlog = self.backlog
        session = self.ctx.session
        while backlog and not self.closing:
            with delivery_batch(own=self.outbox):
                for _ in range(BATCH_LINES):
                    if self.outbox.closed:
                        # Overflowed under a room lock (put_now), its drop left to a
                        # batch's end: no lock is held here, so end it before the next
                        # command rather than after this batch.
                        self.outbox.flush()
                    if not backlog or self.closing:
                        break
                    if self.outbox.backed_up:
                        return BACKED_UP_WAIT  # its replies are not being read: slow it
                    if session.hold_until and (held := self._held(session)) is not None:
                        return held
                    if bucket is not None and not bucket.take(time.monotonic()):
                        return bucket.wait(time.monotonic())
                    line = backlog.popleft()
                    if isinstance(line, bytes):
                        self.backlog_bytes -= len(line)
                        cost = self.handle(line)
                    else:
                        self.backlog_bytes -= line.size
                        cost = line.lines
                        if line.too_long:
                            self.ctx.reply_error(errors.InputTooLong())
                    if cost != 1 and bucket is not None:
                        bucket.charge(cost - 1)  # a free line gives its token back
        return None

    @staticmethod
    def _held(session: Session) -> float | None:
        """Seconds this connection's input is still held after a failed login
        (`login.failed`), or None once the hold is over."""
        wait = session.hold_until - time.monotonic()
        if wait > 0:
            return wait
        session.hold_until = 0.0
        return None

    def _readable_within(self, seconds: float) -> bool:
        """Wait for input, at most `seconds` (only a throttled client waits here)."""
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self.sock.fileno(), select.POLLIN)
        return bool(self._poller.poll(max(1, int(seconds * 1000))))

    def handle(self, line: bytes) -> int:
        """Handle one line; returns its cost in flood-control tokens."""
        ctx = self.ctx
        text = decode(line)
        try:
            msg = (self.server.registry.parse_slash(text) if text.startswith("/")
                   else parse_line(text))
        except ProtocolError:
            return 1  # nothing that names a command: nothing to answer
        try:
            label = msg.tags.get("label") if msg.tags else None
            if label and "labeled-response" in self.user.caps and "batch" in self.user.caps:
                with labeled_response(self.outbox, label, self.server.settings.server_name):
                    return self.server.registry.dispatch(ctx, msg)
            return self.server.registry.dispatch(ctx, msg)
        except Exception:
            log.exception("command %s from %s failed", msg.command, self.user.nick)
            return 1
