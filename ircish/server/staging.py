"""Each thread's delivery state (`outbox.delivery_batch`): a module of its own so that
it stays a plain `threading.local` subclass, never compiled (build_native.py): its
per-thread attributes are what the compiled outbox reads on every line."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .labeled import labeled_response
    from .outbox import Sink


class _Staging(threading.local):
    """This thread's delivery state. The class attributes are what every thread starts
    with (reading one is as cheap as reading a set one: the hot path reads `stage`)."""

    stage: dict[Sink, list[bytes]] | None = None  # staged lines, while a batch is open
    owed: set[Sink] | None = None  # committed early (put_now): the batch's end flushes them
    label: labeled_response | None = None  # the labeled command being gathered, if any


staging = _Staging()
