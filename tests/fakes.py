"""Stand-ins for a socket's transport and the writer thread, for the unit tests of the
outbox, delivery and room state (the rest of the suite drives the real server)."""
from __future__ import annotations

from collections.abc import Callable

from ircish.server.outbox import Outbox, Watcher
from ircish.server.state import User


class FakeSock:
    def __init__(self, fd: int = -1) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd


class FakeTransport:
    """A transport whose kernel takes what the test says: everything (`accept=None`),
    at most `accept` bytes per send (0: nothing), or raises `error`. Every send is
    recorded in `sends`, and what was taken in `sent` (and in `log`, if shared)."""

    def __init__(self, name: str = "", accept: int | None = None,
                 log: list[tuple[str, bytes]] | None = None, fd: int = -1) -> None:
        self.name = name
        self.sock = FakeSock(fd)
        self.accept = accept
        self.error: OSError | None = None
        self.pending = False
        self.sends: list[bytes] = []
        self.sent = b""
        self.log = log
        self.during_send: Callable[[], None] | None = None  # another thread, mid-syscall

    def send_nowait(self, data: bytes) -> int:
        self.sends.append(data)
        if self.during_send is not None:
            hook, self.during_send = self.during_send, None
            hook()
        if self.error is not None:
            raise self.error
        taken = data if self.accept is None else data[: self.accept]
        self.sent += taken
        if self.log is not None and taken:
            self.log.append((self.name, taken))
        return len(taken)


class FakeWriter:
    """Records what the real writer thread would be asked to do."""

    def __init__(self) -> None:
        self.watched: list[Outbox] = []
        self.forgotten: list[Outbox] = []

    def watch(self, outbox: Outbox) -> None:
        self.watched.append(outbox)

    def forget(self, outbox: Outbox) -> None:
        self.forgotten.append(outbox)


class Fatal:
    """An on_fatal callback that remembers its calls (and runs `check` in each)."""

    def __init__(self, check: Callable[[], object] | None = None) -> None:
        self.reasons: list[str] = []
        self.seen: list[object] = []
        self.check = check

    def __call__(self, reason: str) -> None:
        self.reasons.append(reason)
        if self.check is not None:
            self.seen.append(self.check())


def make_outbox(transport: FakeTransport | None = None, limit: int = 1 << 20,
                on_fatal: Callable[[str], None] | None = None,
                writer: Watcher | None = None) -> Outbox:
    return Outbox(transport or FakeTransport(),
                  writer or FakeWriter(),
                  limit, on_fatal or Fatal())


def make_user(nick: str, outbox: Outbox | None = None, profile: int = 0) -> User:
    """A registered User over a real Outbox on a fake transport."""
    user = User(outbox or make_outbox(FakeTransport(nick)), host="127.0.0.1")
    user.nick = nick
    user.username = "~" + nick
    user.registered = True
    user.tag_profile = profile
    return user


def sent(user: User) -> bytes:
    """What `user`'s fake transport has taken so far."""
    outbox = user.outbox
    assert isinstance(outbox, Outbox) and isinstance(outbox.transport, FakeTransport)
    transport = outbox.transport
    return transport.sent
