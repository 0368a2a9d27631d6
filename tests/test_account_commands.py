"""ACCOUNT: password, drop, logout, certificates, info and help, over real sockets."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ircish.server.accounts.passwords import make_hash
from ircish.server.opers import OperSpec
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import src, together
from .ircclient import Client

PW = "opensesame1"
NS = ":NickServ!NickServ@services.irc.test"
FP = "AB:" * 31 + "CD"               # a SHA-256 fingerprint as tools print it
FP_HEX = ("ab" * 31 + "cd")
GUEST = r"Guest\d+"


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    served = start_server(flood_control=False,
                          opers=[OperSpec("admin", make_hash("op password"))])
    served.accounts.create("alice", PW, "alice@example.org")
    served.accounts.create("bob", PW)
    return served


def logged_in(connect: Callable[..., Client], nick: str, account: str) -> Client:
    """A client on `nick` (username `nick` too), logged in to `account` (under strict
    an owned nick is taken once logged in, from a temporary one)."""
    c = connect()
    c.register(f"{nick}_", user=nick)
    c.send(f"NS IDENTIFY {account} {PW}")
    c.expect(f"^{NS} NOTICE {nick}_ :You are now logged in as {account}$")
    c.send(f"NICK {nick}")
    c.expect_exact(f":{nick}_!~{nick}@127.0.0.1 NICK {nick}")
    return c


def test_help_lists_each_subcommand_and_explains_one(server, connect) -> None:
    c = connect("carol")
    c.send("ACCOUNT")
    lines = c.collect(" NOTE ACCOUNT HELP INFO ")
    assert [line.split()[4] for line in lines] == ["HELP", "PASSWORD", "DROP", "LOGOUT",
                                                  "CERT", "INFO"]
    c.send("ACCOUNT HELP password")
    c.expect_exact(f":{S} NOTE ACCOUNT HELP PASSWORD :ACCOUNT PASSWORD <current> <new> - "
                   "Change your account's password.")
    c.send("ACCOUNT FROB")
    c.expect_exact(f":{S} FAIL ACCOUNT UNKNOWN_SUBCOMMAND FROB :ACCOUNT HELP lists the "
                   "subcommands")
    c.send("ACCOUNT PASSWORD onlyone")
    c.expect_exact(f":{S} FAIL ACCOUNT NEED_MORE_PARAMS PASSWORD :Usage: ACCOUNT PASSWORD "
                   "<current> <new>")


@pytest.mark.parametrize("line", ["ACCOUNT PASSWORD a b", f"ACCOUNT DROP {PW}",
                                  "ACCOUNT LOGOUT", "ACCOUNT CERT LIST", "ACCOUNT INFO"])
def test_a_user_not_logged_in_gets_account_required(server, connect, line: str) -> None:
    c = connect("carol")
    c.send(line)
    c.expect_exact(f":{S} FAIL ACCOUNT ACCOUNT_REQUIRED {line.split()[1]} :Log in first "
                   "(SASL, PASS or /msg NickServ IDENTIFY)")


def test_password_change(server, connect) -> None:
    c = logged_in(connect, "alice", "alice")
    c.send("ACCOUNT PASSWORD wrongpassword newpassword1")
    c.expect_exact(f":{S} FAIL ACCOUNT INVALID_CREDENTIALS PASSWORD :Invalid account name "
                   "or password")
    c.send(f"ACCOUNT PASSWORD {PW} short")
    c.expect_exact(f":{S} FAIL ACCOUNT WEAK_PASSWORD PASSWORD :Passwords must have at "
                   "least 8 characters")
    c.send(f"ACCOUNT PASSWORD {PW} newpassword1")
    c.expect_exact(f":{S} SUCCESS ACCOUNT PASSWORD_CHANGED alice :Password changed")
    assert server.accounts.check_password("alice", PW) is None
    assert server.accounts.check_password("alice", "newpassword1") is not None


def test_drop_logs_out_every_connection_and_reserves_the_name(server, connect) -> None:
    home = logged_in(connect, "alice", "alice")
    phone = logged_in(connect, "ally", "alice")
    friend = connect("carol")
    friend.send("CAP REQ :account-notify")
    friend.expect(" ACK ")
    together("#r", home, phone, friend)
    home.send("ACCOUNT DROP wrongpassword")
    home.expect_exact(f":{S} FAIL ACCOUNT INVALID_CREDENTIALS DROP :Invalid account name "
                      "or password")
    assert server.accounts.get("alice") is not None
    home.send(f"ACCOUNT DROP {PW}")
    home.expect_exact(f":{S} 901 alice {src('alice')[1:]} :You are now logged out")
    guest = home.expect(rf"^{src('alice')} NICK ({GUEST})$").group(1)
    home.expect_exact(f":{S} NOTICE {guest} :alice belongs to an account you are not "
                      f"logged in to; you are now {guest}",
                      f":{S} SUCCESS ACCOUNT DROPPED alice :Account dropped; its name "
                      "stays reserved for 30 days")
    phone.expect_exact(f"{src('alice')} NICK {guest}",     # they share #r
                       f":{S} 901 ally {src('ally')[1:]} :You are now logged out")
    friend.expect_exact(f"{src('alice')} ACCOUNT *")
    friend.expect_exact(f"{src('alice')} NICK {guest}")
    friend.expect_exact(f"{src('ally')} ACCOUNT *")
    assert server.accounts.get("alice") is None
    assert server.accounts.connections("alice") == []
    # the name is reserved: nobody may take the nick, register it or log in to it
    friend.send("NICK alice")
    friend.expect_exact(f":{S} 433 carol alice :Nickname belongs to an account: log in to "
                        "it first")
    friend.send(f"REGISTER alice * {PW}")
    friend.expect_exact(f":{S} FAIL REGISTER ACCOUNT_EXISTS alice :alice is already "
                        "registered")
    friend.send(f"NS IDENTIFY alice {PW}")
    friend.expect_exact(f"{NS} NOTICE carol :Invalid account name or password")
    # until the reservation is over
    server.accounts.forget_expired(now=time.time() + 31 * 86400)
    friend.send("NICK alice")
    friend.expect_exact(f"{src('carol')} NICK alice")


def test_logout(server, connect) -> None:
    c = logged_in(connect, "carol", "bob")
    c.send("ACCOUNT LOGOUT")
    c.expect_exact(f":{S} 901 carol {src('carol')[1:]} :You are now logged out",
                   f":{S} SUCCESS ACCOUNT LOGGED_OUT bob :You are now logged out")
    assert server.nicks.get("carol").account is None


def test_certificates(server, connect) -> None:
    c = logged_in(connect, "alice", "alice")
    c.send("ACCOUNT CERT ADD")     # a plain connection has no certificate of its own
    c.expect_exact(f":{S} FAIL ACCOUNT NO_CERTIFICATE CERT :You did not connect with a "
                   "TLS client certificate: name its fingerprint")
    c.send("ACCOUNT CERT ADD 1234")
    c.expect_exact(f":{S} FAIL ACCOUNT INVALID_FINGERPRINT CERT :A fingerprint is the "
                   "SHA-256 of a certificate: 64 hexadecimal digits")
    c.send(f"ACCOUNT CERT ADD {FP}")
    c.expect_exact(f":{S} SUCCESS ACCOUNT CERT_ADDED alice {FP_HEX} :Certificate added")
    assert server.accounts.by_certfp(FP_HEX).name == "alice"
    c.send("ACCOUNT CERT LIST")
    c.expect_exact(f":{S} NOTE ACCOUNT CERT alice {FP_HEX} :SASL EXTERNAL logs in with "
                   "this certificate",
                   f":{S} SUCCESS ACCOUNT CERT_LIST alice :1 certificate(s)")
    other = logged_in(connect, "bob", "bob")
    other.send(f"ACCOUNT CERT ADD {FP_HEX}")
    other.expect_exact(f":{S} FAIL ACCOUNT CERTFP_IN_USE CERT :That certificate belongs "
                       "to another account")
    c.send(f"ACCOUNT CERT DEL {FP_HEX}")
    c.expect_exact(f":{S} SUCCESS ACCOUNT CERT_REMOVED alice {FP_HEX} :Certificate removed")
    c.send(f"ACCOUNT CERT DEL {FP_HEX}")
    c.expect_exact(f":{S} FAIL ACCOUNT NO_SUCH_CERTIFICATE CERT :That certificate is not "
                   "your account's")
    assert server.accounts.by_certfp(FP_HEX) is None


def test_info_is_private_to_the_owner_and_operators(server, connect) -> None:
    owner = logged_in(connect, "alice", "alice")
    owner.send("ACCOUNT INFO")
    lines = owner.collect(" SUCCESS ACCOUNT INFO ")
    assert lines[0].startswith(f":{S} NOTE ACCOUNT INFO alice REGISTERED :20")
    assert lines[1:] == [f":{S} NOTE ACCOUNT INFO alice ONLINE :yes",
                         f":{S} NOTE ACCOUNT INFO alice EMAIL :alice@example.org",
                         f":{S} NOTE ACCOUNT INFO alice CONNECTION :alice",
                         f":{S} SUCCESS ACCOUNT INFO alice :End of account info"]
    stranger = connect("carol")
    stranger.send("ACCOUNT INFO ALICE")
    lines = stranger.collect(" SUCCESS ACCOUNT INFO ")
    assert [line.split(" :")[0].split()[-1] for line in lines] == ["REGISTERED", "ONLINE",
                                                                   "alice"]
    stranger.send("ACCOUNT INFO bob")
    stranger.collect(" NOTE ACCOUNT INFO bob ONLINE :no")
    stranger.send("ACCOUNT INFO nobody")
    stranger.expect(f":{S} FAIL ACCOUNT NO_SUCH_ACCOUNT INFO :nobody is not a registered "
                    "account")
    stranger.send("OPER admin :op password")
    stranger.expect(" 381 ")
    stranger.send("ACCOUNT INFO alice")
    stranger.expect(f"^:{S} NOTE ACCOUNT INFO alice EMAIL :alice@example.org$")
