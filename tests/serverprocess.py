"""A real server process (`python -m ircish.server`), for what only a process shows:
signals, exit codes, its data directory across a kill, where its threads run."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from .ircclient import wait_until

FLUSH_MS = 100


class ServerProcess:
    """`python -m ircish.server` on a free 127.0.0.1 port; its log goes to a file."""

    def __init__(self, workdir: Path, data_dir: Path, *args: str) -> None:
        self.log = workdir / f"server-{time.monotonic_ns()}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ircish.server", "--host", "127.0.0.1", "--port", "0",
                 "--data-dir", str(data_dir), "--history-flush-ms", str(FLUSH_MS),
                 "--no-flood-control", *args],
                cwd=workdir, stdout=log, stderr=subprocess.STDOUT)

    def address(self) -> tuple[str, int]:
        found: list[re.Match[str]] = []

        def listening() -> bool:
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log.read_text())
            if match:
                found.append(match)
            return bool(match) or self.proc.poll() is not None

        wait_until(listening, wait=20)
        assert found, self.log.read_text()
        return "127.0.0.1", int(found[0].group(1))

    def finish(self, wait: float = 20) -> int:
        return self.proc.wait(wait)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
