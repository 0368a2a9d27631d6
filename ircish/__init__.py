"""ircish: a multi-room IRC server (one thread per client) and a terminal client."""

__version__ = "0.1.0"
