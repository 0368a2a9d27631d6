"""MONITOR: who watches which nick, so watchers hear when it comes and goes.

(Skeleton: the server calls these hooks; the MONITOR command fills the table.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import User


class Monitors:
    def signed_on(self, user: User) -> None:
        """`user` finished registering under `user.nick`."""

    def nick_changed(self, user: User, old_nick: str) -> None:
        """`user` went from `old_nick` to `user.nick`."""

    def signed_off(self, user: User) -> None:
        """`user` left; `user.nick` is the nick it had."""
