"""The outbox over a fake transport: what leaves, in which order, and when the writer
or on_fatal take over (the queue states are the table in `Outbox`'s docstring)."""
from __future__ import annotations

import socket
import time

from ircish.server.events import deliver_now, user_message
from ircish.server.outbox import Outbox, delivery_batch, put_many
from ircish.server.state import Room, RoomTable, User
from ircish.server.writer import Writer

from .fakes import FakeTransport, FakeWriter, Fatal, make_outbox, make_user, sent
from .ircclient import wait_until

A, B, C = b"a\r\n", b"bb\r\n", b"ccc\r\n"


def outbox_with(accept: int | None = None, limit: int = 1 << 20
                ) -> tuple[Outbox, FakeTransport, FakeWriter, Fatal]:
    transport, writer, fatal = FakeTransport(accept=accept), FakeWriter(), Fatal()
    return make_outbox(transport, limit, fatal, writer), transport, writer, fatal


# --- commit and flush ---------------------------------------------------------------

def test_put_outside_a_batch_sends_at_once() -> None:
    outbox, transport, writer, _ = outbox_with()
    outbox.put(A)
    outbox.put(B)
    assert transport.sends == [A, B]
    assert not writer.watched


def test_only_the_first_commit_owes_the_flush_and_one_send_takes_all_in_order() -> None:
    outbox, transport, _, _ = outbox_with()
    assert outbox.commit([A]) is True
    assert outbox.commit([B, C]) is False  # a flush is already due: they ride along
    outbox.flush()
    assert transport.sends == [A + B + C]
    outbox.flush()  # nothing left: no empty send
    assert transport.sends == [A + B + C]
    assert outbox.commit([A]) is True  # idle again


def test_a_line_committed_during_a_send_leaves_right_after_it() -> None:
    outbox, transport, _, _ = outbox_with()
    # Another thread commits while this one is in the syscall: it must not flush
    # (one sender at a time) and its line must follow, not overtake.
    owes_flush: list[bool] = []
    transport.during_send = lambda: owes_flush.append(outbox.commit([B]))
    outbox.put(A)
    assert owes_flush == [False]
    assert transport.sends == [A, B]
    assert transport.sent == A + B


def test_a_partial_send_hands_the_rest_to_the_writer() -> None:
    outbox, transport, writer, _ = outbox_with(accept=2)
    outbox.put(C)  # 5 bytes, 2 taken
    assert transport.sent == C[:2]
    assert writer.watched == [outbox]
    # Socket full: the writer owns the next send. A commit joins the queue and owes
    # nothing, and nobody else's flush sends.
    assert outbox.commit([A]) is False
    outbox.flush()
    assert len(transport.sends) == 1
    transport.accept = None
    outbox.flush(writable=True)  # the socket turned writable
    assert transport.sent == C + A
    assert writer.watched == [outbox]
    assert outbox.commit([B]) is True  # idle again


def test_a_socket_that_takes_nothing_waits_for_the_writer_with_everything_queued() -> None:
    outbox, transport, writer, _ = outbox_with(accept=0)
    outbox.put(A)
    outbox.put(B)  # waiting: queued, not sent
    assert transport.sends == [A]
    assert writer.watched == [outbox]
    transport.accept = 1
    outbox.flush(writable=True)
    assert transport.sent == A[:1]
    assert writer.watched == [outbox, outbox]  # watched again for the rest
    transport.accept = None
    outbox.flush(writable=True)
    assert transport.sent == A + B


def test_tls_ciphertext_left_over_keeps_the_writer_watching() -> None:
    outbox, transport, writer, _ = outbox_with()
    transport.pending = True  # the TLS layer took the bytes but could not send them all
    outbox.put(A)
    assert writer.watched == [outbox]
    outbox.flush(writable=True)  # nothing queued, but ciphertext is: pushed on
    assert transport.sends == [A, b""]
    assert writer.watched == [outbox, outbox]
    transport.pending = False  # the TLS layer got it out meanwhile
    outbox.flush(writable=True)
    assert transport.sends == [A, b""]
    assert outbox.commit([B]) is True  # idle again


def test_the_real_writer_thread_finishes_a_partial_send() -> None:
    left, right = socket.socketpair()
    writer = Writer()
    writer.start()
    try:
        transport = FakeTransport(accept=1, fd=left.fileno())
        outbox = make_outbox(transport, writer=writer)
        outbox.put(C)
        transport.accept = None  # the socket (writable at once) now takes the rest
        wait_until(lambda: transport.sent == C, wait=5)
        outbox.close()
    finally:
        writer.stop()
        left.close()
        right.close()


# --- the SendQ, errors, finish and close ------------------------------------------

def test_sendq_overflow_calls_on_fatal_once_and_drops_the_queue() -> None:
    outbox, transport, writer, fatal = outbox_with(accept=0, limit=8)
    outbox.put(A)  # 3 queued, socket full
    outbox.put(C)  # 8: at the limit, still fine
    assert fatal.reasons == []
    outbox.put(A)  # 11: over
    assert fatal.reasons == ["SendQ exceeded"]
    assert outbox.closed
    transport.accept = None
    outbox.flush(writable=True)  # the writer's turn comes: nothing is left to send
    outbox.put(B)
    outbox.flush()
    assert transport.sends == [A]
    assert fatal.reasons == ["SendQ exceeded"]


def test_a_write_error_closes_the_queue_and_calls_on_fatal_once() -> None:
    outbox, transport, _, fatal = outbox_with()
    transport.error = BrokenPipeError(32, "Broken pipe")
    outbox.put(A)
    assert fatal.reasons == ["Write error: Broken pipe"]
    assert outbox.closed
    outbox.put(B)
    assert transport.sends == [A]
    assert fatal.reasons == ["Write error: Broken pipe"]


def test_finish_sends_what_this_thread_staged_before_the_batch_ends() -> None:
    outbox, transport, _, _ = outbox_with()
    with delivery_batch(own=outbox):
        outbox.put(A)
        outbox.put(B)
        outbox.finish(wait=0)
        assert transport.sent == A + B
    assert transport.sends == [A + B]  # not flushed again at the end


def test_finish_returns_when_the_socket_is_full_and_close_drops_and_forgets() -> None:
    outbox, transport, writer, fatal = outbox_with(accept=0)
    outbox.put(A)
    started = time.monotonic()
    outbox.finish(wait=5)  # the writer owns the rest: no point waiting
    assert time.monotonic() - started < 1
    outbox.close()
    assert outbox.closed
    assert writer.forgotten == [outbox]
    transport.accept = None
    outbox.flush(writable=True)
    outbox.put(B)
    assert transport.sent == b""
    assert fatal.reasons == []


# --- delivery_batch and put_many ----------------------------------------------------

def test_nothing_leaves_until_the_batch_ends_and_the_own_outbox_goes_last() -> None:
    log: list[tuple[str, bytes]] = []
    own, peer, other = (make_outbox(FakeTransport(name, log=log)) for name in "xyz")
    with delivery_batch(own=own):
        own.put(A)
        put_many([own, peer, other], B, skip=other)
        other.put(C)
        assert log == []
    assert log == [("y", B), ("z", C), ("x", A + B)]


def test_a_nested_batch_joins_the_outer_one() -> None:
    outbox, transport, _, _ = outbox_with()
    with delivery_batch():
        outbox.put(A)
        with delivery_batch(own=outbox):
            outbox.put(B)
        assert transport.sends == []
        outbox.put(C)
    assert transport.sends == [A + B + C]


def test_put_many_outside_a_batch_sends_to_each_but_the_skipped() -> None:
    first, second = outbox_with(), outbox_with()
    put_many([first[0], second[0]], A, skip=second[0])
    assert first[1].sends == [A]
    assert second[1].sends == []


def test_put_now_commits_at_once_so_later_commits_follow_it() -> None:
    outbox, transport, _, _ = outbox_with()
    with delivery_batch():
        outbox.put(A)
        outbox.put_now(B)  # committed with what was staged before it
        assert transport.sends == []  # but not sent: that waits for the batch's end
        assert outbox.commit([b"other\r\n"]) is False  # another thread's line: after it
        outbox.put(C)
    assert transport.sent == A + B + b"other\r\n" + C


def test_put_now_outside_a_batch_is_put() -> None:
    outbox, transport, _, _ = outbox_with()
    outbox.put_now(A)
    assert transport.sends == [A]


# --- a SendQ overflow under a room lock ---------------------------------------------

def test_a_member_overflowing_during_a_room_event_is_dropped_after_the_lock_is_released(
        ) -> None:
    """A room's events are committed under its lock (put_now). The drop of a member
    whose SendQ that overflows ends in an ERROR line and a socket shutdown, so it must
    wait until the lock is released: the end of the batch."""
    rooms = RoomTable(max_per_user=10)
    room: Room | None = None
    fatal = Fatal(check=lambda: room is not None and room.lock.locked())
    stalled = make_user("stalled", make_outbox(FakeTransport("stalled", accept=0),
                                               limit=60, on_fatal=fatal))
    joiner = make_user("joiner")

    def announce(joined: Room, members: tuple[User, ...]) -> None:
        deliver_now(members, user_message(members[-1], "JOIN", joined.name, text=False))

    with delivery_batch():
        joined = rooms.join(stalled, "#room", announce)  # its own JOIN fills its queue
        assert joined is not None
        room = joined[0]
    assert fatal.reasons == []
    with delivery_batch(own=joiner.outbox):
        rooms.join(joiner, "#room", announce)  # ... and this one overflows it
        assert fatal.reasons == []  # not yet: the batch is still open
    assert fatal.reasons == ["SendQ exceeded"]
    assert fatal.seen == [False]  # the room lock was free when it was dropped
    assert b"JOIN #room" in sent(joiner)  # the others got theirs
