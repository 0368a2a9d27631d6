"""REGISTER and VERIFY (IRCv3 draft/account-registration) over real sockets, and
`ircish-server --create-account` run as a real process against a data directory."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ircish.server.accounts.passwords import make_hash
from ircish.server.opers import OperSpec
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client

PW = "correct horse"[:7] + "battery"   # 14 characters, no space
CAP = "draft/account-registration"


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(flood_control=False)


def caps_of(c: Client) -> str:
    c.send("CAP LS 302")
    return c.expect(r" CAP \* LS :(.*)$").group(1)


def test_the_capability_says_before_connect_and_custom_names(server, connect) -> None:
    c = connect()
    assert f"{CAP}=before-connect,custom-account-name" in caps_of(c).split()


def test_register_before_connecting_names_the_nick_and_logs_in(server, connect) -> None:
    c = connect()
    caps_of(c)
    c.send("NICK alice")
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} REGISTER SUCCESS alice :Account created; you are now logged in",
                   f":{S} 900 alice alice!*@127.0.0.1 alice :You are now logged in as alice")
    c.send("USER alice 0 * :Alice")
    c.send("CAP END")
    c.expect(rf"^:{S} 001 alice ")
    assert server.nicks.get("alice").account == "alice"
    assert server.accounts.check_password("alice", PW) is not None
    assert server.accounts.check_password("alice", PW + "x") is None


def test_register_before_nick_is_need_nick(server, connect) -> None:
    c = connect()
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER NEED_NICK * :Send NICK before REGISTER")
    c.send(f"REGISTER alice * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER NEED_NICK * :Send NICK before REGISTER")
    assert server.accounts.get("alice") is None


def test_register_after_connecting_with_a_custom_name_and_an_email(server, connect) -> None:
    c = connect("alice")
    c.send(f"REGISTER Wonderland alice@example.org {PW}")
    c.expect_exact(f":{S} REGISTER SUCCESS Wonderland :Account created; you are now "
                   "logged in",
                   f":{S} 900 alice alice!~alice@127.0.0.1 Wonderland :You are now logged "
                   "in as Wonderland")
    record = server.accounts.get("wonderland")
    assert record is not None and record.email == "alice@example.org"
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER ALREADY_AUTHENTICATED alice :You are already "
                   "logged in as Wonderland")


def test_taken_names(server, connect) -> None:
    alice = connect("alice")
    alice.send(f"REGISTER * * {PW}")
    alice.expect(" REGISTER SUCCESS alice ")
    bob = connect("bob")
    bob.send(f"REGISTER ALICE * {PW}")
    bob.expect_exact(f":{S} FAIL REGISTER ACCOUNT_EXISTS ALICE :ALICE is already registered")
    carol = connect("carol")
    carol.send(f"REGISTER bob * {PW}")  # bob's nick, though bob has no account
    carol.expect_exact(f":{S} FAIL REGISTER ACCOUNT_EXISTS bob :bob is someone's nick now")
    assert server.accounts.get("bob") is None


@pytest.mark.parametrize(("line", "reply"), [
    (f"REGISTER NickServ * {PW}", "BAD_ACCOUNT_NAME NickServ :NickServ cannot be an "
                                  "account name: it must be a valid nick"),
    (f"REGISTER #room * {PW}", "BAD_ACCOUNT_NAME #room :#room cannot be an account name: "
                               "it must be a valid nick"),
    (f"REGISTER Guest123 * {PW}", "BAD_ACCOUNT_NAME Guest123 :Guest nicks are given by the "
                                  "server and cannot be registered"),
    ("REGISTER * * short", "WEAK_PASSWORD dave :Passwords must have at least 8 characters"),
    ("REGISTER * * :has a space in it", "UNACCEPTABLE_PASSWORD dave :Passwords cannot "
                                        "contain spaces or be longer than 300 bytes"),
    (f"REGISTER * * {'x' * 301}", "UNACCEPTABLE_PASSWORD dave :Passwords cannot contain "
                                  "spaces or be longer than 300 bytes"),
    (f"REGISTER * not-an-address {PW}", "INVALID_EMAIL dave :That is not an e-mail "
                                        "address"),
], ids=["service", "room", "guest", "weak", "space", "long", "email"])
def test_refused_registrations(server, connect, line: str, reply: str) -> None:
    c = connect("dave")
    c.send(line)
    c.expect_exact(f":{S} FAIL REGISTER {reply}")
    c.send("ACCOUNT INFO")
    c.expect_exact(f":{S} FAIL ACCOUNT ACCOUNT_REQUIRED INFO :Log in first (SASL, PASS or "
                   "/msg NickServ IDENTIFY)")
    assert len(server.accounts) == 0


def test_verify_has_nothing_to_verify(server, connect) -> None:
    c = connect("alice")
    c.send("VERIFY alice 123456")
    c.expect_exact(f":{S} FAIL VERIFY INVALID_CODE alice :No registration here waits for a "
                   "code: REGISTER logs you in at once")
    c.send(f"REGISTER * * {PW}")
    c.expect(" 900 ")
    c.send("VERIFY alice 123456")
    c.expect_exact(f":{S} FAIL VERIFY ALREADY_AUTHENTICATED alice :You are already logged "
                   "in as alice")


def test_registration_closed_to_everybody(start_server, connect) -> None:
    closed = start_server(registration="nobody")
    c = connect(target=closed)
    assert CAP not in caps_of(c)
    c.send("CAP END")
    c.register("alice")
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER TEMPORARILY_UNAVAILABLE alice :Registration is "
                   "closed on this server: ask its administrator for an account")
    c.send("VERIFY alice 1")
    c.expect_exact(f":{S} FAIL VERIFY TEMPORARILY_UNAVAILABLE alice :Registration is "
                   "closed on this server: ask its administrator for an account")
    assert closed.accounts.get("alice") is None


def test_registration_for_operators_only(start_server, connect) -> None:
    opers_only = start_server(registration="opers",
                              opers=[OperSpec("admin", make_hash("op password"))])
    c = connect(target=opers_only)
    assert f"{CAP}=custom-account-name" in caps_of(c).split()   # no before-connect
    c.send("NICK alice")
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER COMPLETE_CONNECTION_REQUIRED :Complete the "
                   "connection before registering an account")
    c.send("CAP END")
    c.register("alice")
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER TEMPORARILY_UNAVAILABLE alice :Only server "
                   "operators may register accounts on this server")
    c.send("OPER admin :op password")
    c.expect(" 381 ")
    c.send(f"REGISTER * * {PW}")
    c.expect(f"^:{S} REGISTER SUCCESS alice :Account created; you are now logged in$")


def test_a_server_password_comes_before_any_registration(start_server, connect) -> None:
    locked = start_server(password="sesame")
    c = connect(target=locked)
    assert f"{CAP}=custom-account-name" in caps_of(c).split()
    c.send("NICK alice")
    c.send(f"REGISTER * * {PW}")
    c.expect_exact(f":{S} FAIL REGISTER COMPLETE_CONNECTION_REQUIRED :Complete the "
                   "connection before registering an account")
    assert locked.accounts.get("alice") is None


def test_two_registrations_of_one_name_at_once_make_one_account(server, connect) -> None:
    a, b = connect("alice"), connect("bob")
    a.send(f"REGISTER Shared * {PW}")
    b.send(f"REGISTER Shared * {PW}x")
    outcomes = sorted(c.expect(r" (REGISTER SUCCESS|FAIL REGISTER ACCOUNT_EXISTS) ").group(1)
                      for c in (a, b))
    assert outcomes == ["FAIL REGISTER ACCOUNT_EXISTS", "REGISTER SUCCESS"]


def test_accounts_survive_a_restart(start_server, connect, tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path / "data")
    c = connect("alice", target=first)
    c.send(f"REGISTER * * {PW}")
    c.expect(" REGISTER SUCCESS ")
    c.close()
    first.stop()
    second = start_server(data_dir=tmp_path / "data")
    assert second.accounts.check_password("alice", PW) is not None
    c = connect(target=second)
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect_exact(f":{S} 433 * alice :Nickname belongs to an account: log in to it (SASL, "
                   "or PASS account:password) or choose another")


# --- ircish-server --create-account ------------------------------------------------------

def create_account(data_dir: Path, name: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ircish.server", "--data-dir", str(data_dir),
         "--create-account", name],
        input=password + "\n", capture_output=True, text=True, timeout=30, check=False)


def test_create_account_refuses_a_data_dir_a_server_uses(start_server, tmp_path: Path) -> None:
    start_server(data_dir=tmp_path / "data")
    done = create_account(tmp_path / "data", "alice", PW)
    assert done.returncode == 2, done.stderr
    assert "data" in done.stderr and "alice" not in done.stdout


def test_create_account_applies_registers_rules(tmp_path: Path) -> None:
    done = create_account(tmp_path / "data", "alice", "short")
    assert done.returncode == 1
    assert "WEAK_PASSWORD: Passwords must have at least 8 characters" in done.stderr
    done = create_account(tmp_path / "data", "NickServ", PW)
    assert done.returncode == 1 and "BAD_ACCOUNT_NAME" in done.stderr


def test_create_account_then_a_server_logs_it_in(start_server, connect, tmp_path: Path) -> None:
    done = create_account(tmp_path / "data", "alice", PW)
    assert done.returncode == 0, done.stderr
    assert "account alice created" in done.stderr
    again = create_account(tmp_path / "data", "ALICE", PW)
    assert again.returncode == 1 and "ACCOUNT_EXISTS" in again.stderr
    closed = start_server(data_dir=tmp_path / "data", registration="nobody")
    assert closed.accounts.check_password("alice", PW) is not None
    c = connect("someone", target=closed)
    c.send(f"PRIVMSG NickServ :IDENTIFY alice {PW}")
    c.expect_exact(f":{S} 900 someone someone!~someone@127.0.0.1 alice :You are now logged "
                   "in as alice")
