"""`make native`: the modules every message passes through, compiled with mypyc.

A message costs about 30 µs of Python on its way through the server (framing,
parsing, relaying, rendering, staging, flushing); compiled, those modules take half
that (bench/ and the closing note of issue 14 have the figures). The compiled
extension modules are built in place, next to their sources (git-ignores them), each
in its own library (`separate`: nothing at the top level of the tree that only the
repository's root on sys.path would find). `ircish/_native.py` refuses a compiled
module older than its source, so an edit is never silently shadowed; `make` rebuilds
them when a source changes, and `make pure` removes them.
"""
from __future__ import annotations

from mypyc.build import mypycify
from setuptools import setup

MODULES = [
    "ircish/protocol.py",
    "ircish/server/flood.py",
    "ircish/server/events.py",
    "ircish/server/outbox.py",
    "ircish/server/messaging.py",
    "ircish/server/connection.py",
    "ircish/server/registry.py",
    "ircish/server/context.py",
    "ircish/server/archive.py",
    "ircish/server/replies.py",
    "ircish/server/labeled.py",
]

if __name__ == "__main__":
    setup(name="ircish-native", packages=[], py_modules=[],
          ext_modules=mypycify(MODULES, opt_level="3", separate=True),
          script_args=["--quiet", "build_ext", "--inplace", "--build-temp", "build/native"])
