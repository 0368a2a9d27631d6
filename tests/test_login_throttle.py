"""Failed logins are throttled per address and per account (`--login-failures`), for
every way of logging in with a password, and a refused attempt costs no hashing."""
from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator

import pytest
from scramp import ScramClient

from ircish.server.accounts import passwords
from ircish.server.accounts.throttle import LoginThrottle
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client

PASSWORD = "correct horse"
WAIT = r"SASL authentication failed: Too many failed logins; try again in \d+ seconds?$"


# --- the throttle itself (its clock in the test's hands) ----------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sliding_window_per_address_and_per_name() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, window=60, clock=clock)
    for name in ("a", "b", "c"):
        assert throttle.attempt("10.0.0.1", name) == 0.0
        clock.now += 10
    assert throttle.attempt("10.0.0.1", "d") == 30.0      # the first failure is 30 s old
    assert throttle.refused("10.0.0.1") == 30.0
    assert throttle.attempt("10.0.0.2", "e") == 0.0       # another address, another name
    clock.now += 40                                        # 1000 and 1010 are 60+ s old
    assert throttle.refused("10.0.0.1") == 0.0
    assert throttle.attempt("10.0.0.1", "d") == 0.0
    assert throttle.attempt("10.0.0.1", "e") == 0.0
    assert throttle.attempt("10.0.0.1", "f") == 10.0      # 1020, 1070, 1070: 10 s to go


def test_one_name_from_many_addresses_and_forgiving_a_success() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, window=60, clock=clock)
    assert throttle.attempt("10.0.0.1", "Alice") == 0.0
    throttle.forgive("10.0.0.1", "Alice")                 # it was right: not a failure
    assert throttle.attempt("10.0.0.2", "alice") == 0.0
    throttle.failed("10.0.0.3", "ALICE")                  # a refused SCRAM proof
    assert throttle.attempt("10.0.0.4", "alice") == 60.0  # casefolded, any address
    assert throttle.attempt("10.0.0.4", "bob") == 0.0


def test_memory_is_bounded_by_max_keys() -> None:
    clock = Clock()
    throttle = LoginThrottle(5, max_keys=50, clock=clock)
    for i in range(10_000):
        throttle.attempt(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"name{i}")
    assert len(throttle) == 100
    for _ in range(4):
        throttle.attempt("10.0.0.0", "name0")   # evicted: counted afresh, from one
    assert throttle.attempt("10.0.0.0", "name0") == 0.0


# --- on the wire --------------------------------------------------------------------

@pytest.fixture
def throttled(start_server: Callable[..., Server]) -> Server:
    server = start_server(login_failures=3)
    server.accounts.create("alice", PASSWORD)
    server.accounts.create("bob", "bob's password")
    return server


@pytest.fixture
def sasl_client(throttled: Server) -> Iterator[Callable[[str, str], Client]]:
    clients: list[Client] = []

    def make(nick: str, source: str) -> Client:
        c = Client(throttled.address, nick, source=source)
        clients.append(c)
        c.send("CAP REQ :sasl")
        c.send(f"NICK {nick}")
        c.send(f"USER {nick} 0 * :Test User")
        c.expect(" ACK ")
        return c

    yield make
    for c in clients:
        c.close()


def plain_login(c: Client, name: str, password: str) -> str:
    """The server's answer to a PLAIN login: the line after `AUTHENTICATE +` (or the
    refusal in its place)."""
    c.send("AUTHENTICATE PLAIN")
    first = c.next_line()
    if first != "AUTHENTICATE +":
        return first
    c.send("AUTHENTICATE " + base64.b64encode(f"\0{name}\0{password}".encode()).decode())
    return c.next_line()


def test_too_many_failures_from_one_address_refuse_it_not_others(
        sasl_client: Callable[[str, str], Client]) -> None:
    c = sasl_client("guesser", "127.0.0.1")
    for name in ("x1", "x2", "x3"):
        assert plain_login(c, name, "guess") == \
            f":{S} 904 guesser :SASL authentication failed: Invalid account name or password"
    refused = plain_login(c, "alice", PASSWORD)
    assert refused.startswith(f":{S} 904 guesser :") and re.search(WAIT, refused)
    again = sasl_client("alice", "127.0.0.1")        # a new connection: same address
    assert re.search(WAIT, plain_login(again, "alice", PASSWORD))
    elsewhere = sasl_client("alice2", "127.0.0.2")
    assert plain_login(elsewhere, "alice", PASSWORD) == \
        f":{S} 900 alice2 alice2!~alice2@127.0.0.2 alice :You are now logged in as alice"


def test_too_many_failures_against_one_account_refuse_it_from_anywhere_unhashed(
        sasl_client: Callable[[str, str], Client], monkeypatch: pytest.MonkeyPatch) -> None:
    for i, source in enumerate(("127.0.0.2", "127.0.0.3", "127.0.0.4")):
        c = sasl_client(f"g{i}", source)
        assert plain_login(c, "alice", "guess").endswith("Invalid account name or password")
    checks: list[str] = []
    real_check = passwords.check
    monkeypatch.setattr(passwords, "check",
                        lambda password, stored: checks.append(stored) or  # type: ignore
                        real_check(password, stored))
    owner = sasl_client("owner", "127.0.0.5")
    assert re.search(WAIT, plain_login(owner, "ALICE", PASSWORD))
    assert checks == []                                # refused before any hashing
    assert plain_login(owner, "bob", "bob's password").startswith(f":{S} 900 owner ")
    assert len(checks) == 1                            # bob's, checked as usual


def test_failed_scram_proofs_count_too(sasl_client: Callable[[str, str], Client]) -> None:
    c = sasl_client("guesser", "127.0.0.6")
    for _ in range(3):
        client = ScramClient(["SCRAM-SHA-256"], "alice", "guess")
        c.send("AUTHENTICATE SCRAM-SHA-256")
        c.expect_exact("AUTHENTICATE +")
        c.send("AUTHENTICATE " + base64.b64encode(client.get_client_first().encode()).decode())
        first = c.expect(r"^AUTHENTICATE (\S+)$").group(1)
        client.set_server_first(base64.b64decode(first).decode())
        c.send("AUTHENTICATE " + base64.b64encode(client.get_client_final().encode()).decode())
        c.expect_exact(f":{S} 904 guesser :SASL authentication failed: "
                       "Invalid account name or password")
    owner = sasl_client("owner", "127.0.0.7")
    assert re.search(WAIT, plain_login(owner, "alice", PASSWORD))


def test_pass_logins_are_throttled_alike(throttled: Server) -> None:
    answers = []
    for i, password in enumerate(("guess", "guess", "guess", PASSWORD)):
        c = Client(throttled.address, f"p{i}", source="127.0.0.8")
        c.send(f"PASS :alice:{password}")
        c.send(f"NICK p{i}")
        c.send(f"USER p{i} 0 * :P")
        answers.append(c.next_line())
        c.close()
    assert answers[:3] == [f":{S} NOTICE p{i} :*** Not logged in: Invalid account name "
                           "or password. You are connected without an account."
                           for i in range(3)]
    assert re.fullmatch(rf":{S} NOTICE p3 :\*\*\* Not logged in: Too many failed logins; "
                        r"try again in \d+ seconds?\. You are connected without an "
                        "account.", answers[3]), answers[3]
