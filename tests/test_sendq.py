"""A member that stops reading is dropped for its SendQ by a room's own events too
(JOIN and PART are committed to it under the room lock; the drop waits for the lock's
release), and the room and its other members carry on."""
from __future__ import annotations

import socket

from ircish.server.server import Server

from .ircclient import Client

HOST = "127.0.0.1"


def test_a_member_that_stops_reading_is_dropped_by_join_and_part_traffic(
        start_server) -> None:
    server: Server = start_server(sendq=8192, socket_sndbuf=4096, flood_control=False)
    watcher = Client(server.address, "watcher")
    mover = Client(server.address, "mover")
    staller = socket.socket()
    staller.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        watcher.register("watcher")
        mover.register("mover")
        watcher.join("#busy")
        staller.connect(server.address)
        staller.sendall(b"NICK staller\r\nUSER staller 0 * :never reads\r\nJOIN #busy\r\n")
        watcher.expect_exact(f":staller!~staller@{HOST} JOIN #busy")
        # Each cycle commits a JOIN and a PART to the staller under the room lock; the
        # kernel buffers hold some tens of KB before its 8 KB SendQ starts to fill. (A
        # few cycles at a time: the mover's own replies must stay within its SendQ.)
        quit_line = f":staller!~staller@{HOST} QUIT :SendQ exceeded"
        seen: list[str] = []
        cycles = 0
        while quit_line not in seen:
            assert cycles < 20_000, "the staller was never dropped"
            mover.send_raw(b"JOIN #busy\r\nPART #busy\r\n" * 10)
            cycles += 10
            seen += watcher.drain()
            mover.drain()
        assert server.nicks.get("staller") is None
        mover.join("#busy")  # the room's lock was released
        watcher.expect_exact(f":mover!~mover@{HOST} JOIN #busy")
        room = server.rooms.find("#busy")
        assert room is not None
        assert [u.nick for u in room.members_snapshot] == ["watcher", "mover"]
    finally:
        staller.close()
        watcher.close()
        mover.close()
