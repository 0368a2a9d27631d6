"""The pipelined scenario against the real server: every message it writes arrives,
and the figure is the server's CPU divided by them."""
from __future__ import annotations

import os

from bench import pipeline


def test_every_pipelined_message_arrives(start_server) -> None:
    server = start_server(flood_control=False)
    figures = pipeline.pipeline("127.0.0.1", server.address[1], os.getpid(), messages=3000)
    assert figures["lost"] == 0
    assert float(figures["messages/s"]) > 0
    assert float(figures["server µs/message"]) > 0


def test_a_server_that_keeps_them_back_is_counted_as_losing_them(start_server) -> None:
    # flood control on: a burst of 10, then 2 lines a second; the rest do not arrive
    # within the scenario's wait, and the figures say so rather than hang
    server = start_server()
    figures = pipeline.pipeline("127.0.0.1", server.address[1], os.getpid(), messages=100,
                                wait=1.0)
    assert 0 < int(figures["lost"]) < 100


def test_one_at_a_time_every_message_arrives(start_server) -> None:
    server = start_server(flood_control=False)
    figures = pipeline.one_at_a_time("127.0.0.1", server.address[1], os.getpid(),
                                     messages=300)
    assert figures["lost"] == 0
    assert float(figures["messages/s"]) > 0
    assert float(figures["server µs/message"]) > 0


def test_one_at_a_time_counts_what_does_not_arrive(start_server) -> None:
    # flood control on: a burst of 10 lines goes through, then one line in 0.5 s; with a
    # 0.2 s wait the scenario stops at the first held line and says how many were lost
    server = start_server()
    figures = pipeline.one_at_a_time("127.0.0.1", server.address[1], os.getpid(),
                                     messages=100, wait=0.2)
    assert 0 < int(figures["lost"]) < 100
