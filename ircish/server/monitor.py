"""MONITOR (IRCv3): who watches which nick, so watchers hear when it comes and goes.

``Monitors.lock`` guards both maps below (its rank among the server's locks is in
`state/__init__.py`: a leaf). Every operation collects what it needs under it (the watchers of
a nick, a watcher's list), releases it, and only then looks users up and sends.

Ordering against registration and quits: `add` puts a nick in the table *before* the
caller looks up whether it is online, and the server calls `signed_on` after the nick
is claimed and registered (`signed_off` after it is released). So a nick that comes
or goes around a `MONITOR +` is either seen by the lookup or announced by the hook,
never missed (at worst reported twice; the reply and the notification leave from
different threads, so in that narrow window they may arrive in either order).

Nicks are compared casefolded (the ascii casemapping of 005); a watcher's list keeps
the spelling it gave, which is what `MONITOR L` and 731 show back.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import numerics as N
from ..protocol import casefold
from .outbox import delivery_batch
from .replies import numeric_line

if TYPE_CHECKING:
    from .state import User


class Monitors:
    def __init__(self, server_name: str) -> None:
        self.server_name = server_name  # the source of the numerics it sends
        self.lock = threading.Lock()
        self._lists: dict[User, dict[str, str]] = {}   # watcher -> folded -> as given
        self._watchers: dict[str, set[User]] = {}      # folded nick -> its watchers

    # --- a watcher's own list -----------------------------------------------------

    def add(self, watcher: User, nicks: Iterable[str], limit: int) -> tuple[list[str], list[str]]:
        """Add nicks to `watcher`'s list, at most `limit` in all. Returns (the given
        nicks now on the list, already there or added; those that did not fit)."""
        listed: list[str] = []
        refused: list[str] = []
        seen: set[str] = set()
        with self.lock:
            mine = self._lists.setdefault(watcher, {})
            for nick in nicks:
                key = casefold(nick)
                if key in seen:
                    continue
                seen.add(key)
                if key not in mine:
                    if len(mine) >= limit:
                        refused.append(nick)
                        continue
                    mine[key] = nick
                    self._watchers.setdefault(key, set()).add(watcher)
                listed.append(nick)
            if not mine:
                del self._lists[watcher]
        return listed, refused

    def remove(self, watcher: User, nicks: Iterable[str]) -> None:
        with self.lock:
            mine = self._lists.get(watcher)
            if mine is None:
                return
            for nick in nicks:
                key = casefold(nick)
                if mine.pop(key, None) is not None:
                    self._unwatch(watcher, key)
            if not mine:
                del self._lists[watcher]

    def clear(self, watcher: User) -> None:
        with self.lock:
            self._drop_list(watcher)

    def targets(self, watcher: User) -> list[str]:
        """The watcher's list, as it spelled the nicks, in the order added."""
        with self.lock:
            return list(self._lists.get(watcher, {}).values())

    def __len__(self) -> int:
        """How many watchers have a list (for tests and statistics)."""
        return len(self._lists)

    def _drop_list(self, watcher: User) -> None:
        """Caller holds the lock."""
        for key in self._lists.pop(watcher, {}):
            self._unwatch(watcher, key)

    def _unwatch(self, watcher: User, key: str) -> None:
        """Caller holds the lock."""
        watchers = self._watchers.get(key)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[key]

    def watchers_of(self, nick: str, besides: User | None = None) -> list[User]:
        """Who watches `nick` (casefolded), `besides` left out."""
        if not self._watchers:  # one atomic read: nobody monitors anything
            return []
        with self.lock:
            found = list(self._watchers.get(casefold(nick), ()))
        return [w for w in found if w is not besides]

    # --- hooks the server calls ---------------------------------------------------

    def signed_on(self, user: User) -> None:
        """`user` finished registering under `user.nick`."""
        self._notify(self.watchers_of(user.nick), N.RPL_MONONLINE, user.prefix)

    def nick_changed(self, user: User, old_nick: str) -> None:
        """`user` went from `old_nick` to `user.nick` (a change of case only is no news)."""
        if casefold(old_nick) == casefold(user.nick):
            return
        self._notify(self.watchers_of(old_nick), N.RPL_MONOFFLINE, old_nick)
        self._notify(self.watchers_of(user.nick), N.RPL_MONONLINE, user.prefix)

    def signed_off(self, user: User) -> None:
        """`user` left; `user.nick` is the nick it had. Its watchers hear it, and its
        own list goes (nothing is kept for a departed watcher)."""
        if self._lists.get(user) is not None:
            with self.lock:
                self._drop_list(user)
        self._notify(self.watchers_of(user.nick, besides=user), N.RPL_MONOFFLINE, user.nick)

    def _notify(self, watchers: list[User], numeric: str, target: str) -> None:
        if not watchers:
            return
        with delivery_batch():  # one flush per watcher, whichever thread this is
            for watcher in watchers:
                watcher.send(numeric_line(self.server_name, watcher.nick, numeric, target))
