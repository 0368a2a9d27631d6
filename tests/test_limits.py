"""Limits that keep one client from hurting the rest: flood control, Excess Flood,
connection caps. (SendQ and stalled readers: test_bad_input.py; file descriptors:
test_descriptors.py.)"""
from __future__ import annotations

import time

import pytest

from ircish.server.flood import TokenBucket

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert bucket.take(10.0) and bucket.tokens == pytest.approx(2.0)  # capped at the burst


def test_a_flooder_is_slowed_down_and_loses_nothing(start_server, connect) -> None:
    server = start_server(flood_burst=5, flood_rate=20.0)
    flooder = connect(None, target=server)
    flooder.register("flooder")
    bystander = connect(None, target=server)
    bystander.register("bystander")
    bucket = next(c for c in server.connections if c.user.nick == "flooder").bucket
    # the registration lines' tokens come back (reckoned as the bucket does, lazily)
    wait_until(lambda: bucket.tokens + (time.monotonic() - bucket.stamp) * bucket.rate
               >= bucket.burst)
    started = time.monotonic()
    flooder.send_raw(b"".join(b"PING :n%d\r\n" % i for i in range(35)))
    pongs = [flooder.next_line() for _ in range(5)]
    burst_took = time.monotonic() - started
    bystander.send("PING :me-first")
    bystander.expect_exact(f":{S} PONG {S} :me-first", wait=0.5)
    bystander_took = time.monotonic() - started
    pongs += [flooder.next_line(wait=5) for _ in range(30)]
    all_took = time.monotonic() - started
    assert pongs == [f":{S} PONG {S} :n{i}" for i in range(35)]  # delayed, never dropped
    assert burst_took < 0.5 and bystander_took < 0.5
    assert all_took > 1.2  # 30 lines past the burst at 20 a second


def test_input_backlog_past_recvq_is_excess_flood(start_server, connect) -> None:
    server = start_server(flood_burst=1, flood_rate=5.0, recvq=2048)
    watcher = connect(None, target=server)
    watcher.register("watcher")
    watcher.join("#general")
    flooder = connect(None, target=server)
    flooder.register("flooder")
    flooder.join("#general")
    assert watcher.drain() == [":flooder!~flooder@127.0.0.1 JOIN #general"]
    flooder.send_raw(b"".join(b"PRIVMSG #general :%s\r\n" % (b"x" * 100) for _ in range(40)))
    flooder.expect(r"^ERROR :Closing Link: 127\.0\.0\.1 \(Excess Flood\)$", wait=5)
    flooder.assert_closed()
    *relayed, quit_line = watcher.collect(" QUIT ")
    assert quit_line == ":flooder!~flooder@127.0.0.1 QUIT :Excess Flood"
    # the few lines handled before the cut (if any) went through whole; nothing else did
    assert len(relayed) < 40
    assert set(relayed) <= {f":flooder!~flooder@127.0.0.1 PRIVMSG #general :{'x' * 100}"}
    wait_until(lambda: server.nicks.get("flooder") is None)


def test_connections_per_address_are_capped(start_server) -> None:
    server = start_server(max_clients_per_ip=2)
    first, second = Client(server.address, "one"), Client(server.address, "two")
    first.register("one")
    second.register("two")
    third = Client(server.address, "three")
    third.expect_exact("ERROR :Closing Link: 127.0.0.1 (Too many connections from your address)")
    third.assert_closed()
    first.send("QUIT")
    first.assert_closed()
    wait_until(lambda: server.per_address.get("127.0.0.1") == 1)
    fourth = Client(server.address, "four")
    fourth.register("four")
    for client in (first, second, third, fourth):
        client.close()


def test_the_server_refuses_past_its_maximum(start_server) -> None:
    server = start_server(max_clients=2, max_clients_per_ip=0)
    clients = [Client(server.address, f"c{i}") for i in range(2)]
    for i, client in enumerate(clients):
        client.register(f"c{i}")
    extra = Client(server.address, "extra")
    extra.expect_exact("ERROR :Closing Link: 127.0.0.1 (Server is full)")
    extra.assert_closed()
    for client in (*clients, extra):
        client.close()



def _pongs_within(client: Client, count: int, seconds: float) -> list[str]:
    """Send `count` PINGs at once; the PONGs, each of which must come within `seconds`."""
    client.send_raw(b"".join(b"PING :q%d\r\n" % i for i in range(count)))
    return [client.next_line(wait=seconds) for _ in range(count)]


def test_registering_costs_no_flood_tokens(start_server, connect) -> None:
    """CAP, NICK, USER, a few PINGs and CAP END before the welcome: the whole burst is
    still there afterwards (a token comes back only every 2 s here)."""
    server = start_server(flood_burst=3, flood_rate=0.5)
    client = connect(None, target=server)
    client.send_raw(b"CAP LS 302\r\nNICK newbie\r\nUSER newbie 0 * :N\r\n"
                    b"CAP REQ :message-tags\r\nPING :a\r\nPING :b\r\nPING :c\r\nCAP END\r\n")
    client.expect(r" 001 newbie ", wait=1.5)
    client.expect(r" (376|422) ", wait=1.5)
    assert _pongs_within(client, 3, 1.5) == [f":{S} PONG {S} :q{i}" for i in range(3)]


def test_a_flood_before_the_welcome_is_charged_past_the_allowance(start_server,
                                                                  connect) -> None:
    server = start_server(flood_burst=3, flood_rate=5.0)
    client = connect(None, target=server)
    started = time.monotonic()
    client.send_raw(b"".join(b"PING :p%d\r\n" % i for i in range(32)))
    pongs = [client.next_line(wait=5) for _ in range(32)]
    # 24 free, 3 from the burst, 5 at 5 a second
    assert pongs == [f":{S} PONG {S} :p{i}" for i in range(32)]
    assert time.monotonic() - started > 0.8


def test_catching_up_after_connecting_is_free_up_to_the_budget(start_server,
                                                               connect) -> None:
    """WHO is free 4 times per connection (ergo's command budgets): 4 WHOs and then the
    whole burst of PINGs answer at once; the next WHO costs its 2 tokens and its answer
    waits for them."""
    server = start_server(flood_burst=3, flood_rate=0.5)
    client = connect("catcher", target=server)
    client.send_raw(b"WHO nobody\r\n" * 4)
    for _ in range(4):
        client.expect_exact(f":{S} 315 catcher nobody :End of /WHO list.", wait=1.5)
    assert _pongs_within(client, 2, 1.5) == [f":{S} PONG {S} :q{i}" for i in range(2)]
    started = time.monotonic()
    client.send_raw(b"WHO nobody\r\nPING :after\r\n")   # one token left, WHO costs 2
    client.expect_exact(f":{S} 315 catcher nobody :End of /WHO list.", wait=1.5)
    client.expect_exact(f":{S} PONG {S} :after", wait=5)
    assert time.monotonic() - started > 1.5
