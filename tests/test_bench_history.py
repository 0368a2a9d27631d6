"""The benchmark's history parts against the real server: the client it measures with
gets full replies, the fill is what the store keeps, and the writer's log line is what
the benchmark parses. (The figures themselves are `make bench`'s business.)"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.__main__ import choose, plan, rows_label
from bench.history import Member, queries
from bench.history_fill import ROOM, fill, search_words, vocabulary
from bench.servers import WRITER_LINE, Ircish
from ircish.server.archive import Archive
from ircish.server.server import Server

from .test_history_report import CountingStore


def test_the_writer_line_is_what_the_bench_parses(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ircish.server.archive"):
        Archive(CountingStore()).report()
    found = WRITER_LINE.search(caplog.records[0].getMessage())
    assert found is not None
    assert found["dropped"] == "1" and found["deepest"] == "7" and found["median"] == "2"


def test_the_bench_reads_the_writer_figures_from_the_log(tmp_path: Path) -> None:
    peer = Ircish("ircish", tmp=tmp_path)
    peer.log_path.write_text("x INFO ircish.server.archive: history writer: 10 queued, "
                             "9 committed, 1 dropped, 3 batches, largest 6, deepest queue 7, "
                             "median of the last 3 batches 2\n")
    assert peer.figures_after_stop() == {
        "writer queued": 10, "writer dropped": 1, "writer deepest queue": 7,
        "writer batch median": 2, "writer batch max": 6}


def test_searched_words_are_no_prefix_of_another() -> None:
    words = vocabulary()
    assert len(set(words)) == len(words)
    for word in search_words():
        assert [w for w in words if w.startswith(word)] == [word]


def test_history_scenarios_come_with_what_they_are_compared_with() -> None:
    every = plan(False, history_rows=1_000_000)
    titles = [s.title for s in choose(every, "1M: search")]
    assert titles == ["history empty", "history 1M: chathistory", "history 1M: search"]
    assert rows_label(20_000) == "20k" and rows_label(1_500_000) == "1.5M"


def test_the_member_gets_full_replies_from_a_filled_store(
        start_server: Callable[..., Server], tmp_path: Path) -> None:
    filled = fill(600, parent=tmp_path)
    assert filled.msgids and filled.rows == 600
    server = start_server(data_dir=filled.path, flood_control=False)
    host, port = server.address
    figures = queries(host, port, os.getpid(), data=filled, count=3)  # its RSS is ours
    assert figures["failed"] == 0
    assert figures["latest msgs/reply"] == 100
    assert 0 < float(figures["before msgs/reply"]) <= 100
    assert float(figures["search msgs/reply"]) > 0   # the commonest word is in the room
    member = Member(host, port, "second")
    try:
        assert member.register(ROOM)
        ms, messages = member.ask(f"CHATHISTORY LATEST {ROOM} * 5")
        assert messages == 5 and ms > 0
    finally:
        member.close()


def test_a_server_without_history_is_only_connected_to(
        start_server: Callable[..., Server]) -> None:
    server = start_server(no_history=True)
    figures = queries(*server.address, os.getpid(), count=3)
    assert list(figures) == ["RSS MiB"]
