"""The history writer's log line: the figures operators and `make bench` read."""
from __future__ import annotations

import logging

import pytest

from ircish.server.archive import Archive
from ircish.server.store import NullStore, WriterStats


class CountingStore(NullStore):
    """A store with history on whose writer reports fixed figures."""

    enabled = True

    def stats(self) -> WriterStats:
        return WriterStats(queued=10, committed=9, dropped=1, batches=3, largest_batch=6,
                           deepest_queue=7, batch_sizes=[1, 6, 2])


def test_report_logs_one_line_of_writer_figures(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ircish.server.archive"):
        Archive(CountingStore()).report()
    assert [r.getMessage() for r in caplog.records] == [
        "history writer: 10 queued, 9 committed, 1 dropped, 3 batches, largest 6, "
        "deepest queue 7, median of the last 3 batches 2"]


def test_no_history_reports_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ircish.server.archive"):
        Archive(NullStore()).report()
    assert caplog.records == []
