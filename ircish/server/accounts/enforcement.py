"""Nicks that belong to someone (`--nick-enforcement strict|timeout|none`).

PLACEHOLDER: the nick-enforcement work fills this in (refusing a registered nick under
strict, the Guest rename under timeout, reclaiming a nick on login)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..context import Context


def logged_in(ctx: Context) -> None:
    """`ctx.user` just logged in (a nick it holds may now be its own; it may reclaim it)."""


def logged_out(ctx: Context) -> None:
    """`ctx.user` just logged out (a registered nick it holds is no longer its own)."""
