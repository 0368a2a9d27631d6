"""`ircish-server`: the command line, signals, and a clean stop."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from .config import add_arguments, example_config, settings_from_args
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

