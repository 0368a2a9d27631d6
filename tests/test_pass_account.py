"""`PASS account:password`: logging in without SASL, for clients that only have a
server-password field. Checked when registration completes; a wrong one leaves the
connection up, not logged in (unless the server has a connection password: then PASS
is that password, whole)."""
from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client

PASSWORD = "pass:with:colons"   # only the first ':' splits
WELCOME = f":{S} 001 alice :Welcome to the ircish IRC network alice!~alice@127.0.0.1"
NOT_LOGGED_IN = "You are connected without an account."


@pytest.fixture
def with_alice(start_server: Callable[..., Server]) -> Callable[..., Server]:
    def start(**overrides: object) -> Server:
        # nicks are not enforced: failed logins stay on "alice" (see test_nick_enforcement)
        server = start_server(**{"nick_enforcement": "none", **overrides})
        server.accounts.create("alice", PASSWORD)
        return server
    return start


def register(server: Server, given: str, nick: str = "alice") -> Client:
    c = Client(server.address, nick)
    c.send(f"PASS :{given}")
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :Alice")
    return c


def whois_account(c: Client) -> list[str]:
    c.send("WHOIS alice")
    return [line for line in c.collect(" 318 ") if " 330 " in line]


def test_the_right_account_password_logs_in_before_the_welcome(with_alice) -> None:
    c = register(with_alice(), f"ALICE:{PASSWORD}")
    try:
        c.expect_exact(f":{S} 900 alice alice!~alice@127.0.0.1 alice "
                       ":You are now logged in as alice", WELCOME)
        c.expect(" 376 ")
        assert whois_account(c) == [f":{S} 330 alice alice alice :is logged in as"]
    finally:
        c.close()


@pytest.mark.parametrize("given", ["alice:pass", "nobody:" + PASSWORD],
                         ids=["wrong password", "unknown account"])
def test_a_wrong_one_is_a_notice_and_the_connection_goes_on(with_alice, given) -> None:
    c = register(with_alice(), given)
    try:
        c.expect_exact(f":{S} NOTICE alice :*** Not logged in: Invalid account name or "
                       f"password. {NOT_LOGGED_IN}", WELCOME)
        c.expect(" 376 ")
        assert whois_account(c) == []
    finally:
        c.close()


def test_without_a_colon_pass_is_ignored_as_before(with_alice) -> None:
    c = register(with_alice(), PASSWORD.replace(":", ""))
    try:
        c.expect_exact(WELCOME)
    finally:
        c.close()


def test_with_a_server_password_pass_is_that_password_whole(with_alice) -> None:
    server = with_alice(password=f"alice:{PASSWORD}")   # looks like a login; is not one
    c = register(server, f"alice:{PASSWORD}")
    try:
        c.expect_exact(WELCOME)
        c.expect(" 376 ")
        assert whois_account(c) == []
    finally:
        c.close()
    wrong = register(server, "alice:wrong", nick="other")  # alice may not be gone yet
    try:
        wrong.expect_exact(f":{S} 464 other :Password incorrect",
                           "ERROR :Closing Link: 127.0.0.1 (Bad Password)")
    finally:
        wrong.close()


def test_plain_requires_tls_refuses_it_over_plain_tcp(with_alice) -> None:
    c = register(with_alice(plain_requires_tls=True), f"alice:{PASSWORD}")
    try:
        c.expect_exact(f":{S} NOTICE alice :*** Not logged in: logging in with PASS needs "
                       f"a TLS connection on this server. {NOT_LOGGED_IN}", WELCOME)
    finally:
        c.close()


def test_sasl_first_wins_over_pass(with_alice) -> None:
    server = with_alice()
    server.accounts.create("bob", "bob's password")
    c = Client(server.address, "alice")
    try:
        c.send("CAP REQ :sasl")
        c.send("PASS :alice:wrong")
        c.send("NICK alice")
        c.send("USER alice 0 * :Alice")
        c.expect(" ACK ")
        c.send("AUTHENTICATE PLAIN")
        c.expect_exact("AUTHENTICATE +")
        c.send("AUTHENTICATE " + base64.b64encode(b"\0bob\0bob's password").decode())
        c.expect(" 903 ")
        c.send("CAP END")
        c.expect_exact(WELCOME)   # no NOTICE: the PASS login was not tried
    finally:
        c.close()
