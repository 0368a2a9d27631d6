"""NickServ: /msg NickServ (and the NICKSERV/NS commands) for clients without SASL."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import src

PW = "opensesame1"
NS = ":NickServ!NickServ@services.irc.test"


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    served = start_server(flood_control=False, nick_enforcement="none")
    served.accounts.create("alice", PW)
    return served


def test_help_lists_the_verbs_and_explains_one(server, connect) -> None:
    c = connect("carol")
    c.send("PRIVMSG NickServ :HELP")
    lines = c.collect(r"HELP <command> for one of them\.$")
    assert lines[0] == (f"{NS} NOTICE carol :NickServ: accounts: register your nick, log "
                        "in to it, manage it.")
    assert [line.split(" :  ")[1].split()[0] for line in lines[1:-1]] == [
        "IDENTIFY", "REGISTER", "SET", "DROP", "LOGOUT", "CERT", "INFO"]
    c.send("NS HELP identify")
    c.expect_exact(f"{NS} NOTICE carol :IDENTIFY [<account>] <password>: Log in (to the "
                   "account named like your nick, or to <account>).")
    c.send("NICKSERV FROB")
    c.expect_exact(f"{NS} NOTICE carol :Unknown command FROB. /msg NickServ HELP lists "
                   "what I do.")


def test_identify_to_the_nicks_account_or_a_named_one(server, connect) -> None:
    c = connect("alice")
    c.send("PRIVMSG NickServ :IDENTIFY wrongpassword")
    c.expect_exact(f"{NS} NOTICE alice :Invalid account name or password")
    c.send("PRIVMSG NickServ :IDENTIFY")
    c.expect_exact(f"{NS} NOTICE alice :Usage: IDENTIFY [<account>] <password>")
    c.send(f"PRIVMSG NickServ :IDENTIFY {PW}")
    c.expect_exact(f":{S} 900 alice {src('alice')[1:]} alice :You are now logged in as "
                   "alice",
                   f"{NS} NOTICE alice :You are now logged in as alice")
    c.send(f"NS IDENTIFY {PW}")
    c.expect_exact(f"{NS} NOTICE alice :You are already logged in as alice")
    other = connect("zed")
    other.send(f"NICKSERV IDENTIFY ALICE {PW}")
    other.expect_exact(f":{S} 900 zed {src('zed')[1:]} alice :You are now logged in as "
                       "alice",
                       f"{NS} NOTICE zed :You are now logged in as alice")
    assert {u.nick for u in server.accounts.connections("alice")} == {"alice", "zed"}


def test_register_through_nickserv_is_register(server, connect) -> None:
    c = connect("carol")
    c.send("PRIVMSG NickServ :REGISTER short")
    c.expect_exact(f"{NS} NOTICE carol :Passwords must have at least 8 characters")
    c.send(f"PRIVMSG NickServ :REGISTER {PW} carol@example.org")
    c.expect_exact(f"{NS} NOTICE carol :Account carol registered; you are now logged in",
                   f":{S} 900 carol {src('carol')[1:]} carol :You are now logged in as "
                   "carol")
    assert server.accounts.get("carol").email == "carol@example.org"
    c.send(f"NS REGISTER {PW}")
    c.expect_exact(f"{NS} NOTICE carol :You are already logged in as carol")
    other = connect("alice")    # enforcement is off here: someone else on alice's nick
    other.send(f"NS REGISTER {PW}")
    other.expect_exact(f"{NS} NOTICE alice :alice is already registered")


def test_the_account_verbs_are_accounts(server, connect) -> None:
    c = connect("alice")
    c.send(f"NS IDENTIFY {PW}")
    c.expect(f"^{NS} NOTICE alice :You are now logged in as alice$")
    c.send(f"NS SET PASSWORD {PW} newpassword1")
    c.expect_exact(f"{NS} NOTICE alice :The password of alice is changed")
    assert server.accounts.check_password("alice", "newpassword1") is not None
    c.send("NS CERT ADD " + "0f" * 32)
    c.expect_exact(f"{NS} NOTICE alice :{'0f' * 32} logs in to alice")
    c.send("NS CERT LIST")
    c.expect_exact(f"{NS} NOTICE alice :alice: {'0f' * 32}")
    c.send("NS INFO")
    c.expect(f"^{NS} NOTICE alice :alice: registered 20\\S+, online yes, email \\*, "
             f"certfp {'0f' * 32}, connection alice$")
    c.send("NS LOGOUT")
    c.expect_exact(f":{S} 901 alice {src('alice')[1:]} :You are now logged out",
                   f"{NS} NOTICE alice :You are logged out of alice")
    c.send("NS DROP newpassword1")
    c.expect_exact(f"{NS} NOTICE alice :Log in first (SASL, PASS or /msg NickServ "
                   "IDENTIFY)")
    c.send("NS IDENTIFY newpassword1")
    c.expect(f"^{NS} NOTICE alice :You are now logged in as alice$")
    c.send("NS DROP newpassword1")
    c.expect_exact(f":{S} 901 alice {src('alice')[1:]} :You are now logged out",
                   f"{NS} NOTICE alice :Account alice is dropped")
    assert server.accounts.get("alice") is None
