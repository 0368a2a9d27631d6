"""Logging in, without a socket: the SASL exchange as sasl-3.1 writes it (PLAIN, and
SCRAM-SHA-256 against scramp's server side, which checks the client's proof), inside
the capability negotiation; where the password comes from; which typed lines hold one
and stay out of the input history; /register, /login and /logout as the session runs
them."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
import scramp

from ircish.client.app import DiscreetHistory
from ircish.client.cap_negotiation import CapNegotiation
from ircish.client.credentials import CredentialsError, resolve, stored
from ircish.client.login import LoginFlow
from ircish.client.model import ClientModel
from ircish.client.sasl import Credentials, SaslExchange, encode, mechanisms
from ircish.client.secrecy import carries_password
from ircish.client.slash import AskPassword, Catalog, Where
from ircish.protocol import Message, parse_line

S = ":irc.test"
ALICE = Credentials("alice", "correct horse")


def lines(messages: list[Message]) -> list[str]:
    return [m.to_line() for m in messages]


def answer(exchange: SaslExchange | CapNegotiation, line: str) -> list[str]:
    return lines(exchange.feed(parse_line(line)))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- the SASL exchange ---------------------------------------------------------------

@pytest.mark.parametrize(("offered", "expected"), [
    ("PLAIN,SCRAM-SHA-256", ["SCRAM-SHA-256", "PLAIN"]),
    ("EXTERNAL,PLAIN", ["PLAIN"]),
    ("scram-sha-256", ["SCRAM-SHA-256"]),
    ("EXTERNAL", []),
    ("", ["SCRAM-SHA-256", "PLAIN"]),       # no list: try the best first
    (None, ["SCRAM-SHA-256", "PLAIN"]),
])
def test_the_mechanism_is_the_best_offered(offered: str | None, expected: list[str]) -> None:
    assert mechanisms(offered) == expected


def test_plain_sends_the_account_and_password_in_base64() -> None:
    sasl = SaslExchange(ALICE, "PLAIN")
    assert lines(sasl.start()) == ["AUTHENTICATE PLAIN"]
    assert answer(sasl, "AUTHENTICATE +") == [f"AUTHENTICATE {b64(chr(0) + 'alice' + chr(0) + 'correct horse')}"]
    assert answer(sasl, f"{S} 900 alice alice!a@h alice :You are now logged in as alice") == []
    assert not sasl.finished
    assert answer(sasl, f"{S} 903 alice :SASL authentication successful") == []
    assert sasl.finished and sasl.succeeded and sasl.failure == ""


@pytest.mark.parametrize(("size", "pieces"), [(0, ["+"]), (1, [4]), (300, [400, "+"]),
                                               (301, [400, 4]), (600, [400, 400, "+"])])
def test_payloads_go_in_pieces_of_400(size: int, pieces: list[int | str]) -> None:
    """base64 of `size` bytes: 400-character pieces, `+` after a last piece of exactly
    400 (and alone for an empty payload)."""
    sent = [m.params[0] for m in encode(b"x" * size)]
    assert [len(p) if p != "+" else p for p in sent] == pieces
    assert base64.b64decode("".join(p for p in sent if p != "+")) == b"x" * size


def test_a_long_plain_payload_is_split() -> None:
    sasl = SaslExchange(Credentials("alice", "p" * 500), "PLAIN")
    sasl.start()
    sent = answer(sasl, "AUTHENTICATE +")
    assert [len(line) for line in sent] == [len("AUTHENTICATE ") + 400, len("AUTHENTICATE ") + 276]
    joined = "".join(line.split(" ", 1)[1] for line in sent)
    assert base64.b64decode(joined) == b"\0alice\0" + b"p" * 500


class ScramServer:
    """The server's side of SCRAM-SHA-256 (scramp), for the account `alice`."""

    def __init__(self, password: str = "correct horse", nonce: str | None = None) -> None:
        mechanism = scramp.ScramMechanism("SCRAM-SHA-256")
        self.info = mechanism.make_auth_info(password)
        self.server = mechanism.make_server(lambda name: self.info, s_nonce=nonce)

    def first(self, client_first: str) -> str:
        self.server.set_client_first(client_first)
        return str(self.server.get_server_first())

    def final(self, client_final: str) -> str:
        self.server.set_client_final(client_final)      # raises on a wrong proof
        return str(self.server.get_server_final())


def payload(sent: list[str]) -> str:
    return base64.b64decode("".join(line.split(" ", 1)[1] for line in sent
                                    if line != "AUTHENTICATE +")).decode()


def pieces(text: str) -> list[str]:
    data = b64(text)
    out = [f"AUTHENTICATE {data[i:i + 400]}" for i in range(0, len(data), 400)]
    return out + (["AUTHENTICATE +"] if len(data) % 400 == 0 else [])


@pytest.mark.parametrize("nonce", [None, "n" * 600])     # a server-first of two pieces
def test_scram_proves_the_password_without_sending_it(nonce: str | None) -> None:
    server = ScramServer(nonce=nonce)
    sasl = SaslExchange(ALICE, "PLAIN,SCRAM-SHA-256")
    assert lines(sasl.start()) == ["AUTHENTICATE SCRAM-SHA-256"]
    client_first = payload(answer(sasl, "AUTHENTICATE +"))
    assert client_first.startswith("n,,n=alice,r=")
    sent: list[str] = []
    for line in pieces(server.first(client_first)):
        sent += answer(sasl, line)
    client_final = payload(sent)
    assert "correct horse" not in client_final
    server_final = server.final(client_final)
    assert [a for line in pieces(server_final) for a in answer(sasl, line)] == ["AUTHENTICATE +"]
    assert answer(sasl, f"{S} 903 alice :SASL authentication successful") == []
    assert sasl.succeeded


def test_a_wrong_password_fails_at_the_server() -> None:
    server = ScramServer(password="another one")
    sasl = SaslExchange(ALICE, "SCRAM-SHA-256")
    sasl.start()
    client_first = payload(answer(sasl, "AUTHENTICATE +"))
    client_final = payload([a for line in pieces(server.first(client_first))
                            for a in answer(sasl, line)])
    with pytest.raises(scramp.ScramException):
        server.final(client_final)
    assert answer(sasl, f"{S} 904 alice :SASL authentication failed") == []
    assert sasl.finished and not sasl.succeeded and sasl.failure == ""  # the 904 says it


def test_a_server_that_cannot_prove_it_knows_the_password_is_aborted() -> None:
    server = ScramServer(password="not the one")    # an impostor's keys
    sasl = SaslExchange(ALICE, "SCRAM-SHA-256")
    sasl.start()
    client_first = payload(answer(sasl, "AUTHENTICATE +"))
    fake = "v=" + base64.b64encode(b"\0" * 32).decode()
    answer(sasl, f"AUTHENTICATE {b64(server.first(client_first))}")
    assert answer(sasl, f"AUTHENTICATE {b64(fake)}") == ["AUTHENTICATE *"]
    assert sasl.finished and not sasl.succeeded
    assert sasl.failure == "the server's answer did not prove it knows the password"


def test_a_mechanism_the_server_lacks_falls_back_after_908() -> None:
    sasl = SaslExchange(ALICE, None)          # `sasl` offered without a list
    assert lines(sasl.start()) == ["AUTHENTICATE SCRAM-SHA-256"]
    assert answer(sasl, f"{S} 908 alice PLAIN,EXTERNAL :are available SASL mechanisms") == []
    assert answer(sasl, f"{S} 904 alice :SASL authentication failed") == ["AUTHENTICATE PLAIN"]
    assert answer(sasl, "AUTHENTICATE +")[0].startswith("AUTHENTICATE AGFsaWNl")
    assert answer(sasl, f"{S} 904 alice :SASL authentication failed") == []
    assert sasl.finished and not sasl.succeeded


def test_a_server_offering_no_mechanism_we_know_is_not_tried() -> None:
    sasl = SaslExchange(ALICE, "EXTERNAL")
    assert sasl.start() == [] and sasl.finished and "SCRAM-SHA-256 and PLAIN" in sasl.failure


# --- inside the capability negotiation ---------------------------------------------

def test_the_login_runs_before_cap_end() -> None:
    caps = CapNegotiation(credentials=ALICE)
    assert answer(caps, f"{S} CAP * LS :sasl=PLAIN server-time") == \
        ["CAP REQ :server-time sasl"]
    assert answer(caps, f"{S} CAP * ACK :server-time sasl") == ["AUTHENTICATE PLAIN"]
    assert answer(caps, "AUTHENTICATE +") == [f"AUTHENTICATE {b64(chr(0) + 'alice' + chr(0) + 'correct horse')}"]
    assert not caps.done
    assert answer(caps, f"{S} 900 alice alice!a@h alice :You are now logged in as alice") == []
    assert answer(caps, f"{S} 903 alice :SASL authentication successful") == ["CAP END"]
    assert caps.done and caps.sasl is not None and caps.sasl.succeeded


@pytest.mark.parametrize("refusal", ["904 alice :SASL authentication failed",
                                     "902 alice :You must use a nick assigned to you",
                                     "906 alice :SASL authentication aborted"])
def test_a_refused_login_goes_on_without_an_account(refusal: str) -> None:
    caps = CapNegotiation(credentials=ALICE)
    answer(caps, f"{S} CAP * LS :sasl")
    answer(caps, f"{S} CAP * ACK :sasl")
    answer(caps, "AUTHENTICATE +")
    assert answer(caps, f"{S} {refusal}") == ["CAP END"]
    assert caps.sasl is not None and not caps.sasl.succeeded


def test_without_sasl_offered_registration_goes_on() -> None:
    caps = CapNegotiation(credentials=ALICE)
    assert answer(caps, f"{S} CAP * LS :server-time") == ["CAP REQ server-time"]
    assert answer(caps, f"{S} CAP * ACK server-time") == ["CAP END"]
    model = ClientModel("alice")
    model.accounts.wanted = "alice"
    for line in (f"{S} CAP * ACK server-time", f"{S} 001 alice :Welcome"):
        model.feed(parse_line(line))
    assert [line.text for line in model.server.lines][-1] == \
        "Not logged in: this server does not offer SASL (/login tries NickServ)"


# --- where the password comes from -------------------------------------------------

def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def never(prompt: str) -> str:
    raise AssertionError(f"asked {prompt!r}")


def test_the_accounts_file_by_server(tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.toml", '["irc.test"]\npassword = "from the file"\n'
                 '["127.0.0.1:6668"]\naccount = "alicia"\npassword = "other port"\n')
    assert stored(path, "irc.test", 6667) == ("", "from the file")
    assert stored(path, "127.0.0.1", 6668) == ("alicia", "other port")
    assert stored(path, "127.0.0.1", 6667) is None
    assert resolve("irc.test", 6667, "alice", None, False, {}, never, path) == \
        Credentials("alice", "from the file")           # listed: logged in without --sasl
    assert resolve("127.0.0.1", 6668, "alice", None, False, {}, never, path) == \
        Credentials("alicia", "other port")
    assert resolve("127.0.0.1", 6667, "alice", None, False, {}, never, path) is None
    assert resolve("127.0.0.1", 6668, "alice", None, True, {"IRCISH_PASSWORD": "env"},
                   never, path) == Credentials("alicia", "env")
    assert resolve("127.0.0.1", 6667, "alice", "bob", True, {}, lambda p: f"typed at {p}",
                   path) == Credentials("bob", "typed at Password for account bob on 127.0.0.1: ")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path / "accounts.toml", '["irc.test"]\npassword = "secret"\n', mode)
    with pytest.raises(CredentialsError, match=r"others can read it.*chmod 600"):
        resolve("irc.test", 6667, "alice", None, True, {}, never, path)


def test_a_broken_file_says_where(tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.toml", '["irc.test"]\naccount = "alice"\n')
    with pytest.raises(CredentialsError, match=r'needs password = "\.\.\."'):
        stored(path, "irc.test", 6667)
    write(path, "not toml = = =")
    with pytest.raises(CredentialsError, match=r"accounts\.toml: "):
        stored(path, "irc.test", 6667)


def test_the_sasl_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from ircish.client.app import parse_args
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("IRCISH_PASSWORD", "sesame")
    args = parse_args(["--nick", "alice", "--sasl"])
    assert args.credentials == Credentials("alice", "sesame")
    assert args.password is None                      # with --sasl: the account's, not PASS
    assert "sesame" not in repr(args.credentials)
    assert parse_args(["--nick", "alice", "--sasl", "--account", "al"]).credentials == \
        Credentials("al", "sesame")
    assert parse_args(["--nick", "alice"]).credentials is None


# --- lines that hold a password ----------------------------------------------------

CATALOG = Catalog()
ROOM = Where("#general", "room")


@pytest.mark.parametrize(("line", "secret"), [
    ("/msg NickServ IDENTIFY alice hunter2", True),
    ("/msg nickserv identify hunter2", True),
    ("/query NickServ register hunter2 a@b.c", True),
    ("/ns identify hunter2", True),
    ("/nickserv ghost alice hunter2", True),
    ("/quote PASS hunter2", True),
    ("/quote authenticate AGFsaWNl", True),
    ("/oper admin hunter2", True),
    ("/register", True),
    ("/register me@example.net hunter2", True),
    ("/login alice", True),
    ("/account password hunter2 hunter3", True),
    ("/quote ACCOUNT DROP hunter2", True),
    ("/account info alice", False),
    ("/msg NickServ INFO alice", False),
    ("/msg bob identify yourself", False),
    ("identify hunter2", False),                       # said in #general: not a password
    ("/join #general", False),
    ("hello there", False),
])
def test_which_lines_hold_a_password(line: str, secret: bool) -> None:
    assert carries_password(line, ROOM, CATALOG) is secret


def test_in_a_nickserv_chat_plain_text_is_a_command() -> None:
    assert carries_password("identify hunter2", Where("NickServ", "query"), CATALOG)
    assert not carries_password("help", Where("NickServ", "query"), CATALOG)


def test_the_input_history_keeps_no_password(tmp_path: Path) -> None:
    history = DiscreetHistory(str(tmp_path / "history"),
                              lambda line: not carries_password(line, ROOM, CATALOG))
    for line in ("hello", "/msg NickServ IDENTIFY alice hunter2", "/quote PASS hunter2",
                 "/join #dev"):
        history.append_string(line)
    assert list(history.get_strings()) == ["hello", "/join #dev"]
    assert "hunter2" not in (tmp_path / "history").read_text()


# --- /register, /login, /logout ------------------------------------------------------

class FakeLink:
    """What LoginFlow asks of the link: the lines sent, the credentials kept."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.credentials: Credentials | None = None
        self.reconnected: list[str] = []

    def send(self, msg: Message) -> bool:
        self.sent.append(msg.to_line())
        return True

    def remember(self, credentials: Credentials | None) -> None:
        self.credentials = credentials

    def reconnect(self, reason: str) -> None:
        self.reconnected.append(reason)


def connected(caps: str = "sasl draft/account-registration") -> tuple[ClientModel, LoginFlow,
                                                                       FakeLink]:
    model = ClientModel("alice")
    link = FakeLink()
    flow = LoginFlow(model, link.send, link)
    for line in (f"{S} CAP * LS :sasl=PLAIN,SCRAM-SHA-256 draft/account-registration",
                 f"{S} CAP * ACK :{caps}", f"{S} 001 alice :Welcome"):
        model.feed(parse_line(line))
    return model, flow, link


def shown(model: ClientModel) -> str:
    return "\n".join(line.text for buf in model.buffers for line in buf.lines)


def test_register_asks_twice_and_sends_register() -> None:
    model, flow, link = connected()
    flow.ask(AskPassword("register", email="alice@example.net"))
    assert model.password_prompt == "New password for account alice: "
    flow.password("hunter2 hunter2")
    assert model.password_prompt == "The same password again for account alice: "
    assert link.sent == []
    flow.password("hunter2 hunter2")
    assert model.password_prompt is None
    assert link.sent == ["REGISTER * alice@example.net :hunter2 hunter2"]
    for line in (f"{S} REGISTER SUCCESS alice :Account created",
                 f"{S} 900 alice alice!a@h alice :You are now logged in as alice"):
        msg = parse_line(line)
        model.feed(msg)
        flow.handle(msg)
    assert link.credentials == Credentials("alice", "hunter2 hunter2")   # for reconnects
    assert "Account alice registered; you are logged in as alice" in shown(model)
    assert model.accounts.account == "alice"
    assert "hunter2" not in shown(model)


def test_register_with_two_different_passwords_sends_nothing() -> None:
    model, flow, link = connected()
    flow.ask(AskPassword("register"))
    flow.password("one")
    flow.password("two")
    assert link.sent == [] and model.password_prompt is None
    assert "The two passwords differ" in shown(model)


def test_register_failure_is_shown_and_nothing_kept() -> None:
    model, flow, link = connected()
    flow.ask(AskPassword("register"))
    flow.password("short")
    flow.password("short")
    assert link.sent == ["REGISTER * * short"]
    msg = parse_line(f"{S} FAIL REGISTER WEAK_PASSWORD alice :Password too weak")
    model.feed(msg)
    flow.handle(msg)
    assert link.credentials is None and flow.pending is None
    assert model.buffer.lines[-1].text == "REGISTER: Password too weak"


def test_register_needs_the_capability_and_no_account() -> None:
    model, flow, link = connected(caps="sasl")
    model.accounts.offered.pop("draft/account-registration")
    flow.ask(AskPassword("register"))
    assert model.password_prompt is None
    assert "does not offer account registration" in shown(model)


def test_login_uses_sasl_when_enabled() -> None:
    model, flow, link = connected()
    flow.ask(AskPassword("login", account="al"))
    assert model.password_prompt == "Password for account al: "
    flow.password("hunter2")
    assert link.sent == ["AUTHENTICATE SCRAM-SHA-256"]
    flow.handle(parse_line("AUTHENTICATE +"))
    assert link.sent[-1].startswith("AUTHENTICATE ") and "hunter2" not in link.sent[-1]


def test_login_means_the_usual_account_not_the_nick_in_use() -> None:
    """A server keeping `alice` for its owner gave me `alice_`: /login is for alice."""
    model, flow, link = connected(caps="server-time")
    model.accounts.usual = "alice"
    model.feed(parse_line(":alice!a@h NICK alice_"))
    flow.ask(AskPassword("login"))
    assert model.password_prompt == "Password for account alice: "


def test_login_falls_back_to_nickserv_without_sasl() -> None:
    model, flow, link = connected(caps="server-time")
    flow.ask(AskPassword("login"))
    flow.password("hunter2")
    assert link.sent == ["PRIVMSG NickServ :IDENTIFY alice hunter2"]
    msg = parse_line(f"{S} 900 alice alice!a@h alice :You are now logged in as alice")
    model.feed(msg)
    flow.handle(msg)
    assert link.credentials == Credentials("alice", "hunter2")


def test_the_prompt_can_be_cancelled() -> None:
    model, flow, link = connected()
    flow.ask(AskPassword("login"))
    assert flow.cancel() and model.password_prompt is None
    assert not flow.cancel()
    flow.password("typed after")
    assert link.sent == []


def test_logout_forgets_the_credentials_and_reconnects() -> None:
    model, flow, link = connected()
    link.credentials = ALICE
    flow.logout()
    assert link.credentials is None and link.reconnected == []   # not logged in: no need
    model.feed(parse_line(f"{S} 900 alice alice!a@h alice :You are now logged in as alice"))
    link.credentials = ALICE
    flow.logout()
    assert link.credentials is None and link.reconnected == ["Logging out"]
    assert link.sent == []


def test_logout_on_an_ircish_server_asks_nickserv() -> None:
    model, flow, link = connected()
    for line in (f"{S} 004 alice irc.test ircish-0.1.0 iowB biklmnost",
                 f"{S} 900 alice alice!a@h alice :You are now logged in as alice"):
        model.feed(parse_line(line))
    link.credentials = ALICE
    flow.logout()
    assert link.credentials is None and link.reconnected == []
    assert link.sent == ["PRIVMSG NickServ LOGOUT"]
