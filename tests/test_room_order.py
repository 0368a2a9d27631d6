"""A room's events reach every member in the order they changed the room: two
operators flipping the same member's voice at once, with a bystander replaying what
it was told, must see the changes alternate and end agreeing with the server."""
from __future__ import annotations

import itertools
import sys
import threading

from ircish.server.server import Server

from .ircclient import Client

ROUNDS = 600


def test_concurrent_mode_changes_arrive_in_the_order_they_were_applied(
        start_server) -> None:
    server: Server = start_server(flood_control=False)
    ops = [Client(server.address, f"op{i}") for i in range(2)]
    target = Client(server.address, "target")
    watcher = Client(server.address, "watcher")
    everyone = [*ops, target, watcher]
    interval = sys.getswitchinterval()
    try:
        for c in everyone:
            c.register(c.name)
        ops[0].join("#order")
        for c in everyone[1:]:
            c.join("#order")
        ops[0].send("MODE #order +o op1")
        for c in everyone:
            c.drain()
        start = threading.Barrier(len(ops))
        # The server runs in this process: switching threads often makes the race this
        # test is about (two changes applied in one order, announced in the other) likely.
        sys.setswitchinterval(1e-5)

        def flip(op: Client, first: str) -> None:
            start.wait()
            for i in range(ROUNDS):
                sign = first if i % 2 == 0 else ("-" if first == "+" else "+")
                op.send(f"MODE #order {sign}v target")

        threads = [threading.Thread(target=flip, args=(op, sign))
                   for op, sign in zip(ops, "+-", strict=False)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sys.setswitchinterval(interval)
        for op in ops:
            op.drain()
        # A change that changes nothing is not announced, so in the order applied the
        # announcements alternate: +v, -v, +v... Two in a row mean two were swapped.
        seen = [line.split(" MODE #order ")[1].split()[0]
                for line in watcher.drain() if " MODE #order " in line]
        assert len(seen) > 10
        for before, after in itertools.pairwise(seen):
            assert before != after, seen
        voiced = seen[-1] == "+v"
        room = server.rooms.get("#order")
        member = server.nicks.get("target")
        assert member is not None
        assert voiced == ("+" in room.prefix_of(member))
    finally:
        sys.setswitchinterval(interval)
        for c in everyone:
            c.close()
