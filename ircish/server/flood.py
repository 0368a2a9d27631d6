"""Input flood control: a token bucket per client ("fakelag", as ergo calls it).

A client may send `burst` lines at once, then `rate` lines a second. Lines beyond
that are not dropped: the connection's reader simply waits before handling them, so
a fast typist or a paste slows down while everyone else goes on undisturbed. A line
that costs more (a command with much output, a run of empty lines) is let through
with one token and then `charge`s the rest: the bucket goes into debt, and the next
line waits until it is paid back. Pure
arithmetic on times the caller passes in, so it is tested without clocks or sockets.
"""
from __future__ import annotations


class TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def charge(self, cost: float) -> None:
        """Spend `cost` more tokens after the fact, into debt if need be (a negative
        cost gives back tokens `take` spent on a line that turned out to be free)."""
        self.tokens -= cost

    def wait(self, now: float) -> float:
        """Seconds until the next token."""
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.rate)
