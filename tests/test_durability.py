"""A real server process and its data directory: a clean stop (SIGTERM) loses nothing,
`kill -9` loses at most the last flush window, and a data directory that cannot be
used stops start-up with one line naming the file."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircish.server.store.sqlite import SqliteStore

from .ircclient import Client
from .serverprocess import FLUSH_MS, ServerProcess


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for process in started:  # only the processes this test started
        process.kill()


def run(processes: list[ServerProcess], tmp_path: Path, *args: str) -> ServerProcess:
    process = ServerProcess(tmp_path, tmp_path / "data", *args)
    processes.append(process)
    return process


def chat(address: tuple[str, int], count: int, tag: str) -> Client:
    alice = Client(address, "alice")
    alice.register("alice")
    alice.join("#kept")
    alice.drain()
    for i in range(count):
        alice.send(f"PRIVMSG #kept :{tag} {i}")
    alice.send("PING :sent")  # the server has read (and relayed) every line before it
    alice.expect(r"PONG \S+ :sent")
    return alice


def kept_texts(data_dir: Path) -> list[str]:
    store = SqliteStore.open(data_dir)
    try:
        return [r.text or "" for r in store.latest("#kept", None, 1000, events=False)]
    finally:
        store.close()


def test_a_clean_stop_loses_nothing(processes: list[ServerProcess], tmp_path: Path) -> None:
    server = run(processes, tmp_path)
    alice = chat(server.address(), 300, "said")
    server.proc.send_signal(signal.SIGTERM)  # at once: most of it is not committed yet
    assert server.finish() == 0
    alice.close()
    assert kept_texts(tmp_path / "data") == [f"said {i}" for i in range(300)]

    again = run(processes, tmp_path)  # and the room is back
    bob = Client(again.address(), "bob")
    bob.register("bob")
    bob.send("LIST #kept")
    bob.expect(r" 322 bob #kept 0 :")
    bob.close()
    again.proc.send_signal(signal.SIGINT)
    assert again.finish() == 0


def test_kill_9_loses_at_most_the_last_flush_window(processes: list[ServerProcess],
                                                     tmp_path: Path) -> None:
    server = run(processes, tmp_path)
    alice = chat(server.address(), 200, "early")
    time.sleep(5 * FLUSH_MS / 1000)  # well past a flush window: all of it is committed
    for i in range(50):
        alice.send(f"PRIVMSG #kept :late {i}")
    os.kill(server.proc.pid, signal.SIGKILL)
    server.finish()
    alice.close()
    texts = kept_texts(tmp_path / "data")
    assert texts[:200] == [f"early {i}" for i in range(200)]
    assert texts[200:] == [f"late {i}" for i in range(len(texts) - 200)]  # a prefix, in order


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_data_dir_stops_start_up(processes: list[ServerProcess],
                                               tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data").chmod(0o500)
    try:
        server = run(processes, tmp_path)
        assert server.finish() == 2
    finally:
        (tmp_path / "data").chmod(0o700)
    lines = server.log.read_text().splitlines()
    assert len(lines) == 1 and str(tmp_path / "data") in lines[0], lines


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 200,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_file_that_is_no_ircish_database_stops_start_up(
        processes: list[ServerProcess], tmp_path: Path, content: bytes) -> None:
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "ircish.db"
    database.write_bytes(content)
    server = run(processes, tmp_path)
    assert server.finish() == 2
    lines = server.log.read_text().splitlines()
    assert len(lines) == 1 and str(database) in lines[0], lines
    assert database.read_bytes() == content  # and left as it was


@pytest.mark.parametrize("where", ["data", "data/inside"])
def test_a_data_dir_that_cannot_be_a_directory_stops_start_up(
        processes: list[ServerProcess], tmp_path: Path, where: str) -> None:
    (tmp_path / "data").write_text("a file where the data directory should be\n")
    server = ServerProcess(tmp_path, tmp_path / where)
    processes.append(server)
    assert server.finish() == 2
    lines = server.log.read_text().splitlines()
    assert len(lines) == 1 and str(tmp_path / "data") in lines[0], lines
