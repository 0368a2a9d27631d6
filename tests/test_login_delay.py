"""A failed login holds its connection's input for --login-failure-delay (Dovecot's
auth_failure_delay): the failure is answered at once, the next command waits, and
nobody else waits at all. This is what keeps a storm of guesses from costing the
chat CPU (bench: "login storm")."""
from __future__ import annotations

import base64
import time

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client

DELAY = 1.0


def plain(account: str, password: str) -> str:
    return base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()


def sasl_client(server: Server, nick: str) -> Client:
    c = Client(server.address, nick)
    c.send("CAP LS 302")
    c.expect(r" CAP \* LS :")
    c.send("CAP REQ :sasl")
    c.expect_exact(f":{S} CAP * ACK :sasl")
    c.send(f"NICK {nick}")
    c.send(f"USER {nick} 0 * :Test User")
    return c


def pong_after(c: Client, token: str) -> float:
    """Seconds from sending a PING to its PONG (every line before it must be none)."""
    started = time.monotonic()
    c.send(f"PING :{token}")
    c.expect_exact(f":{S} PONG {S} :{token}", wait=5)
    return time.monotonic() - started


def test_a_wrong_password_holds_only_its_own_connection(start_server) -> None:
    server = start_server(nick_enforcement="none", login_failure_delay=DELAY)
    server.accounts.create("alice", "correct horse")
    bystander = Client(server.address, "bystander")
    bystander.register("bystander")
    guesser = sasl_client(server, "guesser")
    try:
        started = time.monotonic()
        guesser.send("AUTHENTICATE PLAIN")
        guesser.expect_exact("AUTHENTICATE +")
        guesser.send(f"AUTHENTICATE {plain('alice', 'wrong')}")
        guesser.expect_exact(f":{S} 904 guesser :SASL authentication failed: "
                             "Invalid account name or password")
        assert time.monotonic() - started < DELAY / 2     # the answer is not delayed
        guesser.send("PING :held")
        assert pong_after(bystander, "free") < DELAY / 2  # nobody else waits
        guesser.expect_exact(f":{S} PONG {S} :held", wait=5)
        assert time.monotonic() - started >= DELAY * 0.9  # the next command was held
        # the hold is over: the connection goes on at full speed, and may log in
        assert pong_after(guesser, "after") < DELAY / 2
        guesser.send("AUTHENTICATE PLAIN")
        guesser.expect_exact("AUTHENTICATE +")
        guesser.send(f"AUTHENTICATE {plain('alice', 'correct horse')}")
        guesser.expect(rf"^:{S} 900 guesser \S+ alice ")
        guesser.expect_exact(f":{S} 903 guesser :SASL authentication successful")
    finally:
        guesser.close()
        bystander.close()


def test_an_unavailable_mechanism_is_not_a_guess(start_server) -> None:
    server = start_server(login_failure_delay=DELAY)
    c = sasl_client(server, "picky")
    try:
        c.send("AUTHENTICATE SCRAM-SHA-512")
        c.expect(rf"^:{S} 908 picky PLAIN,SCRAM-SHA-256 ")
        c.expect(rf"^:{S} 904 picky ")
        assert pong_after(c, "quick") < DELAY / 2
    finally:
        c.close()


def test_nickserv_identify_with_a_wrong_password_is_held_too(start_server) -> None:
    server = start_server(login_failure_delay=DELAY)
    server.accounts.create("alice", "correct horse")
    c = Client(server.address, "carol")
    c.register("carol")
    try:
        started = time.monotonic()
        c.send("PRIVMSG NickServ :IDENTIFY alice wrong-password")
        c.send("PING :held")
        c.expect(r"^:NickServ!\S+ NOTICE carol :Invalid account name or password")
        c.expect_exact(f":{S} PONG {S} :held", wait=5)
        assert time.monotonic() - started >= DELAY * 0.9
    finally:
        c.close()
