"""Hostile and broken input: random bytes, NULs, huge lines, bad UTF-8, half lines,
clients that stop reading, odd framing, and a property test over arbitrary streams.

After each, the offender gets only the replies it should, a member of its room sees
nothing it should not, and a fresh client still gets its PONG.
"""
from __future__ import annotations

import itertools
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until

HOST = "127.0.0.1"
TOO_LONG = f":{S} 417 fuzz :Input line was too long"


@pytest.fixture
def server(start_server) -> Server:
    """The test server without flood control: these tests send hundreds of lines at
    once on purpose, and fakelag (tested in test_limits.py) would only slow them."""
    return start_server(flood_control=False)


@pytest.fixture
def room(connect):
    """fuzz (the offender) and carol (a bystander), both in #dev, nothing pending."""
    fuzz, carol = connect("fuzz"), connect("carol")
    fuzz.join("#dev")
    carol.join("#dev")
    for client in (fuzz, carol):
        client.drain()
    return fuzz, carol


def assert_server_answers(server: Server, token: str = "alive") -> None:
    fresh = Client(server.address, "fresh")
    try:
        fresh.send(f"PING :{token}")
        fresh.expect_exact(f":{S} PONG {S} :{token}")
    finally:
        fresh.close()


def assert_nothing_for(*bystanders: Client) -> None:
    """Everything the server queued for them before their PING was nothing at all."""
    for client in bystanders:
        assert client.drain() == [], client.name


def relayed(text: str, target: str = "#dev", nick: str = "fuzz") -> str:
    return f":{nick}!~{nick}@{HOST} PRIVMSG {target} :{text}"


# --- random bytes --------------------------------------------------------------------

REPLY_TO_GARBAGE = {
    True: re.compile(rf"^:{re.escape(S)} (417 fuzz :Input line was too long"
                     r"|421 fuzz .+ :Unknown command)$", re.S),
    False: re.compile(rf"^:{re.escape(S)} (417 \* :Input line was too long"
                      r"|451 \* :You have not registered)$"),
}


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_bytes_draw_only_error_numerics(server: Server, connect, registered: bool,
                                               seed: int) -> None:
    carol = connect("carol")
    carol.join("#dev")
    fuzz = Client(server.address, "fuzz")
    try:
        if registered:
            fuzz.register("fuzz")
            fuzz.join("#dev")
            carol.expect_exact(f":fuzz!~fuzz@{HOST} JOIN #dev")
        rng = random.Random(seed)
        data = rng.randbytes(48 * 1024)
        while data:  # in chunks of random size, so lines are cut anywhere
            cut = rng.randint(1, 4096)
            fuzz.send_raw(data[:cut])
            data = data[cut:]
        fuzz.send_raw(b"\r\nPING :after-garbage\r\n")
        *replies, pong = fuzz.collect(r" PONG ", wait=10)
        assert pong == f":{S} PONG {S} :after-garbage"
        assert len(replies) > 50  # ~190 lines were sent: most draw a numeric
        odd = [r for r in replies if not REPLY_TO_GARBAGE[registered].match(r)]
        assert not odd, odd[:5]
        assert_nothing_for(carol)
        assert_server_answers(server)
    finally:
        fuzz.close()


# --- NUL bytes -------------------------------------------------------------------------

def test_nul_bytes_are_removed_and_never_relayed(server: Server, room) -> None:
    fuzz, carol = room
    fuzz.send_raw(b"PRIV\x00MSG #dev :hi\x00there\r\n")
    carol.expect_exact(relayed("hithere"))
    fuzz.send_raw(b"\x00\x00\x00\r\n")        # nothing left: an empty line, ignored
    fuzz.send_raw(b"PRIVMSG #dev :\x00\r\n")  # no text left
    fuzz.expect_exact(f":{S} 412 fuzz :No text to send")
    fuzz.send_raw(b"NICK fu\x00zz2\r\n")
    fuzz.expect_exact(f":fuzz!~fuzz@{HOST} NICK fuzz2")
    carol.expect_exact(f":fuzz!~fuzz@{HOST} NICK fuzz2")
    assert fuzz.drain() == []
    assert_nothing_for(carol)
    assert_server_answers(server)


# --- long lines --------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [None, 1000, 7001], ids=["one-write", "1000", "7001"])
def test_100kb_line_gets_417_and_the_connection_lives_on(server: Server, room,
                                                        chunk: int | None) -> None:
    fuzz, carol = room
    data = b"PRIVMSG #dev :" + b"A" * 100_000 + b"\r\nPING :still-here\r\n"
    for start in range(0, len(data), chunk or len(data)):
        fuzz.send_raw(data[start:start + (chunk or len(data))])
    fuzz.expect_exact(TOO_LONG, f":{S} PONG {S} :still-here")
    fuzz.send("PRIVMSG #dev :short again")
    carol.expect_exact(relayed("short again"))  # and not a fragment of the long one
    assert_nothing_for(fuzz, carol)
    assert_server_answers(server)


def test_line_limit_is_512_bytes_with_crlf_and_tags_are_extra(room) -> None:
    fuzz, carol = room
    head = "PRIVMSG #dev :"
    fits = "a" * (510 - len(head))             # 510 + CRLF = 512
    fuzz.send(head + fits)
    carol.expect_exact(relayed(fits)[:510])    # the source prefix made it longer: cut
    fuzz.send(head + fits + "b")               # 513 with CRLF
    fuzz.expect_exact(TOO_LONG)
    tags = "@" + "t" * 4094                    # tags have their own budget: a client may
    fuzz.send(f"{tags} {head}tagged")          # send 4094 bytes ('@' and space: 4096)
    carol.expect_exact(relayed("tagged"))      # and are not relayed (no message-tags)
    fuzz.send(f"@{'t' * 4095} {head}too many tags")
    fuzz.expect_exact(TOO_LONG)
    fuzz.send_raw(b"x" * 30_000)               # no CRLF yet: the line is still open
    fuzz.send_raw(b"x" * 30_000 + b"\nPING :bare-lf\n")
    fuzz.expect_exact(TOO_LONG, f":{S} PONG {S} :bare-lf")
    assert_nothing_for(fuzz, carol)


# --- bad UTF-8 --------------------------------------------------------------------------

def test_invalid_utf8_is_relayed_as_latin1_and_nobody_crashes(server: Server, room) -> None:
    fuzz, carol = room
    fuzz.send_raw(b"PRIVMSG #dev :caf\xe9 \xff\xfe ok\r\n")
    # decode() reads each byte that is not UTF-8 as Latin-1; what leaves is UTF-8
    carol.expect_exact(relayed("café ÿþ ok"))
    fuzz.send_raw(b"PRIVMSG #dev :\xc3\r\n")  # a truncated sequence
    carol.expect_exact(relayed("Ã"))
    fuzz.send_raw(b"PRIVMSG carol :\xed\xa0\x80 surrogate\r\n")  # UTF-8 of a surrogate
    carol.expect_exact(relayed("í\xa0\x80 surrogate", target="carol"))
    fuzz.send_raw(b"NICK \xff\r\n")
    fuzz.expect_exact(f":{S} 432 fuzz ÿ :Erroneous nickname")
    fuzz.send_raw("PRIVMSG #dev :naïve ☃ fine\r\n".encode())  # valid UTF-8 is untouched
    carol.expect_exact(relayed("naïve ☃ fine"))
    fuzz.send_raw(b"PRIVMSG #dev :\xc3\xa9t\xc3\xa9 \xff\r\n")  # valid UTF-8 and a stray byte
    carol.expect_exact(relayed("été ÿ"))  # only the stray byte is read as Latin-1
    assert_nothing_for(fuzz, carol)
    assert_server_answers(server)


# --- half a line, then gone ----------------------------------------------------------------

@pytest.mark.parametrize("how, reason", [("close", "Remote host closed the connection"),
                                         ("reset", "Connection reset by peer")])
def test_disconnect_mid_line_drops_the_half_line(server: Server, room, how: str,
                                                 reason: str) -> None:
    fuzz, carol = room
    conn = next(c for c in server.connections if c.user.nick == "fuzz")
    heard = conn.last_heard
    fuzz.send_raw(b"PRIVMSG #dev :half a li")
    wait_until(lambda: conn.last_heard != heard)  # the server read the fragment: now go
    if how == "reset":
        fuzz.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    fuzz.close()
    carol.expect_exact(f":fuzz!~fuzz@{HOST} QUIT :{reason}")
    wait_until(lambda: server.connection_count == 1)
    assert server.nicks.get("fuzz") is None and server.registered_count == 1
    dev = server.rooms.find("#dev")
    assert dev is not None and [m.nick for m in dev.members] == ["carol"]
    assert_nothing_for(carol)
    assert_server_answers(server)


# --- a client that never reads ------------------------------------------------------------

def test_client_that_never_reads_is_dropped_and_the_others_get_everything(
        start_server) -> None:
    sendq = 64 * 1024
    server = start_server(sendq=sendq, flood_control=False)
    readers = [Client(server.address, n) for n in ("alice", "bob")]
    flooder = Client(server.address, "flood")
    staller = socket.socket()
    staller.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        for client in (*readers, flooder):
            client.register(client.name)
        # Members in the order alice, staller, bob, flood: the staller sits in the
        # middle of every fan-out, so dropping it must not cut the fan-out short.
        readers[0].join("#dev")
        staller.connect(server.address)
        staller.sendall(b"NICK staller\r\nUSER staller 0 * :never reads\r\nJOIN #dev\r\n")
        readers[0].expect_exact(f":staller!~staller@{HOST} JOIN #dev")
        readers[1].join("#dev")
        flooder.join("#dev")
        for client in (*readers, flooder):
            client.drain()
        assert [u.nick for u in server.rooms.find("#dev").members_snapshot] == [
            "alice", "staller", "bob", "flood"]
        staller_conn = next(c for c in server.connections if c.user.nick == "staller")
        # The kernel takes about a send buffer's worth before the server must queue.
        kernel = staller_conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        pad = "z" * 360
        line_size = len(f":flood!~flood@{HOST} PRIVMSG #dev :00000 {pad}\r\n")
        limit = 2 * (kernel + sendq) // line_size + 2000

        quit_line = f":staller!~staller@{HOST} QUIT :SendQ exceeded"
        progress = threading.Condition()
        got: dict[str, list[str]] = {c.name: [] for c in readers}
        quits: dict[str, list[str]] = {c.name: [] for c in readers}

        def read(client: Client) -> None:
            while True:
                try:
                    line = client.next_line(wait=10)
                except AssertionError:
                    raise AssertionError(f"{client.name} got no more after "
                                         f"{len(got[client.name])} lines; closed: "
                                         f"{client.closed}") from None
                with progress:
                    if " QUIT " in line:
                        quits[client.name].append(line)
                    elif line.endswith(" :end"):
                        return
                    else:
                        got[client.name].append(line)
                    progress.notify_all()

        batch_size = 50
        with ThreadPoolExecutor(2) as pool:
            running = [pool.submit(read, c) for c in readers]
            sent, sent_at_drop = 0, None
            while sent_at_drop is None or sent < sent_at_drop + 2000:  # and 2000 more
                assert sent < limit, "the staller was never dropped"
                batch = "".join(f"PRIVMSG #dev :{sent + i:05d} {pad}\r\n"
                                for i in range(batch_size))
                flooder.send_raw(batch.encode())
                sent += batch_size
                # The readers stay within 2 batches (~40 KB, under the SendQ) of the
                # flood: only the staller may fall behind. (Readers that lag more can
                # be dropped wrongly: see test_concurrency's xfail on batch flushes.)
                wanted = sent - batch_size
                with progress:
                    assert progress.wait_for(
                        lambda: min(map(len, got.values())) >= wanted  # noqa: B023 (waited for here)
                        or any(f.done() for f in running), timeout=10), (
                        sent, {k: len(v) for k, v in got.items()}, quits)
                    if sent_at_drop is None and all(quits.values()):
                        sent_at_drop = sent
            flooder.send("PRIVMSG #dev :end")
            for future in running:
                future.result(timeout=15)

        want = [f":flood!~flood@{HOST} PRIVMSG #dev :{i:05d} {pad}" for i in range(sent)]
        for reader in readers:
            assert quits[reader.name] == [quit_line]
            assert got[reader.name] == want, f"{reader.name}: {len(got[reader.name])} of {sent}"
        assert flooder.drain() == [quit_line]
        wait_until(lambda: server.connection_count == 3)
        assert server.nicks.get("staller") is None and server.registered_count == 3
        assert {m.nick for m in server.rooms.find("#dev").members} == {"alice", "bob", "flood"}
        # The staller's socket was closed by the server: past what the kernel holds, EOF.
        staller.settimeout(5)
        while staller.recv(1 << 20):
            pass
        assert_server_answers(server)
    finally:
        for client in (*readers, flooder):
            client.close()
        staller.close()


def test_a_fast_sender_without_flood_control_is_not_dropped_for_excess_flood(room) -> None:
    """recvq bounds input that is read but held back; with no flood control nothing is
    held back, so a full 16 KiB read plus a carried-over partial line (41 lines of 400
    bytes: 16400 > 16384) must not count as a flood."""
    fuzz, carol = room
    texts = [f"{i:05d} " + "z" * 380 for i in range(400)]  # 400-byte lines, 160 KB
    fuzz.send_raw("".join(f"PRIVMSG #dev :{t}\r\n" for t in texts).encode())
    seen = carol.collect(rf" QUIT | :{re.escape(texts[-1])}$")
    assert seen == [relayed(t) for t in texts]  # not `:fuzz!… QUIT :Excess Flood`
    assert_nothing_for(fuzz, carol)


# --- odd framing -------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"   \r\n", b" \n", b"\r\n", b"\n", b"\r\r\n", b" \r \r\n",   # only spaces / CRs
    b":prefix\r\n", b":prefix   \r\n", b":\r\n", b": :x\r\n",    # only a prefix
    b"@a=b\r\n", b"@a=b;c=d\\s \r\n", b"@\r\n", b"@;;;\r\n",      # only tags
    b"@a=b :prefix\r\n", b"@a=b :prefix :trailing\r\n",
], ids=lambda raw: repr(raw)[2:-1])
def test_lines_without_a_command_are_ignored(server: Server, room, raw: bytes) -> None:
    fuzz, carol = room
    fuzz.send_raw(raw + b"PING :next\r\n")
    fuzz.expect_exact(f":{S} PONG {S} :next")  # the very next line: nothing before it
    assert_nothing_for(fuzz, carol)
    assert_server_answers(server)


def test_client_supplied_prefix_and_tags_are_not_relayed(room) -> None:
    fuzz, carol = room
    fuzz.send(":carol!~carol@elsewhere PRIVMSG #dev :spoof?")
    carol.expect_exact(relayed("spoof?"))
    fuzz.send("@+draft/x=1;time=2000-01-01T00:00:00Z :x PRIVMSG #dev :tagged")
    carol.expect_exact(relayed("tagged"))
    assert_nothing_for(fuzz, carol)


def test_lines_with_more_than_15_params(server: Server, room) -> None:
    fuzz, carol = room
    # Past the 14th middle param, the rest is one final param: ISON still sees the
    # nicks at positions 18 and 19, PRIVMSG takes its 2nd param as text.
    fuzz.send("ISON " + " ".join(f"x{i}" for i in range(17)) + " carol fuzz")
    fuzz.expect_exact(f":{S} 303 fuzz :carol fuzz")
    fuzz.send("PRIVMSG #dev " + " ".join(f"p{i}" for i in range(20)) + " :trailing")
    carol.expect_exact(relayed("p0"))
    fuzz.send("PING " + " ".join(f"t{i}" for i in range(30)))
    fuzz.expect_exact(f":{S} PONG {S} :t0")
    fuzz.send("MODE fuzz +i " + " ".join(f"a{i}" for i in range(40)))
    fuzz.expect_exact(f":fuzz!~fuzz@{HOST} MODE fuzz :+i")
    assert_nothing_for(fuzz, carol)
    assert_server_answers(server)


# --- what the server sends must be well framed -------------------------------------------

@pytest.mark.parametrize("raw", [
    b"PRIVMSG #dev :hi\r:irc.test 001 carol :forged welcome\r\n",
    b"PRIVMSG carol :hi\r:alice!~alice@127.0.0.1 PRIVMSG carol :forged\r\n",
    b"QUIT :bye\r:irc.test KILL carol :forged\r\n",
], ids=["room", "private", "quit-reason"])
def test_bare_cr_never_reaches_another_client(room, raw: bytes) -> None:
    fuzz, carol = room
    fuzz.send_raw(raw)
    # fuzz's lines are handled (and relayed) before carol's barrier; a QUIT is relayed
    # before the server closes the socket
    fuzz.assert_closed() if raw.startswith(b"QUIT") else fuzz.drain()
    seen = carol.drain()
    assert seen, "the line should not simply vanish either"
    assert not [line for line in seen if "\r" in line], seen


def test_bare_cr_is_not_echoed_in_numerics(room) -> None:
    fuzz, _ = room
    fuzz.send_raw(b"FOO\rPING :x\r\n")
    reply = fuzz.next_line()
    assert "\r" not in reply, reply


@pytest.mark.parametrize("raw, first, size", [
    (b"PING :" + b"y" * 504, f":{S} PONG {S} :yyy", 512),   # 512 in, the PONG is longer
    (b"PRIVMSG #dev :" + b"m" * 496, relayed("mmm"), 512),  # the relay adds the source
    (b"\xe9" * 500, f":{S} 421 fuzz \u00c9\u00c9", None),   # 421 echoes it, 2 bytes a char
], ids=["pong", "relay", "421-echo"])
def test_no_line_from_the_server_is_longer_than_512_bytes(room, raw: bytes, first: str,
                                                          size: int | None) -> None:
    fuzz, carol = room
    fuzz.send_raw(raw + b"\r\n")
    lines = fuzz.drain() + carol.drain()
    assert len(lines) == 1 and lines[0].startswith(first), lines
    length = len(lines[0].encode()) + 2
    assert length == size if size else length <= 512, length
    assert "\ufffd" not in lines[0]


# --- property: arbitrary streams, cut anywhere ------------------------------------------

# Bits of IRC that make parsing interesting, none of which can make another client
# see anything (no NICK, JOIN, PART, QUIT, TOPIC, and no target but a missing nick).
FRAGMENTS = [b"\r\n", b"\n", b"\r", b"\x00", b" ", b":", b"@", b";", b"=", b"\\",
             b"@a=b;c=\\s\\:x ", b":nick!user@host ", b"PING", b"PING :tok", b"PONG",
             b"PRIVMSG", b"PRIVMSG nosuch :", b"NOTICE nosuch :hi", b"ISON", b"WHO",
             b"MODE", b"CAP LS 302", b"NAMES", b"\xff", b"\xc3", b"\xe2\x98",
             b"x" * 600, b"y" * 9000]
pieces = st.one_of(st.binary(max_size=48), st.sampled_from(FRAGMENTS))
# Mostly line-shaped (so prefixes, tags and commands land at line starts), with
# terminators that may be CRLF, a bare LF, a bare CR or nothing at all.
lines = st.tuples(st.lists(pieces, max_size=6).map(b"".join),
                  st.sampled_from([b"\r\n", b"\n", b"\r", b""]))
# Hypothesis also draws on constants it finds in the code it runs (`QUIT`, `#dev`,
# `watcher`...): a drawn ` QUIT ` line ended the fuzzing client, and the test waited for a
# PONG that could not come. Words that act (on this client's life or on others) and ways
# to name the watcher or its room are defused, so the property stays what it says.
_ACTS = re.compile(rb"(?i)quit|nick|join|part|topic|kick|invite|away|setname|kill|oper|"
                   rb"redact|chghost|watcher|#")
streams = st.lists(lines, max_size=12).map(
    lambda ls: _ACTS.sub(b"-", b"".join(a + b for a, b in ls)))
cuts = st.lists(st.integers(min_value=1, max_value=700), max_size=16)
fuzzers = itertools.count()


@pytest.fixture
def unthrottled(start_server) -> Server:
    """The property's server: flood control off. The property is about framing and
    parsing; with flood control on, a long stream of junk lines (each costs a token)
    can buy more fakelag than the test waits for its PONG. The limits that hold
    without flood control (junk runs, endless lines) still apply."""
    return start_server(flood_control=False)


@pytest.fixture
def watcher(unthrottled: Server) -> Iterator[Client]:
    """A bystander in #dev (function-scoped: one for all the examples of a test)."""
    client = Client(unthrottled.address, "watcher")
    client.register("watcher")
    client.join("#dev")
    yield client
    client.close()


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=streams, cut_at=cuts)
def test_any_byte_stream_cut_anywhere_leaves_the_server_and_others_fine(
        unthrottled: Server, watcher: Client, stream: bytes, cut_at: list[int]) -> None:
    server = unthrottled
    nick = f"fz{next(fuzzers)}"
    fuzz = Client(server.address, nick)
    try:
        fuzz.register(nick)
        fuzz.join("#dev")
        watcher.expect_exact(f":{nick}!~{nick}@{HOST} JOIN #dev")
        fuzz.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for size in cut_at:
            if not stream:
                break
            fuzz.send_raw(stream[:size])
            stream = stream[size:]
            # give the server a chance to read each piece alone: pacing, not a wait for
            # a condition (the property holds however the server's reads split them)
            time.sleep(0.0005)
        if stream:
            fuzz.send_raw(stream)
        fuzz.send_raw(b"\r\nPING :after\r\n")
        replies = fuzz.collect(rf"^:{re.escape(S)} PONG {re.escape(S)} :after$", wait=5)
        assert all(line.startswith(f":{S} ") for line in replies), replies
        fuzz.send("QUIT :done")
        fuzz.expect_exact(f"ERROR :Closing Link: {HOST} (Quit: done)")
        fuzz.assert_closed()
        watcher.expect_exact(f":{nick}!~{nick}@{HOST} QUIT :Quit: done")  # nothing between
        assert_server_answers(server)
    finally:
        fuzz.close()
