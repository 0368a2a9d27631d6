"""Registration, capability negotiation, keep-alive and timeouts, as transcripts."""
from __future__ import annotations

import re
import time

from .conftest import SERVER_NAME as S
from .ircclient import wait_until

# Every capability the server offers, as CAP LS (without 302) lists them.
LS_LINE = (f":{S} CAP * LS :account-notify account-tag away-notify batch cap-notify chghost "
           "draft/account-registration draft/chathistory draft/event-playback "
           "draft/message-redaction echo-message extended-join invite-notify "
           "labeled-response message-tags multi-prefix sasl server-time setname "
           "soju.im/search userhost-in-names")
# ... and as CAP LS 302 does: with values (the SASL mechanisms of a plain connection).
LS_302_LINE = LS_LINE.replace(" sasl ", " sasl=PLAIN,SCRAM-SHA-256 ").replace(
    " draft/account-registration ", " draft/account-registration=before-connect,"
    "custom-account-name ")


def test_registration_burst_without_cap(connect) -> None:
    c = connect()
    c.send("NICK alice")
    c.send("USER al 0 * :Alice Liddell")
    c.expect_exact(f":{S} 001 alice :Welcome to the ircish IRC network alice!~al@127.0.0.1")
    assert c.next_line().startswith(f":{S} 002 alice :Your host is {S}, running version ircish-")
    assert c.next_line().startswith(f":{S} 003 alice :This server was created ")
    assert c.next_line().startswith(f":{S} 004 alice {S} ircish-")
    isupport = [c.next_line(), c.next_line()]  # 13 tokens at most a line
    for line in isupport:
        assert line.startswith(f":{S} 005 alice ")
        assert line.endswith(" :are supported by this server")
    for token in ("NETWORK=ircish", "CASEMAPPING=ascii", "CHANTYPES=#", "CHANNELLEN=50",
                  "NICKLEN=30", "PREFIX=(ov)@+", "TOPICLEN=390", "CHANLIMIT=#:50", "TARGMAX=",
                  "CHANMODES=b,k,l,imnst", "WHOWAS=1000"):
        assert f" {token}" in " ".join(isupport), token
    c.expect_exact(f":{S} 251 alice :There are 1 users and 0 invisible on 1 servers",
                   f":{S} 254 alice 2 :channels formed",
                   f":{S} 255 alice :I have 1 clients and 0 servers")
    c.expect(f"^:{S} 375 alice :- {S} Message of the day - $")
    c.expect(f"^:{S} 376 alice :End of /MOTD command.$")


def test_cap_negotiation_holds_the_welcome_until_cap_end(connect) -> None:
    c = connect()
    c.send("CAP LS 302")
    c.send("NICK bob")
    c.send("USER bob 0 * :Bob")
    c.expect_exact(LS_302_LINE)
    c.send("CAP REQ :multi-prefix no-such-cap")
    c.expect_exact(f":{S} CAP bob NAK :multi-prefix no-such-cap")  # all or nothing
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP bob LIST :cap-notify")  # implied by 302
    c.send("CAP REQ :multi-prefix")
    c.expect_exact(f":{S} CAP bob ACK :multi-prefix")
    c.send("CAP LIST")
    c.expect_exact(f":{S} CAP bob LIST :cap-notify multi-prefix")
    c.assert_silent()
    c.send("CAP END")
    c.expect(f"^:{S} 001 bob ")


def test_irssi_style_probe_gets_451_then_registers(connect) -> None:
    c = connect()
    c.send("CAP LS 302")
    c.send("JOIN :")
    c.expect_exact(LS_302_LINE, f":{S} 451 * :You have not registered")
    c.send("CAP END")
    c.register("irssiuser")
    c.send("MODE irssiuser +i")
    c.expect_exact(":irssiuser!~irssiuser@127.0.0.1 MODE irssiuser :+i")
    c.send("MODE irssiuser")
    c.expect_exact(f":{S} 221 irssiuser +i")


def test_unknown_cap_subcommand_is_410(connect) -> None:
    c = connect()
    c.send("CAP FROB")
    c.expect_exact(f":{S} 410 * FROB :Invalid CAP command")


def test_nick_errors(connect) -> None:
    connect("alice")
    c = connect()
    c.send("NICK")
    c.expect_exact(f":{S} 431 * :No nickname given")
    c.send("NICK 9lives")
    c.expect_exact(f":{S} 432 * 9lives :Erroneous nickname")
    c.send("NICK " + "n" * 31)
    c.expect_exact(f":{S} 432 * {'n' * 31} :Erroneous nickname")
    c.send("NICK ALICE")
    c.expect_exact(f":{S} 433 * ALICE :Nickname is already in use")
    c.register("bob")
    c.send("USER again 0 * :x")
    c.expect_exact(f":{S} 462 bob :You may not reregister")
    c.send("PASS secret")
    c.expect_exact(f":{S} 462 bob :You may not reregister")


def test_nick_is_reserved_before_registration_completes(connect, server) -> None:
    first = connect()
    first.send("NICK carol")
    assert first.drain() == []  # the server has handled it (and said nothing)
    second = connect()
    second.send("NICK Carol")
    second.expect_exact(f":{S} 433 * Carol :Nickname is already in use")
    first.close()
    wait_until(lambda: server.nicks.get("carol") is None)
    second.register("carol")


def test_ping_pong(connect) -> None:
    c = connect()
    c.send("PING before-registration")
    c.expect_exact(f":{S} PONG {S} :before-registration")
    c.register("alice")
    c.send("PING :lag 123")
    c.expect_exact(f":{S} PONG {S} :lag 123")
    c.send("PING")
    c.expect_exact(f":{S} 409 alice :No origin specified")


def test_quiet_client_is_pinged_then_dropped(start_server, connect) -> None:
    server = start_server(ping_interval=0.5, ping_timeout=0.5)
    watcher = connect(None, target=server)
    watcher.register("watcher")
    watcher.join("#general")
    quiet = connect(None, target=server)
    quiet.register("quiet")
    quiet.join("#general")
    watcher.expect(r"^:quiet!\S+ JOIN #general$")
    received: list[str] = []
    deadline = time.monotonic() + 5
    while not any(line.startswith("ERROR") for line in received):
        assert time.monotonic() < deadline, received
        watcher.send("PING :keepalive")  # the watcher talks, so it is never idle
        try:
            received.append(quiet.next_line(wait=0.2))
        except AssertionError:
            pass
    assert received[0] == f"PING :{S}"
    assert re.fullmatch(r"ERROR :Closing Link: 127\.0\.0\.1 \(Ping timeout: \d+ seconds\)",
                        received[-1])
    quiet.assert_closed()
    watcher.expect(r"^:quiet!~quiet@127\.0\.0\.1 QUIT :Ping timeout: \d+ seconds$")


def test_answering_pings_keeps_a_client(start_server, connect) -> None:
    server = start_server(ping_interval=0.3, ping_timeout=0.6)
    c = connect(None, target=server)
    c.register("alice")
    for _ in range(3):
        c.expect_exact(f"PING :{S}", wait=3)
        c.send(f"PONG :{S}")
    c.send("PING still-here")
    c.expect(f":{S} PONG {S} :still-here")


def test_never_registering_client_is_closed(start_server, connect) -> None:
    server = start_server(registration_timeout=0.5)
    c = connect(None, target=server)
    c.send("NICK lazy")
    c.expect_exact("ERROR :Closing Link: 127.0.0.1 (Registration timed out)", wait=4)
    c.assert_closed()
    wait_until(lambda: server.nicks.get("lazy") is None and not server.connections)


def test_quit_before_registration(connect, server) -> None:
    c = connect()
    c.send("NICK early")
    c.send("QUIT")
    c.expect_exact("ERROR :Closing Link: 127.0.0.1 (Client Quit)")
    c.assert_closed()
    wait_until(lambda: server.nicks.get("early") is None)


def test_cap_ls_with_a_strange_version_is_still_answered(connect) -> None:
    c = connect()
    c.send("CAP LS 3³2")  # str.isdigit() says yes, int() says no: found by the soak
    c.expect_exact(LS_LINE)
