"""--cpu-affinity: a server process places every chat thread (readers included) on one
CPU, password hashing on the others; `all` leaves them where the system puts them; a
CPU the process may not use stops start-up. Read from /proc, as the kernel sees it."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ircish.server import affinity

from .ircclient import Client
from .serverprocess import ServerProcess

ALLOWED = os.sched_getaffinity(0)


def placement(pid: int) -> dict[str, str]:
    """Each thread's id and the CPUs it may run on (`Cpus_allowed_list`)."""
    out: dict[str, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = dict(line.split(":\t", 1) for line in
                      (task / "status").read_text().splitlines() if ":\t" in line)
        out[task.name] = status["Cpus_allowed_list"].strip()
    return out


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path, tmp_path / "data", *request.param)
    yield process
    process.kill()


@pytest.mark.skipif(len(ALLOWED) < 2, reason="one CPU: nothing to place")
@pytest.mark.parametrize("server", [("--cpu-affinity", "auto")], indirect=True)
def test_auto_puts_the_chat_on_one_cpu_and_hashing_on_the_others(
        server: ServerProcess) -> None:
    alice = Client(server.address(), "alice")
    try:
        alice.register("alice")
        alice.send("REGISTER * * correct-horse-battery")   # starts the hashing thread
        alice.expect(r" REGISTER SUCCESS alice ")
        chat = str(max(ALLOWED))
        others = affinity.describe(ALLOWED - {max(ALLOWED)})
        placed = sorted(placement(server.proc.pid).values())
        # CPython 3.11 does not name its threads for the kernel: the hashing thread is
        # the one thread placed elsewhere; main, accept, housekeeping, writer,
        # store-writer and alice's reader are on the chat's CPU
        assert placed.count(others) == 1, placed
        assert placed.count(chat) >= 6 and len(placed) == placed.count(chat) + 1, placed
    finally:
        alice.close()


@pytest.mark.parametrize("server", [("--cpu-affinity", "all")], indirect=True)
def test_all_leaves_the_threads_where_the_system_puts_them(server: ServerProcess) -> None:
    alice = Client(server.address(), "alice")
    try:
        alice.register("alice")
        placed = placement(server.proc.pid)
        assert set(placed.values()) == {affinity.describe(ALLOWED)}, placed
    finally:
        alice.close()


def test_a_cpu_the_process_may_not_use_stops_start_up(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ircish.server", "--port", "0",
                           "--no-history", "--cpu-affinity", "4096"],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert done.returncode == 2
    assert (f"--cpu-affinity: CPU 4096 is not one this process may use "
            f"({affinity.describe(ALLOWED)})") in done.stderr


def test_cpu_lists_are_written_as_ranges() -> None:
    assert affinity.describe({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"
    assert affinity.describe({3}) == "3"
