"""Where the server's threads run (`--cpu-affinity`).

Only one thread runs Python at a time (the GIL), and every message hands the GIL from
one thread to another: the reader that woke up for it, the one it woke. Between two
threads on one core that hand-over is a switch on that core; across cores it is a
wake-up of the other core, which on a virtual machine costs far more, and a thread
that lets go of the GIL for a system call comes back to find it taken from the other
core. Measured on this project's 2-core machine (`python -m bench --servers
ircish,ngircd --against <the commit before> --reps 3 --only privmsg,@2000,stall`,
2026-11-26): with every thread on one core a private message delivered cost 1.4 context
switches instead of 5.8 and 3.0 system calls instead of 12.2; private-message round
trips rose from 2,186 to 3,284 a second (p99 52 -> 34 ms), and the p99 of 2,000
messages a second into 200 members fell from 155 to 99 ms. So by default (`auto`), on
a machine with several CPUs, the whole server is placed on one of them (the last it may
use), except password hashing, whose scrypt runs outside the GIL and would only take
that CPU from the chat: it runs on the others. `all` leaves placement to the operating
system; a number picks the CPU.

The placement is the process's (`place`, called once by the command line before any
thread starts: every thread inherits it); a server started inside another program
(the tests) leaves that program's threads alone.
"""
from __future__ import annotations

import os

_others: set[int] = set()  # where password hashing runs, once placed


def allowed() -> set[int]:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()


def check(value: str) -> str | None:
    """What is wrong with a --cpu-affinity value, or None."""
    if value in ("auto", "all"):
        return None
    if not value.isdigit():
        return "auto, all, or a CPU number"
    cpus = allowed()
    if cpus and int(value) not in cpus:
        return f"CPU {value} is not one this process may use ({describe(cpus)})"
    return None


def place(value: str) -> str | None:
    """Put the calling thread (before it starts any other) where `value` says; returns
    what it did, for the log once the server is up (None: nothing)."""
    global _others
    cpus = allowed()
    if value == "all" or len(cpus) < 2:
        return None
    chat = max(cpus) if value == "auto" else int(value)
    os.sched_setaffinity(0, {chat})
    _others = cpus - {chat}
    return (f"threads run on CPU {chat} (of {describe(cpus)}); password hashing on "
            f"{describe(_others) or chat}")


def off_the_chat_cpu() -> None:
    """For the password-hashing thread: run on the CPUs the chat does not use."""
    if _others:
        os.sched_setaffinity(0, _others)


def describe(cpus: set[int]) -> str:
    """`{0, 1, 2, 5}` as `0-2,5`."""
    ranges: list[str] = []
    for cpu in sorted(cpus):
        if ranges and cpu == int(ranges[-1].rpartition("-")[2]) + 1:
            ranges[-1] = f"{ranges[-1].partition('-')[0]}-{cpu}"
        else:
            ranges.append(str(cpu))
    return ",".join(ranges)
