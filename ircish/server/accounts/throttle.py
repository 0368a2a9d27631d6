"""Failed logins, counted per client address and per account name, so that guessing a
password costs time whoever guesses and from wherever (`--login-failures`).

A sliding window: `limit` failures within `WINDOW` seconds, from one address or against
one name, and the next attempt is refused until the oldest of them is a window old.
An attempt is counted *before* its password is checked and forgiven if it was right
(`attempt` / `forgive`), so a burst of simultaneous guesses cannot all slip past the
count while the hashing thread works, and a refused attempt never reaches that thread.

Names are counted whether or not such an account exists (a limit that only real
accounts reached would tell which exist). Memory is bounded: each table keeps at most
`max_keys` entries, and a storm of new addresses or names pushes out the entries that
failed longest ago; an entry holds at most `limit` times.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from ...protocol import casefold

WINDOW = 60.0       # seconds a failure counts
MAX_KEYS = 4096     # addresses, and names, remembered at once (each)


class LoginThrottle:
    def __init__(self, limit: int, window: float = WINDOW, max_keys: int = MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()  # both tables (a leaf: see state/__init__.py)
        self._addresses: OrderedDict[str, deque[float]] = OrderedDict()
        self._names: OrderedDict[str, deque[float]] = OrderedDict()

    def attempt(self, address: str, name: str) -> float:
        """0.0 if a login from `address` to `name` may be tried now (it is counted as
        a failure until `forgive`n); else the seconds to wait, and nothing is counted."""
        now = self._clock()
        key = casefold(name)
        with self._lock:
            wait = max(self._wait(self._addresses, address, now),
                       self._wait(self._names, key, now))
            if wait > 0:
                return wait
            self._count(self._addresses, address, now)
            self._count(self._names, key, now)
        return 0.0

    def refused(self, address: str) -> float:
        """The seconds `address` must wait before any login attempt (0.0: none)."""
        with self._lock:
            return self._wait(self._addresses, address, self._clock())

    def forgive(self, address: str, name: str) -> None:
        """The attempt counted by `attempt` succeeded: it was no failure."""
        with self._lock:
            for table, key in ((self._addresses, address), (self._names, casefold(name))):
                times = table.get(key)
                if times:
                    times.pop()
                    if not times:
                        del table[key]

    def failed(self, address: str, name: str) -> None:
        """Count a failure that no `attempt` counted (a refused SCRAM proof)."""
        now = self._clock()
        with self._lock:
            self._count(self._addresses, address, now)
            self._count(self._names, casefold(name), now)

    def __len__(self) -> int:
        """Entries held (addresses and names): what the memory bound bounds."""
        return len(self._addresses) + len(self._names)

    # --- under the lock -----------------------------------------------------------

    def _wait(self, table: OrderedDict[str, deque[float]], key: str, now: float) -> float:
        times = table.get(key)
        if times is None:
            return 0.0
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del table[key]
            return 0.0
        return self.window - (now - times[0]) if len(times) >= self.limit else 0.0

    def _count(self, table: OrderedDict[str, deque[float]], key: str, now: float) -> None:
        times = table.get(key)
        if times is None:
            if len(table) >= self.max_keys:
                table.popitem(last=False)  # the entry that failed longest ago
            times = table[key] = deque(maxlen=self.limit)
        else:
            table.move_to_end(key)
        times.append(now)


def wait_text(seconds: float) -> str:
    """What a refused login is told."""
    whole = max(1, math.ceil(seconds))
    return (f"Too many failed logins; try again in {whole} second"
            f"{'' if whole == 1 else 's'}")
