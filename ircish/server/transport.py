"""How a connection's bytes cross its socket: in the clear, or through TLS.

Both transports give the reader thread a blocking `recv` and any flushing thread a
`send_nowait` that never blocks. TLS uses `ssl.SSLObject` over memory BIOs rather
than an `SSLSocket`, so the socket itself stays a plain non-blocking-capable socket
and reads (reader thread) and writes (whichever thread flushes) can be serialized
around the one SSL object by `TlsTransport.lock`, held only for memory operations
and non-blocking sends (its rank among the server's locks is in `state/__init__.py`).
"""
from __future__ import annotations

import hashlib
import socket
import ssl
import threading


class PlainTransport:
    tls = False
    certfp: str | None = None  # no client certificates in the clear
    pending = False  # encrypted bytes accepted but not yet on the wire (never, in the clear)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def handshake(self) -> None:
        pass

    def recv(self, size: int) -> bytes:
        return self.sock.recv(size)

    def send_nowait(self, data: bytes) -> int:
        """Send what the kernel takes now; raises OSError if the socket is broken."""
        try:
            return self.sock.send(data, socket.MSG_DONTWAIT) if data else 0
        except BlockingIOError:
            return 0



class TlsTransport:
    tls = True
    certfp: str | None = None  # SHA-256 of the client's certificate (lowercase hex), if any

    def __init__(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        self.sock = sock
        self.lock = threading.Lock()
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._in, self._out, server_side=True)
        self._cipher = b""          # encrypted, not yet taken by the kernel
        self.pending = False        # whether _cipher holds anything (a plain attribute:
                                    # the outbox reads it under its lock, see there)
        self._ready = False         # handshake done

    def handshake(self) -> None:
        """Run by the reader thread before anything else; blocking is fine there."""
        while True:
            with self.lock:
                try:
                    self._ssl.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                out = self._out.read()
            if out:
                self.sock.sendall(out)
            if done:
                with self.lock:
                    self._ready = True
                    cert = self._ssl.getpeercert(binary_form=True)
                if cert:
                    self.certfp = hashlib.sha256(cert).hexdigest()
                return
            data = self.sock.recv(16384)
            if not data:
                raise ConnectionResetError("closed during the TLS handshake")
            with self.lock:
                self._in.write(data)

    def recv(self, size: int) -> bytes:
        while True:
            with self.lock:
                try:
                    data = self._ssl.read(size)
                except ssl.SSLWantReadError:
                    data = None
                except ssl.SSLZeroReturnError:
                    return b""
                self._take_output()
                self._push()  # e.g. a TLS 1.3 session ticket or key update
            if data is not None:
                return data
            raw = self.sock.recv(size)
            if not raw:
                return b""
            with self.lock:
                self._in.write(raw)

    def send_nowait(self, data: bytes) -> int:
        """Encrypt and send what the kernel takes now. New plaintext is accepted only
        once earlier ciphertext has left, so a stalled client's backlog stays plaintext
        in its outbox, where the SendQ limit sees it."""
        with self.lock:
            if not self._ready:
                return 0
            self._push()
            if self._cipher or not data:
                return 0
            self._ssl.write(data)
            self._take_output()
            self._push()
            return len(data)

    def _take_output(self) -> None:
        """Caller holds the lock."""
        if self._out.pending:
            self._cipher += self._out.read()
            self.pending = True

    def _push(self) -> None:
        """Caller holds the lock."""
        if self._cipher:
            try:
                sent = self.sock.send(self._cipher, socket.MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
            self._cipher = self._cipher[sent:]
        self.pending = bool(self._cipher)


Transport = PlainTransport | TlsTransport


def server_context(cert: str, key: str | None, client_ca: str | None = None
                   ) -> ssl.SSLContext:
    """The TLS listener's context. With `client_ca` it asks clients for a certificate
    (optional) and accepts only ones that CA issued: the stdlib cannot accept any
    self-signed certificate, as servers that take fingerprints of anything do, so
    SASL EXTERNAL works with certificates of a CA the operator runs. A client that
    presents another certificate fails the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cafile=client_ca)
    return context
