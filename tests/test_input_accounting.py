"""Input that says nothing still costs: empty lines, spaces, over-long lines and a line
that never ends are charged like any other input, so a client streaming them is slowed
and then dropped (`Excess Flood`) while the others go on undisturbed."""
from __future__ import annotations

import socket
from collections.abc import Set

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until

HOST = "127.0.0.1"
EXCESS_FLOOD = f"ERROR :Closing Link: {HOST} (Excess Flood)"
TOO_LONG = f":{S} 417 junk :Input line was too long"
LONG_LINE = b"PRIVMSG #dev :" + b"x" * 586 + b"\r\n"  # 602 bytes: 90 too many


def pair(server: Server) -> tuple[Client, Client]:
    """junk (the offender) and watcher (a bystander), both in #dev, nothing pending."""
    junk, watcher = Client(server.address, "junk"), Client(server.address, "watcher")
    for client in (watcher, junk):
        client.register(client.name)
        client.join("#dev")
    watcher.expect_exact(f":junk!~junk@{HOST} JOIN #dev")
    assert watcher.drain() == []
    return junk, watcher


def stream(client: Client, chunk: bytes, most: int) -> None:
    """Send `chunk` up to `most` times, stopping once the server has hung up."""
    client.sock.settimeout(2)
    for _ in range(most):
        try:
            client.sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return


def assert_dropped_alone(server: Server, junk: Client, watcher: Client,
                         answers: Set[str] = frozenset()) -> None:
    """junk got at most `answers` and then its Excess Flood; watcher saw only its QUIT
    and is still served."""
    *before, last = junk.collect(r"^ERROR ", wait=10)
    assert set(before) <= answers and last == EXCESS_FLOOD
    junk.assert_closed()
    assert watcher.collect(" QUIT ") == [f":junk!~junk@{HOST} QUIT :Excess Flood"]
    watcher.send("PING :still-served")
    watcher.expect_exact(f":{S} PONG {S} :still-served")
    assert watcher.drain() == []
    wait_until(lambda: server.nicks.get("junk") is None)


@pytest.mark.parametrize("flood_control", [True, False], ids=["fakelag", "no-fakelag"])
@pytest.mark.parametrize(("chunk", "answers"), [
    (b"\n" * 65536, set()),
    (b"\r\n" * 32768, set()),
    (b"     \r\n" * 9000, set()),
    (b"\x00\x00\r\n" * 16000, set()),
    (LONG_LINE * 100, {TOO_LONG}),
    (b"PING :x\r\n" + b"\r\n" * 200, {f":{S} PONG {S} :x"}),
], ids=["LF", "CRLF", "spaces", "NULs", "over-long", "commands-among-junk"])
def test_a_stream_of_lines_that_say_nothing_is_excess_flood(
        start_server, chunk: bytes, answers: Set[str], flood_control: bool) -> None:
    """Slowed by flood control, dropped by its held-back bytes; without flood control
    (a memory and CPU bound, not a rate limit) by a run of lines that reach no command."""
    server = start_server(flood_control=flood_control)
    junk, watcher = pair(server)
    stream(junk, chunk, most=50)  # 16 KiB held back is enough
    assert_dropped_alone(server, junk, watcher, answers)


@pytest.mark.parametrize("flood_control", [True, False], ids=["fakelag", "no-fakelag"])
def test_a_line_that_never_ends_is_excess_flood(start_server, flood_control: bool) -> None:
    """A memory bound, not a rate limit: it holds without flood control too."""
    server = start_server(flood_control=flood_control)
    junk, watcher = pair(server)
    stream(junk, b"x" * 65536, most=64)  # 4 MiB: past ENDLESS_LINE
    assert_dropped_alone(server, junk, watcher)


def test_over_long_lines_in_a_row_draw_one_417(start_server) -> None:
    server = start_server()
    junk, watcher = pair(server)
    junk.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    junk.send_raw(LONG_LINE * 5 + b"PING :after\r\n")
    junk.expect_exact(TOO_LONG, f":{S} PONG {S} :after")
    watcher.send("PING :w")
    watcher.expect_exact(f":{S} PONG {S} :w")
    assert junk.drain() == [] and watcher.drain() == []


@pytest.mark.parametrize("flood_control", [True, False], ids=["fakelag", "no-fakelag"])
def test_one_1mb_line_gets_one_417_and_the_connection_lives_on(
        start_server, flood_control: bool) -> None:
    server = start_server(flood_control=flood_control)
    junk, watcher = pair(server)
    junk.send_raw(b"PRIVMSG #dev :" + b"A" * 1_000_000)
    junk.send_raw(b"\r\nPING :still-here\r\n")
    junk.expect_exact(TOO_LONG, f":{S} PONG {S} :still-here")
    junk.send("PRIVMSG #dev :short again")
    watcher.expect_exact(f":junk!~junk@{HOST} PRIVMSG #dev :short again")
    junk.send("PING :end")
    junk.expect_exact(f":{S} PONG {S} :end")
    assert watcher.drain() == []


def test_empty_lines_cost_a_token_each(start_server) -> None:
    """Flood control state, not timing: nine empty lines and a PING spend the burst."""
    server = start_server(flood_burst=10, flood_rate=0.1)
    junk = Client(server.address, "junk")
    junk.register("junk")
    connection = next(c for c in server.connections if c.user.nick == "junk")
    bucket = connection.bucket
    assert bucket is not None
    bucket.tokens = bucket.burst  # the registration's tokens back, by hand
    junk.send_raw(b"\r\n" * 9 + b"PING :tenth\r\n")
    junk.expect_exact(f":{S} PONG {S} :tenth")
    junk.send("PING :eleventh")
    wait_until(lambda: list(connection.backlog) == [b"PING :eleventh"])  # held back
    junk.close()


# --- targets and cost --------------------------------------------------------------------

def test_names_and_whois_answer_each_target_once_and_at_most_targmax(connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.join("#dev")
    alice.send("NAMES #dev,#DEV,#dev,#ghost,#ghost")
    alice.expect_exact(f":{S} 353 alice = #dev :alice", f":{S} 366 alice #dev :End of /NAMES list.",
                       f":{S} 366 alice #ghost :End of /NAMES list.")
    alice.send("NAMES #a,#b,#c,#d,#e")  # TARGMAX NAMES:4 (max_targets)
    alice.expect_exact(f":{S} 407 alice #a,#b,#c,#d,#e :Too many targets")
    alice.send("WHOIS bob,BOB")
    assert alice.collect(" 318 ")[0] == f":{S} 311 alice bob ~bob 127.0.0.1 * :Test User"
    alice.send("WHOIS bob,alice")  # TARGMAX WHOIS:1
    alice.expect_exact(f":{S} 407 alice bob,alice :Too many targets")
    assert alice.drain() == [] and bob.drain() == []


def test_a_costly_command_spends_more_of_the_burst(start_server) -> None:
    """NAMES costs 2 where PING costs 1: of 6 at once, 5 fit a burst of 10, as 10
    PINGs would. Flood control state, not timing (the bucket refills very slowly)."""
    server = start_server(flood_burst=10, flood_rate=0.1)
    junk = Client(server.address, "junk")
    junk.register("junk")
    junk.join("#dev")
    connection = next(c for c in server.connections if c.user.nick == "junk")
    bucket = connection.bucket
    assert bucket is not None
    answer = [f":{S} 353 junk = #dev :junk", f":{S} 366 junk #dev :End of /NAMES list."]
    for names, pings in ((6, 0), (0, 11)):
        bucket.tokens = bucket.burst
        junk.send_raw(b"NAMES #dev\r\n" * names + b"PING :p\r\n" * pings)
        held = b"NAMES #dev" if names else b"PING :p"
        wait_until(lambda: list(connection.backlog) == [held])  # noqa: B023 (used now)
        junk.expect_exact(*(answer * (names - 1) or [f":{S} PONG {S} :p"] * (pings - 1)))
        bucket.tokens = bucket.burst  # the held one goes with the next line
        junk.send("PING :end")
        junk.expect_exact(*(answer if names else [f":{S} PONG {S} :p"]), f":{S} PONG {S} :end")
    junk.close()


def test_a_client_that_does_not_read_its_replies_is_slowed_not_dropped(start_server) -> None:
    """200 HELPs (~800 KB of answers) at a client that reads nothing: past half its
    SendQ (64 KiB) the server takes no more of its commands until it reads, so it gets
    every answer, late, instead of `SendQ exceeded`."""
    server = start_server(sendq=65536, socket_sndbuf=4096, flood_control=False)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: no scaling
    sock.connect(server.address)
    sock.settimeout(10)
    sock.sendall(b"NICK junk\r\nUSER junk 0 * :Junk\r\n")
    received = b""
    while b" 422 junk " not in received and b" 376 junk " not in received:
        received += sock.recv(65536)
    sock.sendall(b"HELP\r\n" * 200 + b"PING :done\r\n")
    connection = next(c for c in server.connections if c.user.nick == "junk")
    wait_until(lambda: connection.outbox.backed_up)
    assert len(connection.backlog) > 100  # held back, not run: the server waits for us
    received = b""
    while not received.endswith(b"PONG irc.test :done\r\n"):
        chunk = sock.recv(65536)
        assert chunk, received[-300:]  # not closed on us (SendQ exceeded)
        received += chunk
    assert received.count(b" 706 junk * :End of /HELP\r\n") == 200
    sock.close()
