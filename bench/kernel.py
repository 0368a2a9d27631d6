"""What the kernel saw of a server over a measured window: its context switches (every
thread's, from /proc), its system calls and CPU migrations (`perf stat` on the
`raw_syscalls:sys_enter` tracepoint, where perf may count them), and the CPUs it may
run on. Divided by the messages delivered, they show at once when a change makes each
message cost more wake-ups or more calls into the kernel."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

EVENTS = ("raw_syscalls:sys_enter", "cpu-migrations")


def switches(pid: int) -> int:
    """Voluntary and involuntary context switches of all of a process's threads."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:
            continue  # a thread that ended meanwhile
    return total


def cpus(pid: int) -> str:
    """The CPUs the process may run on, as a list of ranges (`0-1`, `1`)."""
    try:
        allowed = sorted(os.sched_getaffinity(pid))
    except OSError:
        return "?"
    ranges: list[str] = []
    start = prev = allowed[0]
    for cpu in [*allowed[1:], None]:
        if cpu is not None and cpu == prev + 1:
            prev = cpu
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if cpu is not None:
            start = prev = cpu
    return ",".join(ranges)


class KernelCounts:
    """Counting from construction to `close()`; figures are NaN where perf is missing
    or may not attach."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.switches = switches(pid)
        self._perf: subprocess.Popen[str] | None = None
        perf = shutil.which("perf")
        if perf is not None:
            try:
                self._perf = subprocess.Popen(
                    [perf, "stat", "-x", ",", "-e", ",".join(EVENTS), "-p", str(pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            except OSError:
                self._perf = None

    def close(self) -> dict[str, float]:
        counts = {"context switches": float(switches(self.pid) - self.switches),
                  "syscalls": float("nan"), "cpu migrations": float("nan")}
        perf = self._perf
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            try:
                _, err = perf.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                perf.kill()
                err = ""
            for line in err.splitlines():
                fields = line.split(",")
                if len(fields) > 2 and fields[0].strip().isdigit():
                    if fields[2] == EVENTS[0]:
                        counts["syscalls"] = float(fields[0])
                    elif fields[2] == EVENTS[1]:
                        counts["cpu migrations"] = float(fields[0])
        return counts
