"""Nicks that belong to accounts (`--nick-enforcement strict|timeout|none`), over real
sockets: refused, taken back after a timeout, taken back by their owner's login."""
from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest

from ircish.server.context import Session
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import src, together
from .ircclient import wait_until

PW = "opensesame1"
REFUSED_LATER = "Nickname belongs to an account: log in to it first"
REFUSED_AT_REGISTRATION = ("Nickname belongs to an account: log in to it (SASL, or PASS "
                           "account:password) or choose another")
GUEST = r"Guest\d+"
NS = ":NickServ!NickServ@services.irc.test"


def with_account(server: Server, name: str = "alice") -> Server:
    server.accounts.create(name, PW)
    return server


def session(server: Server, nick: str) -> Session:
    """The server's side of a registered nick's connection (its deadline)."""
    user = server.nicks.get(nick)
    return next(c.ctx.session for c in list(server.connections) if c.user is user)


# --- strict (the default) ---------------------------------------------------------------

@pytest.fixture
def strict(start_server: Callable[..., Server]) -> Server:
    return with_account(start_server(flood_control=False))


def test_strict_refuses_nick_to_an_owned_nick(strict, connect) -> None:
    bob = connect("bob", target=strict)
    bob.send("NICK alice")
    bob.expect_exact(f":{S} 433 bob alice :{REFUSED_LATER}")
    bob.send("NICK Alice")
    bob.expect_exact(f":{S} 433 bob Alice :{REFUSED_LATER}")
    assert strict.nicks.get("alice") is None


def test_strict_refuses_an_owned_nick_at_registration_which_then_waits(strict,
                                                                        connect) -> None:
    c = connect(target=strict)
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect_exact(f":{S} 433 * alice :{REFUSED_AT_REGISTRATION}")
    assert strict.nicks.get("alice") is None   # let go while it waits
    c.send("NICK alice_")
    c.expect(rf"^:{S} 001 alice_ ")


def test_the_owner_logged_in_before_completing_registers_with_its_nick(strict,
                                                                       connect) -> None:
    c = connect(target=strict)
    c.send("NICK bob")
    c.send("CAP LS 302")
    c.send(f"REGISTER * * {PW}")       # an account made before connecting logs in
    c.expect(" 900 bob ")
    c.send("NICK alice")               # not bob's: refused at completion...
    c.send("USER x 0 * :X")
    c.send("CAP END")
    c.expect_exact(f":{S} 433 * alice :{REFUSED_AT_REGISTRATION}")
    c.send("NICK bob")                 # ...bob's own is fine
    c.expect(rf"^:{S} 001 bob ")


def test_sasl_before_cap_end_registers_with_its_own_nick(strict, connect) -> None:
    c = connect(target=strict)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl")
    c.send("NICK alice")                # owned, and not logged in yet: no 433 here
    c.send("USER alice 0 * :Alice")
    c.expect(" ACK :sasl")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE " + base64.b64encode(f"\0alice\0{PW}".encode()).decode())
    c.expect(" 903 alice ")
    c.send("CAP END")
    c.expect(rf"^:{S} 001 alice ")


def test_a_failed_sasl_login_leaves_the_nick_refused(strict, connect) -> None:
    c = connect(target=strict)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl")
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect(" ACK :sasl")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE " + base64.b64encode(b"\0alice\0wrong password").decode())
    c.expect(" 904 alice ")
    c.send("CAP END")
    c.expect_exact(f":{S} 433 * alice :{REFUSED_AT_REGISTRATION}")


def test_pass_account_password_registers_with_its_own_nick(strict, connect) -> None:
    c = connect(target=strict)
    c.send(f"PASS alice:{PW}")
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect_exact(f":{S} 900 alice alice!~alice@127.0.0.1 alice :You are now logged in "
                   "as alice")
    c.expect(rf"^:{S} 001 alice ")


def test_service_nicks_cannot_be_taken(strict, connect) -> None:
    c = connect(target=strict)
    c.send("NICK NickServ")
    c.expect_exact(f":{S} 432 * NickServ :That nick belongs to a service")
    c.register("bob")
    for name in ("nickserv", "ChanServ"):
        c.send(f"NICK {name}")
        c.expect_exact(f":{S} 432 bob {name} :That nick belongs to a service")


def test_logging_in_takes_the_nick_back_from_someone_still_registering(strict,
                                                                        connect) -> None:
    squatter = connect(target=strict)
    squatter.send("NICK alice")               # held, not yet enforced (no USER yet)
    squatter.drain()
    owner = connect("ally", target=strict)
    owner.send("NICK alice")
    owner.expect_exact(f":{S} 433 ally alice :{REFUSED_LATER}")
    owner.send(f"PRIVMSG NickServ :IDENTIFY alice {PW}")
    owner.expect_exact(f":{S} 900 ally ally!~ally@127.0.0.1 alice :You are now logged "
                       "in as alice",
                       f"{src('ally')} NICK alice",
                       f"{NS} NOTICE alice :You are now logged in as alice")
    squatter.send("USER s 0 * :S")
    squatter.expect(rf"^:{S} 001 ({GUEST}) ")


# --- timeout ----------------------------------------------------------------------------

@pytest.fixture
def timed(start_server: Callable[..., Server]) -> Server:
    return with_account(start_server(flood_control=False, nick_enforcement="timeout",
                                     nick_timeout=1))


NOTICE = (f":{S} NOTICE alice :alice belongs to an account: log in within 1 seconds "
          "(/msg NickServ IDENTIFY <password>) or you will be renamed")


def test_timeout_renames_to_a_guest_those_who_do_not_log_in(timed, connect) -> None:
    bob, carol = connect("bob", target=timed), connect("carol", target=timed)
    together("#r", bob, carol)
    bob.send("NICK alice")
    bob.expect_exact(f"{src('bob')} NICK alice", NOTICE)
    carol.expect_exact(f"{src('bob')} NICK alice")
    guest = bob.expect(rf"^:alice!~bob@127\.0\.0\.1 NICK ({GUEST})$", wait=10).group(1)
    bob.expect_exact(f":{S} NOTICE {guest} :alice belongs to an account you did not log "
                     f"in to in time; you are now {guest}")
    carol.expect_exact(f":alice!~bob@127.0.0.1 NICK {guest}", wait=10)
    assert timed.nicks.get("alice") is None and timed.nicks.get(guest) is not None
    bob.send("WHOWAS alice")
    bob.expect(r" 314 \S+ alice ~bob ")


def test_timeout_counts_from_registration_too(timed, connect) -> None:
    c = connect(target=timed)
    c.register("alice")
    c.expect_exact(NOTICE)
    c.expect(rf"^:alice!~alice@127\.0\.0\.1 NICK {GUEST}$", wait=10)


def test_logging_in_in_time_keeps_the_nick(timed, connect) -> None:
    c = connect(target=timed)
    c.register("alice")
    c.expect_exact(NOTICE)
    c.send(f"PRIVMSG NickServ :IDENTIFY {PW}")
    c.expect(" 900 alice ")
    c.expect_exact(f"{NS} NOTICE alice :You are now logged in as alice")
    assert session(timed, "alice").nick_deadline is None
    time.sleep(1.5)       # past the deadline, for housekeeping's look
    c.assert_silent()
    assert timed.nicks.get("alice").account == "alice"


def test_a_nick_change_away_ends_the_deadline(timed, connect) -> None:
    c = connect(target=timed)
    c.register("alice")
    c.expect_exact(NOTICE)
    c.send("NICK bob")
    c.expect_exact(f"{src('alice')} NICK bob")
    assert session(timed, "bob").nick_deadline is None


def test_the_owner_takes_its_nick_back_by_logging_in(timed, connect) -> None:
    squatter = connect("bob", target=timed)
    squatter.send("NICK alice")
    squatter.expect_exact(f"{src('bob')} NICK alice", NOTICE)
    owner = connect("ally", target=timed)
    owner.send(f"NICKSERV IDENTIFY alice {PW}")
    guest = squatter.expect(rf"^:alice!~bob@127\.0\.0\.1 NICK ({GUEST})$").group(1)
    squatter.expect_exact(f":{S} NOTICE {guest} :alice belongs to the account alice, "
                          f"which just logged in; you are now {guest}")
    owner.expect_exact(f":{S} 900 ally ally!~ally@127.0.0.1 alice :You are now logged "
                       "in as alice",
                       f"{src('ally')} NICK alice",
                       f"{NS} NOTICE alice :You are now logged in as alice")


def test_the_owner_takes_its_nick_back_with_nick_once_logged_in(timed, connect) -> None:
    owner = connect("ally", target=timed)
    owner.send(f"NICKSERV IDENTIFY alice {PW}")
    owner.expect(f"^{NS} NOTICE ally :You are now logged in as alice$")
    squatter = connect("bob", target=timed)
    squatter.send("NICK alice")
    squatter.expect_exact(f"{src('bob')} NICK alice", NOTICE)
    owner.send("NICK alice")
    squatter.expect(rf"^:alice!~bob@127\.0\.0\.1 NICK {GUEST}$")
    owner.expect_exact(f"{src('ally')} NICK alice")


def test_logging_out_on_the_nick_starts_a_deadline(timed, connect) -> None:
    c = connect(target=timed)
    c.send("NICK alice")
    c.send(f"REGISTER * * x{PW}")      # already exists: refused, then log in instead
    c.expect(" FAIL REGISTER ACCOUNT_EXISTS alice ")
    c.register("alice")
    c.expect_exact(NOTICE)
    c.send(f"NS IDENTIFY {PW}")
    c.expect(f"^{NS} NOTICE alice :You are now logged in as alice$")
    c.send("ACCOUNT LOGOUT")
    c.expect_exact(f":{S} 901 alice alice!~alice@127.0.0.1 :You are now logged out", NOTICE)
    c.expect(rf"^:alice!~alice@127\.0\.0\.1 NICK {GUEST}$", wait=10)


# --- none -------------------------------------------------------------------------------

def test_none_enforces_nothing_but_the_owner_may_still_take_back(start_server,
                                                                 connect) -> None:
    free = with_account(start_server(flood_control=False, nick_enforcement="none"))
    bob = connect("bob", target=free)
    bob.send("NICK alice")
    bob.expect_exact(f"{src('bob')} NICK alice")
    bob.assert_silent()                 # no notice, no deadline
    assert session(free, "alice").nick_deadline is None
    owner = connect("ally", target=free)
    owner.send(f"NS IDENTIFY alice {PW}")
    bob.expect(rf"^:alice!~bob@127\.0\.0\.1 NICK {GUEST}$")
    owner.expect(f"^{src('ally')} NICK alice$")


def test_strict_logout_on_the_nick_is_renamed_at_once(strict, connect) -> None:
    c = connect("alice_", target=strict)
    c.send(f"NS IDENTIFY alice {PW}")
    c.expect(f"^{NS} NOTICE alice_ :You are now logged in as alice$")
    c.send("NICK alice")
    c.expect_exact(f"{src('alice_')} NICK alice")
    c.send("ACCOUNT LOGOUT")
    c.expect_exact(f":{S} 901 alice alice!~alice_@127.0.0.1 :You are now logged out")
    guest = c.expect(rf"^:alice!~alice_@127\.0\.0\.1 NICK ({GUEST})$").group(1)
    c.expect_exact(f":{S} NOTICE {guest} :alice belongs to an account you are not logged "
                   f"in to; you are now {guest}",
                   f":{S} SUCCESS ACCOUNT LOGGED_OUT alice :You are now logged out")
    wait_until(lambda: strict.nicks.get("alice") is None)
