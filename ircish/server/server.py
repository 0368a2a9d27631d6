"""The server process: the listener, one reader thread per client, the writer thread,
the housekeeping thread (pings and timeouts). The command line is `cli.py`.

Threads, besides the caller's (cli.py's main thread waits for a signal): one reader per
client, an accept loop (two with a TLS listener), the writer, housekeeping, the store's
writer (unless --no-history), and the password-check thread once anyone has sent OPER or logged in
(opers.py, one per process): clients + 3 up to clients + 6. Their locks are ranked in
`state/__init__.py`.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import NamedTuple

from .accounts import AccountBook, enforcement
from .accounts.throttle import LoginThrottle
from .archive import Archive, open_store
from .config import Settings
from .connection import Connection
from .descriptors import (
    OUT_OF_DESCRIPTORS,
    Spare,
    closing_link,
    fit_clients,
    refuse,
    turn_away,
    waiting,
)
from .events import deliver, user_message
from .monitor import Monitors
from .outbox import delivery_batch
from .registry import Registry, builtin_registry
from .state import NickTable, RoomTable
from .transport import TlsTransport, server_context
from .whowas import NickHistory
from .writer import Writer

log = logging.getLogger("ircish.server")

HOUSEKEEPING_PERIOD = 1.0
REPORT_PERIOD = 60.0     # seconds between the history writer's log lines
FORGET_PERIOD = 60.0     # seconds between looks for dropped accounts' expired reservations


class Counts(NamedTuple):
    """The LUSERS figures, read together."""

    users: int          # registered users
    invisible: int      # ... with mode +i
    opers: int          # ... with mode +o
    max_users: int      # the most registered users at once
    connections: int    # connections, registered or not
    rooms: int


class Server:
    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.settings = settings
        self.registry = (registry if registry is not None
                         else builtin_registry(settings.command_dirs))
        self.nicks = NickTable()
        # the store first: a data dir that cannot be used stops start-up (StoreError)
        self.archive = Archive(open_store(settings))
        self.features = frozenset({"history"} if self.archive.enabled else ())
        self.accounts = AccountBook(self.archive.store, settings.nick_length,
                                    settings.min_password_length, settings.nick_reserve_days)
        self.login_throttle = LoginThrottle(settings.login_failures)
        self.rooms = RoomTable(settings.max_rooms_per_user, settings.room_modes.lstrip("+"),
                               keeper=self.archive)
        self.monitors = Monitors(settings.server_name)
        self.whowas = NickHistory(settings.whowas_size)
        restored = self.archive.restore(self.rooms, settings.rooms, settings.server_name)
        if restored:
            log.info("%d rooms restored", restored)
        self.writer = Writer()
        self.created_text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self._lock = threading.Lock()           # the six fields below (see state/__init__.py)
        self.connections: set[Connection] = set()
        self.per_address: dict[str, int] = {}   # live connections by client address
        self.registered_count = 0
        self.invisible_count = 0                # registered users with mode +i
        self.oper_count = 0                     # registered users with mode +o
        self.max_users = 0
        self._listeners: list[socket.socket] = []
        self.tls_address: tuple[str, int] | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.address: tuple[str, int] = (settings.host, settings.port)
        self.max_clients = settings.max_clients  # lowered by start() to fit descriptors

    # --- counts -------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    def counts(self) -> Counts:
        """The LUSERS figures; the user counts are read together, under the lock."""
        with self._lock:
            users = (self.registered_count, self.invisible_count, self.oper_count,
                     self.max_users, len(self.connections))
        return Counts(*users, rooms=len(self.rooms))

    def adjust_counts(self, users: int = 0, invisible: int = 0, opers: int = 0) -> None:
        """Keep the LUSERS counts (kept, not counted, so a burst costs O(1))."""
        with self._lock:
            self.registered_count += users
            self.invisible_count += invisible
            self.oper_count += opers
            self.max_users = max(self.max_users, self.registered_count)

    # --- life cycle ---------------------------------------------------------------

    def start(self) -> tuple[str, int]:
        """Bind and start the threads; returns the plain listener's address (port 0
        picks a free port; `tls_address` is the TLS listener's, if any)."""
        s = self.settings
        threading.stack_size(s.thread_stack_size)
        budget = fit_clients(s.max_clients, s.fd_headroom)
        self.max_clients = budget.max_clients
        tls = server_context(str(s.tls_cert), str(s.tls_key) if s.tls_key else None,
                             str(s.tls_client_ca) if s.tls_client_ca else None) \
            if s.tls_cert else None
        plain = self._listen(s.port)
        self.address = plain.getsockname()[:2]
        self.writer.start()
        loops = [(lambda: self._accept_loop(plain, None), "accept")]
        if tls is not None:
            secure = self._listen(s.tls_port)
            self.tls_address = secure.getsockname()[:2]
            loops.append((lambda: self._accept_loop(secure, tls), "accept-tls"))
            log.info("listening for TLS on %s:%d", *self.tls_address)
        for target, name in (*loops, (self._housekeeping, "housekeeping")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("listening on %s:%d", *self.address)
        budget.log()
        return self.address

    def _listen(self, port: int) -> socket.socket:
        host = self.settings.host
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(self.settings.listen_backlog)
        self._listeners.append(listener)
        return listener

    def stop(self, reason: str = "Server shutting down") -> None:
        """Tell every client, stop accepting, and close everything (within ~2 s)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self.archive.shutting_down()
        for listener in self._listeners:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns = list(self.connections)
        for conn in conns:
            conn.send_error(reason)
            conn.terminate(reason, error_line=False)
        deadline = time.monotonic() + 2.0
        while self.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        self.writer.stop()
        self.archive.store.close()  # commits what is queued: a clean stop loses nothing
        self.archive.report()
        log.info("stopped")

    # --- connections --------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket, tls: ssl.SSLContext | None) -> None:
        last_warning = 0.0
        spare = Spare()  # this loop's own: two loops never race for one
        pending = False  # a client waited at the last look, with no descriptor free
        try:
            while not self._stopping.is_set():
                try:
                    sock, address = listener.accept()
                except OSError as exc:
                    if self._stopping.is_set():
                        return
                    if time.monotonic() - last_warning > 10:
                        log.warning("accept failed: %s", exc)
                        last_warning = time.monotonic()
                    if exc.errno not in OUT_OF_DESCRIPTORS:
                        time.sleep(0.1)  # back off, go on
                    elif not pending:
                        # accept() fails before it looks at the queue: wait for a
                        # client, then try again (a descriptor may have freed meanwhile)
                        pending = waiting(listener, 1.0)
                    else:  # tell the waiting client rather than leave it hanging
                        pending = False
                        if not turn_away(listener, spare, "Server is full"):
                            time.sleep(0.1)  # no spare yet: do not spin
                    continue
                pending = False
                self._serve(sock, address, tls)
        finally:
            spare.close()

    def _serve(self, sock: socket.socket, address: tuple[str, int],
               tls: ssl.SSLContext | None) -> None:
        refusal = self._admit(address[0])
        if refusal:
            refuse(sock, closing_link(address[0], refusal))
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.settings.socket_sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.settings.socket_sndbuf)
        log.debug("connection from %s:%d", *address[:2])
        transport = TlsTransport(sock, tls) if tls is not None else None
        conn = Connection(self, sock, address, transport)
        with self._lock:
            self.connections.add(conn)
        try:
            threading.Thread(target=conn.run, name=f"client-{address[0]}:{address[1]}",
                             daemon=True).start()
        except RuntimeError as exc:  # cannot start a thread: refuse this one client
            log.error("cannot start a thread for %s: %s", address, exc)
            self._forget(conn)
            refuse(sock, closing_link(address[0], "Server is busy"))

    def _admit(self, host: str) -> str | None:
        """Count a new connection from `host`, or say why it is refused."""
        s = self.settings
        with self._lock:
            if len(self.connections) >= self.max_clients:
                return "Server is full"
            count = self.per_address.get(host, 0)
            if s.max_clients_per_ip and count >= s.max_clients_per_ip:
                return "Too many connections from your address"
            self.per_address[host] = count + 1
        return None

    def _forget(self, conn: Connection) -> None:
        host = conn.address[0]
        with self._lock:
            self.connections.discard(conn)
            left = self.per_address.get(host, 1) - 1
            if left > 0:
                self.per_address[host] = left
            else:
                self.per_address.pop(host, None)

    def disconnect(self, conn: Connection, reason: str) -> None:
        """The one cleanup of a connection, run by its reader thread."""
        user = conn.user
        with delivery_batch():
            rooms = user.room_list()
            peers = self.rooms.leave_all(user)
            with enforcement.IDENTITY_LOCK:  # no rename or login of this user after it
                self.nicks.release(user)
                if user.account is not None:
                    self.accounts.detach(user, user.account)
            if user.registered:
                event = user_message(user, "QUIT", reason, msgid=True)
                deliver(peers, event)
                self.archive.user_event(rooms, event, user.nick)
        if user.registered:
            self.adjust_counts(users=-1, invisible=-1 if "i" in user.modes else 0,
                               opers=-1 if user.is_oper else 0)
            self.whowas.record(user, user.nick)
            self.monitors.signed_off(user)
        conn.outbox.finish()
        conn.outbox.close()
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.sock.close()
        self._forget(conn)
        log.debug("%s (%s) left: %s", user.nick, conn.address[0], reason)

    def _housekeeping(self) -> None:
        """Pings quiet clients; drops unresponsive and never-registering ones; renames
        those whose nick deadline passed (--nick-enforcement timeout); logs the history
        writer's figures and forgets expired account reservations once a minute."""
        s = self.settings
        next_report = next_forget = time.monotonic() + REPORT_PERIOD
        while not self._stopping.wait(min(HOUSEKEEPING_PERIOD, s.ping_timeout / 2)):
            now = time.monotonic()
            if now >= next_report:
                self.archive.report(only_if_busy=True)
                next_report = now + REPORT_PERIOD
            if now >= next_forget:
                self.accounts.forget_expired()
                next_forget = now + FORGET_PERIOD
            with self._lock:
                conns = list(self.connections)
            self._enforce_nicks(conns, now)
            for conn in conns:
                if conn.closing:
                    continue
                quiet = now - conn.last_heard
                if not conn.user.registered:
                    if now - conn.connected_at > s.registration_timeout:
                        conn.terminate("Registration timed out")
                elif conn.ping_sent and quiet > s.ping_interval + s.ping_timeout:
                    conn.terminate(f"Ping timeout: {int(quiet)} seconds")
                elif not conn.ping_sent and quiet > s.ping_interval:
                    conn.ping_sent = True
                    conn.outbox.put(f"PING :{s.server_name}\r\n".encode())

    @staticmethod
    def _enforce_nicks(conns: list[Connection], now: float) -> None:
        """Rename those whose deadline to log in has passed (enforcement.expire checks
        again under its lock: a login may have come first). The lines are committed
        under that lock and flushed at the batch's end, with no lock held."""
        late = [conn for conn in conns if not conn.closing
                and (deadline := conn.ctx.session.nick_deadline) is not None
                and deadline <= now]
        if late:
            with delivery_batch():
                for conn in late:
                    enforcement.expire(conn.ctx)
