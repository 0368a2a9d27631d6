"""SASL (IRCv3 sasl-3.1, sasl-3.2): AUTHENTICATE with PLAIN and SCRAM-SHA-256 over the
plain port, EXTERNAL over the TLS port, as transcripts; and what a login changes for
everyone else (account-tag, extended-join, account-notify, WHOIS, WHO %a)."""
from __future__ import annotations

import base64
import hashlib
import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from scramp import ScramClient

from ircish.server.accounts import AccountError, sasl
from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .conftest import together
from .ircclient import Client

PASSWORD = "correct horse"
Start = Callable[..., Server]
Open = Callable[..., Client]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def plain(authcid: str, password: str, authzid: str = "") -> str:
    return b64(f"{authzid}\0{authcid}\0{password}".encode())


@pytest.fixture
def alice_server(start_server: Start) -> Server:
    # nicks are not enforced here: these clients sit on "alice" without logging in to it
    # (tests/test_nick_enforcement.py checks what strict makes of that)
    server = start_server(nick_enforcement="none")
    server.accounts.create("alice", PASSWORD)
    server.accounts.create("bob", "bob's password")
    return server


@pytest.fixture
def opened(alice_server: Server) -> Iterator[Open]:
    """opened(nick, caps="sasl", target=server, tls=context, source=address): CAP LS
    302, REQ of `caps`, NICK and USER: registration waits for CAP END, as a SASL
    client's does (over the TLS port if given a `tls` context)."""
    clients: list[Client] = []

    def make(nick: str, caps: str = "sasl", target: Server | None = None,
             **how: object) -> Client:
        server = target or alice_server
        address = server.tls_address if how.get("tls") else server.address
        assert address is not None
        c = Client(address, nick, **how)  # type: ignore[arg-type]
        clients.append(c)
        c.send("CAP LS 302")
        c.expect(r" CAP \* LS :")
        if caps:
            c.send(f"CAP REQ :{caps}")
            c.expect_exact(f":{S} CAP * ACK :{caps}")
        c.send(f"NICK {nick}")
        c.send(f"USER {nick} 0 * :Test User")
        return c

    yield make
    for c in clients:
        c.close()


def send_plain(c: Client, authcid: str, password: str, authzid: str = "") -> None:
    """A whole PLAIN exchange up to the server's answer (left to the caller)."""
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send(f"AUTHENTICATE {plain(authcid, password, authzid)}")


def logged_in(nick: str, account: str) -> tuple[str, str]:
    return (f":{S} 900 {nick} {nick}!~{nick}@127.0.0.1 {account} "
            f":You are now logged in as {account}",
            f":{S} 903 {nick} :SASL authentication successful")


def failed(nick: str, why: str) -> str:
    return f":{S} 904 {nick} :SASL authentication failed: {why}"


def welcome(c: Client) -> None:
    c.send("CAP END")
    c.expect(rf"^:{S} 001 {c.name} ")
    c.expect(r" (376|422) ")


def account_of(c: Client, nick: str) -> str | None:
    c.send(f"WHOIS {nick}")
    lines = c.collect(r" 318 ")
    found = [line.split()[4] for line in lines if f" 330 {c.name} {nick} " in line]
    return found[0] if found else None


# --- the protocol alone (accounts/sasl.py has no sockets) ---------------------------

class Book:
    """An Authority with one account, alice, and her password."""

    def password(self, name: str, password: str) -> str:
        if name != "alice" or password != PASSWORD:
            raise AccountError("INVALID_CREDENTIALS", "wrong")
        return "alice"

    def scram_keys(self, name: str) -> sasl.ScramKeys | None:
        return None

    def scram_verified(self, name: str) -> str:
        return name

    def certificate(self, authzid: str) -> str:
        raise AccountError("INVALID_CREDENTIALS", "no certificate")


@pytest.mark.parametrize(("size", "chunks"), [(0, ["+"]), (3, ["AAAA"]), (300, [400, "+"]),
                                              (301, [400, "AA=="]), (600, [400, 400, "+"])])
def test_server_challenges_are_sent_in_400_byte_chunks(size: int, chunks: list) -> None:
    lines = sasl.Challenge(bytes(size)).lines()
    assert [len(x) if len(x) == 400 else x for x in lines] == chunks


def test_an_exchange_reassembles_chunks_and_ends_at_a_short_one() -> None:
    encoded = plain("alice", PASSWORD + "x" * (300 - len(PASSWORD) - 7))
    exchange = sasl.Exchange("PLAIN", sasl.Plain(Book()))
    assert len(encoded) == 400
    assert exchange.feed(encoded) is None
    assert exchange.feed("+") == sasl.Failure("wrong")
    exchange = sasl.Exchange("PLAIN", sasl.Plain(Book()))
    assert exchange.feed(plain("alice", PASSWORD)) == sasl.Success("alice")


# --- CAP LS -----------------------------------------------------------------------

def test_cap_ls_302_offers_the_mechanisms_that_work_and_301_a_bare_sasl(
        alice_server: Server) -> None:
    c = Client(alice_server.address)
    try:
        c.send("CAP LS 302")
        line = c.next_line()
        assert " sasl=PLAIN,SCRAM-SHA-256 " in line, line     # no EXTERNAL: no client CA
        names = line.split(" :", 1)[1].split()
        assert names == sorted(names)
        c.send("CAP LS")
        line = c.next_line()
        assert " multi-prefix sasl server-time " in line and "=" not in line, line
    finally:
        c.close()


# --- PLAIN --------------------------------------------------------------------------

def test_plain_login_before_registration(opened: Open) -> None:
    c = opened("alice")
    send_plain(c, "alice", PASSWORD)
    c.expect_exact(*logged_in("alice", "alice"))
    c.send("CAP END")
    c.expect_exact(f":{S} 001 alice :Welcome to the ircish IRC network alice!~alice@127.0.0.1")
    c.expect(r" (376|422) ")
    assert account_of(c, "alice") == "alice"


def test_a_login_before_nick_and_user_names_what_is_not_known_yet(
        alice_server: Server) -> None:
    """irssi waits for the login before sending NICK and USER: 900 then has no nick
    and no user name to show (`*`), and the welcome comes after them as usual."""
    c = Client(alice_server.address, "alice")
    try:
        c.send("CAP LS 302")
        c.expect(r" CAP \* LS :")
        c.send("CAP REQ :sasl")
        c.expect_exact(f":{S} CAP * ACK :sasl")
        send_plain(c, "alice", PASSWORD)
        c.expect_exact(f":{S} 900 * *!*@127.0.0.1 alice :You are now logged in as alice",
                       f":{S} 903 * :SASL authentication successful")
        c.send("NICK alice")
        c.send("USER alice 0 * :Test User")
        welcome(c)
        assert account_of(c, "alice") == "alice"
    finally:
        c.close()


def test_plain_account_names_are_case_insensitive_and_authzid_must_be_the_same(
        opened: Open) -> None:
    c = opened("someone")
    send_plain(c, "ALICE", PASSWORD, authzid="bob")
    c.expect_exact(failed("someone", "You may only log in as yourself (authzid must be "
                                     "empty or the account name)"))
    send_plain(c, "ALICE", PASSWORD, authzid="Alice")
    c.expect_exact(*logged_in("someone", "alice"))  # its registered spelling


def test_plain_wrong_password_and_unknown_account_fail_alike(opened: Open) -> None:
    c = opened("carol")
    answers = []
    for name, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        send_plain(c, name, password)
        answers.append(c.next_line())
    assert answers == [failed("carol", "Invalid account name or password")] * 2
    welcome(c)
    assert account_of(c, "carol") is None


def test_abort_then_retry(opened: Open) -> None:
    c = opened("alice")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE *")
    c.expect_exact(f":{S} 906 alice :SASL authentication aborted")
    send_plain(c, "alice", PASSWORD)
    c.expect_exact(*logged_in("alice", "alice"))


def test_unknown_mechanism_is_908_with_the_ones_that_work_then_904(opened: Open) -> None:
    c = opened("alice")
    c.send("AUTHENTICATE DIGEST-MD5")
    c.expect_exact(f":{S} 908 alice PLAIN,SCRAM-SHA-256 :are available SASL mechanisms",
                   failed("alice", "DIGEST-MD5 is not a mechanism of this server"))
    c.send("AUTHENTICATE EXTERNAL")  # needs --tls-client-ca and a TLS connection
    c.expect_exact(f":{S} 908 alice PLAIN,SCRAM-SHA-256 :are available SASL mechanisms",
                   failed("alice", "EXTERNAL is not a mechanism of this server"))


def test_authenticate_without_the_sasl_capability_says_to_request_it(opened: Open) -> None:
    c = opened("alice", caps="")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact(f":{S} 904 alice :SASL authentication failed: request the sasl "
                   "capability first (CAP REQ :sasl)")
    c.send("CAP REQ :sasl")
    c.expect_exact(f":{S} CAP alice ACK :sasl")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")


def test_cap_end_during_an_exchange_aborts_it_and_registers_without_login(
        opened: Open) -> None:
    c = opened("alice")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send("CAP END")
    c.expect_exact(f":{S} 906 alice :SASL authentication aborted",
                   f":{S} 001 alice :Welcome to the ircish IRC network alice!~alice@127.0.0.1")
    c.expect(r" (376|422) ")
    assert account_of(c, "alice") is None
    # the payload the client sends next starts nothing: no exchange is in progress
    c.send(f"AUTHENTICATE {plain('alice', PASSWORD)}")
    c.expect(rf"^:{S} 908 alice ")


# --- chunking and length ------------------------------------------------------------

@pytest.mark.parametrize("length", [300, 600])  # 400 and 800 bytes of base64
def test_a_response_of_whole_400_byte_chunks_ends_with_plus(alice_server: Server,
                                                            opened: Open,
                                                            length: int) -> None:
    password = "p" * (length - len("\0dave\0"))
    alice_server.accounts.create("dave", password)
    encoded = plain("dave", password)
    assert len(encoded) == length // 3 * 4 and len(encoded) % 400 == 0
    c = opened("dave")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    for start in range(0, len(encoded), 400):
        c.send(f"AUTHENTICATE {encoded[start:start + 400]}")
    c.assert_silent()  # a full chunk: more may follow
    c.send("AUTHENTICATE +")
    c.expect_exact(*logged_in("dave", "dave"))


def test_a_chunk_over_400_bytes_or_a_response_over_the_limit_is_905(opened: Open) -> None:
    c = opened("alice")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE " + "A" * 401)
    c.expect_exact(f":{S} 905 alice :SASL message too long")
    c.send("AUTHENTICATE PLAIN")
    c.expect_exact("AUTHENTICATE +")
    for _ in range(4):
        c.send("AUTHENTICATE " + "A" * 400)   # 1600 bytes: the most one response holds
    c.send("AUTHENTICATE AAAA")
    c.expect_exact(f":{S} 905 alice :SASL message too long")
    c.send("AUTHENTICATE PLAIN")            # and the connection goes on
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE not*base64")
    c.expect_exact(failed("alice", "Invalid base64 encoding"))


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_every_mechanism_aborts_and_refuses_an_overlong_chunk(opened: Open,
                                                              mechanism: str) -> None:
    c = opened("alice")
    for ending, answer in (("*", f":{S} 906 alice :SASL authentication aborted"),
                           ("B" * 404, f":{S} 905 alice :SASL message too long")):
        c.send(f"AUTHENTICATE {mechanism}")
        c.expect_exact("AUTHENTICATE +")
        c.send("AUTHENTICATE " + "A" * 400)  # a response begun
        c.send(f"AUTHENTICATE {ending}")
        c.expect_exact(answer)


def test_too_many_failures_on_one_connection_close_it(opened: Open) -> None:
    c = opened("alice")
    for _ in range(9):
        c.send("AUTHENTICATE NOPE")
        c.expect(r" 904 ")
    c.send("AUTHENTICATE NOPE")
    c.expect_exact(f":{S} 908 alice PLAIN,SCRAM-SHA-256 :are available SASL mechanisms",
                   failed("alice", "NOPE is not a mechanism of this server"),
                   "ERROR :Closing Link: 127.0.0.1 (Too many SASL authentication failures)")
    c.assert_closed()


# --- re-authentication (sasl-3.2) ---------------------------------------------------

def test_after_registration_authenticate_logs_in_again_as_another_account(
        alice_server: Server, opened: Open) -> None:
    c = opened("alice")
    send_plain(c, "alice", PASSWORD)
    c.expect_exact(*logged_in("alice", "alice"))
    welcome(c)
    watcher = opened("watcher", caps="sasl account-notify")
    welcome(watcher)
    together("#r", c, watcher)
    send_plain(c, "alice", "wrong password")  # already authenticated: no 907 (sasl-3.2)
    c.expect_exact(failed("alice", "Invalid account name or password"))
    assert account_of(watcher, "alice") == "alice"  # a failed re-auth changes nothing
    send_plain(c, "bob", "bob's password")
    c.expect_exact(*logged_in("alice", "bob"))
    watcher.expect_exact(":alice!~alice@127.0.0.1 ACCOUNT bob")
    assert account_of(watcher, "alice") == "bob"
    assert alice_server.accounts.connections("alice") == []
    assert [u.nick for u in alice_server.accounts.connections("bob")] == ["alice"]


# --- SCRAM-SHA-256 ------------------------------------------------------------------

def scram_exchange(c: Client, name: str, password: str) -> tuple[str, str]:
    """Run SCRAM up to the server's answer to the proof; returns (server-first,
    that answer's line)."""
    client = ScramClient(["SCRAM-SHA-256"], name, password)
    c.send("AUTHENTICATE SCRAM-SHA-256")
    c.expect_exact("AUTHENTICATE +")
    c.send(f"AUTHENTICATE {b64(client.get_client_first().encode())}")
    first = c.expect(r"^AUTHENTICATE (\S+)$").group(1)
    server_first = base64.b64decode(first).decode()
    client.set_server_first(server_first)
    c.send(f"AUTHENTICATE {b64(client.get_client_final().encode())}")
    answer = c.next_line()
    if answer.startswith("AUTHENTICATE "):
        client.set_server_final(base64.b64decode(answer.split()[1]).decode())  # checks v=
    return server_first, answer


def test_scram_login(opened: Open) -> None:
    c = opened("alice")
    server_first, answer = scram_exchange(c, "alice", PASSWORD)
    assert re.fullmatch(r"r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096", server_first)
    assert re.fullmatch(r"AUTHENTICATE [A-Za-z0-9+/=]+", answer)
    c.assert_silent()  # the server waits for the client's empty response
    c.send("AUTHENTICATE +")
    c.expect_exact(*logged_in("alice", "alice"))
    welcome(c)
    assert account_of(c, "alice") == "alice"


def test_scram_unknown_account_fails_as_a_wrong_password_does(opened: Open) -> None:
    c = opened("carol")
    first_wrong, wrong = scram_exchange(c, "alice", "wrong password")
    first_unknown, unknown = scram_exchange(c, "nobody", PASSWORD)
    assert wrong == unknown == failed("carol", "Invalid account name or password")
    again, _ = scram_exchange(c, "Nobody", PASSWORD)
    salt = re.compile(r",s=([^,]+),i=(\d+)$")
    unknown_salt = salt.search(first_unknown).groups()   # type: ignore[union-attr]
    assert salt.search(again).groups() == unknown_salt     # type: ignore[union-attr]
    assert unknown_salt[1] == salt.search(first_wrong).group(2)  # type: ignore[union-attr]


def test_made_up_scram_salts_outlive_a_restart(start_server: Start, tmp_path: Path) -> None:
    """A made-up salt that changed at each restart, while real ones do not, would tell
    an unknown name from an account."""
    salts = []
    for _ in range(2):
        server = start_server(data_dir=tmp_path / "data")
        c = Client(server.address, "carol")
        c.send("CAP REQ :sasl")
        c.expect(" ACK ")
        first, _answer = scram_exchange(c, "nobody", "whatever")
        salts.append(first.split(",s=")[1])
        c.close()
        server.stop()
    assert salts[0] == salts[1]


def test_scram_abort_mid_exchange(opened: Open) -> None:
    c = opened("alice")
    client = ScramClient(["SCRAM-SHA-256"], "alice", PASSWORD)
    c.send("AUTHENTICATE SCRAM-SHA-256")
    c.expect_exact("AUTHENTICATE +")
    c.send(f"AUTHENTICATE {b64(client.get_client_first().encode())}")
    c.expect(r"^AUTHENTICATE \S+$")
    c.send("AUTHENTICATE *")
    c.expect_exact(f":{S} 906 alice :SASL authentication aborted")


# --- what a login changes for others ------------------------------------------------

def test_a_logged_in_user_shows_its_account_everywhere(opened: Open) -> None:
    tagged = opened("tagged", caps="account-tag")
    welcome(tagged)
    ext = opened("ext", caps="extended-join account-notify")
    welcome(ext)
    together("#r", tagged, ext)
    c = opened("alice")
    send_plain(c, "alice", PASSWORD)
    c.expect_exact(*logged_in("alice", "alice"))
    welcome(c)
    c.join("#r")
    ext.expect_exact(":alice!~alice@127.0.0.1 JOIN #r alice :Test User")
    tagged.expect_exact("@account=alice :alice!~alice@127.0.0.1 JOIN #r")
    c.send("PRIVMSG #r :hello")
    tagged.expect_exact("@account=alice :alice!~alice@127.0.0.1 PRIVMSG #r :hello")
    ext.expect_exact(":alice!~alice@127.0.0.1 PRIVMSG #r :hello")
    assert account_of(ext, "alice") == "alice"                 # WHOIS 330
    ext.send("WHO #r %na")
    lines = ext.collect(r" 315 ")
    assert f":{S} 354 ext alice alice" in lines, lines         # WHO %a
    assert f":{S} 354 ext ext 0" in lines, lines


# --- EXTERNAL and TLS (--tls-client-ca, --plain-requires-tls) ----------------------

@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(start_server: Start, ca: trustme.CA, tmp_path: Path) -> Callable[..., Server]:
    """A server with a TLS listener that asks for client certificates of `ca`."""
    cert = ca.issue_cert("localhost", "127.0.0.1")
    chain, key, client_ca = (tmp_path / name for name in ("chain.pem", "key.pem", "ca.pem"))
    cert.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    ca.cert_pem.write_to_path(str(client_ca))

    def start(**overrides: object) -> Server:
        server = start_server(tls_cert=chain, tls_key=key, tls_port=0,
                              tls_client_ca=client_ca, **overrides)
        server.accounts.create("alice", PASSWORD)
        return server
    return start


def tls_context(ca: trustme.CA, client: trustme.LeafCert | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    if client is not None:
        client.configure_cert(context)
    return context


def fingerprint(cert: trustme.LeafCert) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    return hashlib.sha256(der).hexdigest()


def test_external_logs_in_the_account_holding_the_certificate(
        tls_server: Callable[..., Server], ca: trustme.CA, opened: Open) -> None:
    server = tls_server()
    cert = ca.issue_cert("alice@example.org")
    server.accounts.add_certfp("alice", fingerprint(cert).upper())  # stored lowercase
    c = opened("someone", target=server, tls=tls_context(ca, cert))
    c.send("AUTHENTICATE EXTERNAL")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE " + b64(b"bob"))      # an authzid must be the certificate's
    c.expect_exact(failed("someone", "Your client certificate belongs to alice, not to bob"))
    c.send("AUTHENTICATE EXTERNAL")
    c.expect_exact("AUTHENTICATE +")
    c.send("AUTHENTICATE +")                   # no authzid: the certificate's account
    c.expect_exact(*logged_in("someone", "alice"))
    welcome(c)
    c.send("WHOIS someone")                    # the fingerprint, to the user themself
    assert f":{S} 276 someone someone :has client certificate fingerprint " \
           f"{fingerprint(cert)}" in c.collect(" 318 ")
    other = opened("other", target=server)
    welcome(other)
    other.send("WHOIS someone")
    assert not [line for line in other.collect(" 318 ") if " 276 " in line]


def test_external_without_a_certificate_or_with_an_unregistered_one_fails(
        tls_server: Callable[..., Server], ca: trustme.CA, opened: Open) -> None:
    server = tls_server()
    bare = opened("bare", target=server, tls=tls_context(ca))
    bare.send("AUTHENTICATE EXTERNAL")
    bare.expect_exact("AUTHENTICATE +")
    bare.send("AUTHENTICATE +")
    bare.expect_exact(failed("bare", "You did not present a client certificate "
                                     "(connect with one to the TLS port)"))
    stranger = opened("stranger", target=server,
                      tls=tls_context(ca, ca.issue_cert("stranger@example.org")))
    stranger.send("AUTHENTICATE EXTERNAL")
    stranger.expect_exact("AUTHENTICATE +")
    stranger.send("AUTHENTICATE +")
    stranger.expect_exact(failed("stranger",
                                 "Your client certificate is registered to no account"))


def test_the_mechanisms_offered_depend_on_the_connection(
        tls_server: Callable[..., Server], ca: trustme.CA) -> None:
    """EXTERNAL only over TLS; with --plain-requires-tls, PLAIN only over TLS."""
    server = tls_server(plain_requires_tls=True)
    offers = {}
    for port, how in (("tls", {"tls": tls_context(ca)}), ("plain", {})):
        address = server.tls_address if port == "tls" else server.address
        c = Client(address, port, **how)  # type: ignore[arg-type]
        c.send("CAP LS 302")
        offers[port] = re.search(r" sasl=(\S+)", c.next_line()).group(1)  # type: ignore
        c.send("CAP REQ :sasl")
        c.expect(" ACK ")
        c.send("AUTHENTICATE PLAIN")
        offers[port + " PLAIN"] = c.next_line()
        c.close()
    assert offers == {
        "tls": "PLAIN,SCRAM-SHA-256,EXTERNAL",
        "tls PLAIN": "AUTHENTICATE +",
        "plain": "SCRAM-SHA-256",
        "plain PLAIN": f":{S} 908 * SCRAM-SHA-256 :are available SASL mechanisms",
    }
