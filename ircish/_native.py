"""Refuse a compiled module that is older than its source (see build_native.py).

Python imports an extension module (`outbox.cpython-311-x86_64-linux-gnu.so`) in
preference to the `.py` beside it, so after an edit the old compiled code would run,
silently. Before any of them is imported, each source that has a compiled module
beside it is compared with it: a newer source stops the import with what to run.
"""
from __future__ import annotations

import importlib.machinery
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


class StaleNativeModule(ImportError):
    pass


def check(package: Path = PACKAGE) -> None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for native in package.rglob(f"*{suffix}"):
            stem = native.name[: -len(suffix)]
            source = native.with_name(stem + ".py")
            if not source.exists():
                continue  # the library a compiled module loads (`stem__mypyc`)
            # the module is a small stub that loads its code from `stem__mypyc`, and a
            # build leaves an unchanged stub alone: the newer of the two is the build
            library = native.with_name(f"{stem}__mypyc{suffix}")
            built = max(native.stat().st_mtime,
                        library.stat().st_mtime if library.exists() else 0.0)
            if source.stat().st_mtime > built:
                raise StaleNativeModule(
                    f"{source} changed after it was compiled ({native.name}): run `make` "
                    "to compile it again, or `make pure` to run without compiled modules")
