"""ircish: a multi-room IRC server (one thread per client) and a terminal client."""

from . import _native

__version__ = "0.1.0"

_native.check()  # before any compiled module is imported (build_native.py)
