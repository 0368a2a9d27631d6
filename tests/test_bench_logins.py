"""The benchmark's login parts against the real server: the SASL dialogues it times
complete (PLAIN and SCRAM-SHA-256), and the storm's wrong passwords are answered and
counted. (The figures themselves are `make bench`'s business.)"""
from __future__ import annotations

import os
import time

import pytest

from bench import logins
from bench.logins import LoginStorm


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_logins_complete(start_server, mechanism):
    server = start_server(flood_control=False)
    figures = logins.logins("127.0.0.1", server.address[1], os.getpid(), mechanism,
                            workers=2, seconds=0.5)
    assert figures["failed"] == 0
    assert float(figures["logins/s"]) > 0
    assert server.accounts.get("acct0") is not None


def test_a_mechanism_the_server_lacks_is_said(start_server):
    server = start_server(flood_control=False, plain_requires_tls=True)
    figures = logins.logins("127.0.0.1", server.address[1], os.getpid(), "PLAIN",
                            seconds=0.5)
    assert figures == {"logins/s": "no PLAIN"}


def test_the_storm_is_refused_and_counted(start_server):
    server = start_server(flood_control=False)
    with LoginStorm("127.0.0.1", server.address[1], 2) as storm:
        time.sleep(1.0)
    assert storm.figures["storm logins failed"] > server.settings.login_failures
    # the storm's address is throttled; the chatters' is not
    assert logins.login_once("127.0.0.1", server.address[1], "PLAIN", "acct0", "calm")
