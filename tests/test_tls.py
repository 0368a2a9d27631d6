"""TLS: a second listener for encrypted clients, who share rooms with plain ones."""
from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
import trustme

from ircish.client.link import Link, LinkState, tls_context
from ircish.protocol import Message

from .ircclient import Client, wait_until


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def start_tls_server(start_server, ca: trustme.CA, tmp_path: Path):
    cert = ca.issue_cert("localhost", "127.0.0.1")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(key))
    with chain.open("wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())
    return lambda **overrides: start_server(tls_cert=chain, tls_key=key, tls_port=0,
                                            **overrides)


@pytest.fixture
def tls_server(start_tls_server):
    return start_tls_server()


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_tls_and_plain_clients_talk_in_one_room(tls_server, trusting) -> None:
    secure = Client(tls_server.tls_address, "secure", tls=trusting)
    plain = Client(tls_server.address, "plain")
    try:
        secure.register("secure")
        plain.register("plain")
        secure.join("#general")
        plain.join("#general")
        assert secure.drain() == [":plain!~plain@127.0.0.1 JOIN #general"]
        plain.send("PRIVMSG #general :hello over tcp")
        secure.expect_exact(":plain!~plain@127.0.0.1 PRIVMSG #general :hello over tcp")
        secure.send("PRIVMSG #general :hello over tls")
        plain.expect_exact(":secure!~secure@127.0.0.1 PRIVMSG #general :hello over tls")
    finally:
        secure.close()
        plain.close()


def test_a_burst_larger_than_the_socket_buffers_arrives_whole(start_tls_server,
                                                              trusting) -> None:
    """Partial TLS writes go through the writer thread; nothing is lost or reordered."""
    tls_server = start_tls_server(flood_control=False, socket_sndbuf=16384)
    reader = Client(tls_server.tls_address, "reader", tls=trusting)
    talker = Client(tls_server.address, "talker")
    try:
        reader.register("reader")
        talker.register("talker")
        text = "y" * 400
        lines = [f"PRIVMSG reader :{i} {text}" for i in range(2000)]  # ~850 KB < SendQ
        talker.send_raw("".join(f"{line}\r\n" for line in lines).encode())
        talker.drain()  # all relayed (queued) before the reader reads a byte
        received = [reader.next_line(wait=10) for _ in lines]
        assert received == [f":talker!~talker@127.0.0.1 PRIVMSG reader :{i} {text}"
                            for i in range(2000)]
    finally:
        reader.close()
        talker.close()


def test_plain_text_on_the_tls_port_is_dropped_quietly(tls_server, trusting) -> None:
    raw = socket.create_connection(tls_server.tls_address, timeout=3)
    raw.sendall(b"NICK mallory\r\nUSER m 0 * :m\r\n")
    try:
        while raw.recv(4096):  # at most a TLS alert, then the server closes
            pass
    except ConnectionResetError:
        pass
    raw.close()
    wait_until(lambda: not tls_server.connections)
    fine = Client(tls_server.tls_address, "fine", tls=trusting)
    fine.register("fine")
    fine.close()


def _client_link(server, context: ssl.SSLContext) -> list:
    events: list = []
    link = Link("localhost", server.tls_address[1], "tlsuser", events.append,
                            backoff=(60.0,), tls=context)
    link.start()
    return [link, events]


def test_the_client_connects_with_tls_and_verifies_the_server(tls_server, ca) -> None:
    context = tls_context(verify=True)
    ca.configure_trust(context)
    link, events = _client_link(tls_server, context)
    try:
        wait_until(lambda: any(isinstance(e, Message) and e.command == "001" for e in events),
                   wait=5)
        assert link.send(Message("PRIVMSG", ["tlsuser", "note to self"]))
        wait_until(lambda: any(isinstance(e, Message) and e.command == "PRIVMSG"
                               for e in events), wait=5)
    finally:
        link.quit("done")


def test_the_client_refuses_an_unknown_certificate(tls_server) -> None:
    link, events = _client_link(tls_server, tls_context(verify=True))  # CA not trusted
    try:
        wait_until(lambda: any(isinstance(e, LinkState) and e.state == "disconnected"
                               for e in events), wait=5)
        failure = next(e for e in events if isinstance(e, LinkState) and e.state == "disconnected")
        assert "CERTIFICATE_VERIFY_FAILED" in failure.detail or "certificate" in failure.detail
        assert not any(isinstance(e, Message) for e in events)
    finally:
        link.quit()
    insecure, events = _client_link(tls_server, tls_context(verify=False))
    try:
        wait_until(lambda: any(isinstance(e, Message) and e.command == "001" for e in events),
                   wait=5)
    finally:
        insecure.quit()
