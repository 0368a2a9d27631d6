"""Load that runs beside a scenario, from its own process, so the scenario's load
generator is not disturbed: the abuse attackers, the login storm. Each job is a
function run in a thread of that process as `job(stop, results)`: it works until
`stop` is set and appends what it counted to `results`, which come back to the bench."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection as Pipe
from multiprocessing.synchronize import Event as StopEvent
from typing import Any

Job = Callable[[StopEvent, list[Any]], None]


def _run(jobs: list[Job], stop: StopEvent, pipe: Pipe) -> None:
    results: list[Any] = []
    threads = [threading.Thread(target=job, args=(stop, results)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipe.send(results)


class Background:
    """`start()` the jobs in a child process; `stop()` returns their results (all of
    them, or none if the process did not answer within `wait`) and the seconds run."""

    def __init__(self, jobs: list[Job]) -> None:
        self._stop = multiprocessing.Event()
        self._pipe, child = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(target=_run, args=(jobs, self._stop, child),
                                                daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._process.start()
        self._started = time.monotonic()

    def stop(self, wait: float) -> tuple[list[Any], float]:
        self._stop.set()
        results: list[Any] = self._pipe.recv() if self._pipe.poll(wait) else []
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
        return results, time.monotonic() - self._started


def job(function: Callable[..., None], *args: object) -> Job:
    """`function(*args, stop, results)` as a job."""
    return partial(function, *args)
