"""`ircish-server`: the command line, signals, and a clean stop."""
from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from types import FrameType

from . import affinity
from .accounts import AccountBook, AccountError
from .accounts.manage import create_offline
from .archive import open_store
from .config import Settings, add_arguments, example_config, settings_from_args
from .opers import read_password
from .registry import PluginError
from .server import Server
from .store import StoreError
from .yamlfile import ConfigError

log = logging.getLogger("ircish.server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ircish-server",
        description="A multi-room IRC server: one thread per client, rooms from a YAML "
                    "file, commands from plugin folders. Every option can also be set in "
                    "the --config file, under the option's name (e.g. 'ping-interval: 30').")
    parser.add_argument("--print-config", action="store_true",
                        help="print every setting with its default, as a config file, and exit")
    parser.add_argument("--create-account", metavar="NAME",
                        help="register the account NAME in --data-dir's database (the "
                             "password is read from the terminal, or a line of stdin) and "
                             "exit; for --registration nobody. Refused while a server "
                             "uses that data directory")
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.print_config:
        sys.stdout.write(example_config())
        return 0
    logging.basicConfig(level=(args.log_level or "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from_args(args)
        logging.getLogger().setLevel(settings.log_level.upper())
        if args.create_account is not None:
            return create_account(settings, args.create_account)
        placed = affinity.place(settings.cpu_affinity)  # before any thread: all inherit it
        server = Server(settings)
    except (ConfigError, PluginError, StoreError) as exc:
        log.error("%s", exc)
        return 2
    try:
        server.start()
    except OSError as exc:
        server.archive.store.close()
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc.strerror or exc)
        return 2
    if placed:
        log.info("%s", placed)
    # What exists now (modules, the command table, settings, rooms) lives as long as the
    # server: out of the collector's way, so its full collections scan only what clients
    # make (the interpreter lock is held for the whole of a collection).
    gc.freeze()

    stop_requested = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("%s: shutting down", signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log.info("%d rooms, %d commands; Ctrl-C stops", len(server.rooms),
             len(server.registry.commands()))
    while not stop_requested.wait(0.5):
        pass
    server.stop()
    return 0



def create_account(settings: Settings, name: str) -> int:
    """`--create-account NAME`: the account goes into the data directory's database
    through the store (its lock file keeps a running server's directory out of reach,
    and opening it runs its migrations), under REGISTER's rules."""
    if settings.no_history:
        log.error("--create-account needs the database: not with --no-history")
        return 2
    password = read_password()
    store = open_store(settings)  # StoreError (locked, damaged, ...) is main's to report
    try:
        book = AccountBook(store, settings.nick_length, settings.min_password_length,
                           settings.nick_reserve_days)
        created = create_offline(book, name, password)
    except AccountError as exc:
        log.error("%s: %s", exc.code, exc.text)
        return 1
    finally:
        store.close()
    log.info("account %s created in %s", created, settings.data_dir)
    return 0
