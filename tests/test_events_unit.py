"""An `Event` as each kind of recipient gets it, serialized once per tag profile, and
the delivery functions grouping recipients by profile (real Users, fake transports)."""
from __future__ import annotations

import re
from typing import Any

from ircish.server.caps import ACCOUNT_TAG, EXTENDED_JOIN, MESSAGE_TAGS, SERVER_TIME
from ircish.server.events import Event, deliver, deliver_room, server_time, user_message
from ircish.server.outbox import delivery_batch
from ircish.server.state import Room, RoomTable, User

from .fakes import make_user, sent

SRC = "ann!~ann@h"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def message(**kwargs: Any) -> Event:
    return Event(SRC, "PRIVMSG", ["#r", "hi there"], **kwargs)


def test_without_capabilities_a_line_has_no_tags() -> None:
    assert message(msgid="m1", client_tags={"+x": "1"}).render(0) == \
        b":ann!~ann@h PRIVMSG #r :hi there\r\n"


def test_server_time_adds_the_events_own_time() -> None:
    event = message()
    line = event.render(SERVER_TIME).decode()
    assert line == f"@time={server_time(event.when)} :ann!~ann@h PRIVMSG #r :hi there\r\n"
    assert re.fullmatch(rf"@time={TIME} .*\r\n", line)


def test_message_tags_add_msgid_bot_and_the_senders_client_tags() -> None:
    event = message(msgid="m1", bot=True, client_tags={"+draft/react": "👍"})
    assert event.render(MESSAGE_TAGS) == \
        "@msgid=m1;bot;+draft/react=👍 :ann!~ann@h PRIVMSG #r :hi there\r\n".encode()


def test_account_tag_only_when_the_sender_has_an_account() -> None:
    assert message(account="ann").render(ACCOUNT_TAG).startswith(b"@account=ann :")
    assert message().render(ACCOUNT_TAG).startswith(b":ann")


def test_extended_join_gets_the_longer_join() -> None:
    event = Event(SRC, "JOIN", ["#r"], text=False, extended=["#r", "*", "Ann Example"])
    assert event.render(0) == b":ann!~ann@h JOIN #r\r\n"
    assert event.render(EXTENDED_JOIN) == b":ann!~ann@h JOIN #r * :Ann Example\r\n"


def test_an_event_is_serialized_once_per_profile() -> None:
    """Each profile's bytes are made once and handed out again: the same object, not an
    equal one made anew (a check that holds for the compiled Event too, which cannot
    be patched to count its calls)."""
    event = message(msgid="m1")
    tagged = event.render(SERVER_TIME | MESSAGE_TAGS)
    plain = event.render(0)
    assert event.render(SERVER_TIME | MESSAGE_TAGS) is tagged
    assert event.render(0) is plain
    assert tagged != plain and tagged.endswith(plain)


def test_user_message_takes_the_senders_prefix_account_bot_mode_and_a_fresh_msgid() -> None:
    ann = make_user("ann")
    ann.modes.add("B")
    one = user_message(ann, "PRIVMSG", "#r", "hi", msgid=True)
    two = user_message(ann, "PRIVMSG", "#r", "hi", msgid=True)
    assert (one.source, one.bot, one.params) == ("ann!~ann@127.0.0.1", True, ["#r", "hi"])
    assert one.msgid and two.msgid and one.msgid != two.msgid


# --- delivery -------------------------------------------------------------------------

def users(*profiles: int) -> list[User]:
    return [make_user(f"u{i}", profile=p) for i, p in enumerate(profiles)]


def test_deliver_gives_each_user_its_profiles_bytes_and_honours_skip_cap_and_need() -> None:
    plain, timed, tagged = users(0, SERVER_TIME, MESSAGE_TAGS)
    tagged.caps.add("away-notify")
    event = message(msgid="m1")
    with delivery_batch():
        deliver([plain, timed, tagged], event)
        deliver([plain, timed, tagged], event, skip=plain, cap="away-notify")
        deliver([plain, timed, tagged], event, need=SERVER_TIME)
    assert sent(plain) == event.render(0)
    assert sent(timed) == event.render(SERVER_TIME) * 2
    assert sent(tagged) == event.render(MESSAGE_TAGS) * 2


def test_deliver_room_serializes_once_per_profile_present() -> None:
    rooms = RoomTable(max_per_user=10)
    members = users(0, 0, SERVER_TIME, MESSAGE_TAGS)

    def nothing(room: Room, members: tuple[User, ...]) -> None:
        pass

    for user in members:
        rooms.join(user, "#r", nothing)
    room = rooms.get("#r")
    event = message(msgid="m1")
    with delivery_batch():
        deliver_room(room, event, skip=members[0])
        deliver_room(room, event, need=MESSAGE_TAGS)
    assert sent(members[0]) == b""
    assert sent(members[1]) == event.render(0)
    assert sent(members[2]) == event.render(SERVER_TIME)
    assert sent(members[3]) == event.render(MESSAGE_TAGS) * 2
    assert sorted(event._bytes) == [0, MESSAGE_TAGS, SERVER_TIME]


def test_a_time_tag_is_the_same_live_and_replayed() -> None:
    """History keeps whole milliseconds; the live line's time must be the replayed one's
    (a client's `timestamp=` reference taken from a live line would be off by one)."""
    import random

    from ircish.server.events import format_time_ms, server_time, time_ms
    rng = random.Random(7)
    for _ in range(20000):
        when = 1_795_000_000 + rng.random() * 10_000_000
        assert server_time(when) == format_time_ms(time_ms(when))
        assert server_time(time_ms(when) / 1000) == server_time(when)
    assert format_time_ms(1_795_627_609_007) == "2026-11-25T17:26:49.007Z"
