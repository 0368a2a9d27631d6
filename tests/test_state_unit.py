"""The room table without a server: joining, leaving, who may join, who is operator,
and how a room groups its members' outboxes for the fan-out (real Users over fake
transports)."""
from __future__ import annotations

import pytest

from ircish.protocol import casefold
from ircish.server import errors
from ircish.server.caps import MESSAGE_TAGS, SERVER_TIME
from ircish.server.modes import Ban
from ircish.server.state import Room, RoomTable, User

from .fakes import make_user


class Announcements:
    """An `announce` callback: records who was told of each change, and whether it
    ran under the room lock (as the room's events must)."""

    def __init__(self) -> None:
        self.told: list[list[str]] = []
        self.locked: list[bool] = []

    def __call__(self, room: Room, members: tuple[User, ...]) -> None:
        self.told.append([m.nick for m in members])
        self.locked.append(room.lock.locked())


@pytest.fixture
def rooms() -> RoomTable:
    return RoomTable(max_per_user=3)


def test_the_first_joiner_creates_the_room_and_is_its_operator(rooms: RoomTable) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    told = Announcements()
    joined = rooms.join(ann, "#Room", told)
    assert joined is not None
    room, others = joined
    assert (room.name, others) == ("#Room", ())
    assert rooms.join(bob, "#room", told) == (room, (ann,))
    assert room.members == {ann: "@", bob: ""}
    assert told.told == [["ann"], ["ann", "bob"]]  # the joiner is told too
    assert told.locked == [True, True]
    assert ann.rooms == {"#room": room}
    assert rooms.join(ann, "#ROOM", told) is None  # already there: nothing announced
    assert len(told.told) == 2


def test_nobody_gets_operator_status_by_joining_a_permanent_room(rooms: RoomTable) -> None:
    room = rooms.add_permanent("#lobby", "Welcome", "irc.test")
    ann = make_user("ann")
    rooms.join(ann, "#lobby", Announcements())
    assert room.members == {ann: ""}
    assert room.topic is not None and room.topic.text == "Welcome"


def test_the_last_to_leave_closes_a_room_and_the_next_joiner_gets_a_new_one(
        rooms: RoomTable) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    told = Announcements()
    rooms.join(ann, "#r", told)
    room = rooms.get("#r")
    rooms.join(bob, "#r", told)
    assert rooms.part(bob, "#r", told) is room
    assert told.told[-1] == ["ann", "bob"]  # the leaver is told too
    assert not room.closed and len(rooms) == 1
    rooms.part(ann, "#r", told)
    assert room.closed and rooms.find("#r") is None and len(rooms) == 0
    assert ann.rooms == {} and bob.rooms == {}
    with pytest.raises(errors.NoSuchRoom):
        rooms.part(ann, "#r", told)
    joined = rooms.join(bob, "#r", told)
    assert joined is not None and joined[0] is not room
    assert joined[0].members == {bob: "@"}


def test_a_permanent_room_stays_when_empty(rooms: RoomTable) -> None:
    room = rooms.add_permanent("#lobby", None, "irc.test")
    ann = make_user("ann")
    rooms.join(ann, "#lobby", Announcements())
    rooms.part(ann, "#lobby", Announcements())
    assert rooms.find("#lobby") is room and not room.closed


def test_parting_a_room_one_is_not_in(rooms: RoomTable) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    rooms.join(ann, "#r", Announcements())
    with pytest.raises(errors.NotOnRoom):
        rooms.part(bob, "#r", Announcements())


def test_a_user_may_be_in_so_many_rooms(rooms: RoomTable) -> None:
    ann = make_user("ann")
    for name in ("#a", "#b", "#c"):
        rooms.join(ann, name, Announcements())
    with pytest.raises(errors.TooManyRooms):
        rooms.join(ann, "#d", Announcements())
    assert rooms.join(ann, "#a", Announcements()) is None  # one already joined is fine


def test_leave_all_returns_the_peers_and_closes_emptied_rooms(rooms: RoomTable) -> None:
    ann, bob, cy = make_user("ann"), make_user("bob"), make_user("cy")
    for user, name in ((ann, "#a"), (bob, "#a"), (ann, "#b"), (cy, "#b"), (ann, "#c")):
        rooms.join(user, name, Announcements())
    assert rooms.leave_all(ann) == {bob, cy}
    assert rooms.find("#c") is None and len(rooms) == 2
    assert rooms.get("#a").members == {bob: ""}


def test_kick_removes_the_target_and_tells_it_but_only_an_operator_may(
        rooms: RoomTable) -> None:
    ann, bob, cy = make_user("ann"), make_user("bob"), make_user("cy")
    for user in (ann, bob, cy):
        rooms.join(user, "#r", Announcements())
    room = rooms.get("#r")
    told = Announcements()
    with pytest.raises(errors.ChanOpPrivsNeeded):
        rooms.kick(room, bob, cy, told)
    rooms.kick(room, ann, cy, told)
    assert told.told == [["ann", "bob", "cy"]] and told.locked == [True]
    assert cy not in room.members and cy.rooms == {}
    with pytest.raises(errors.UserNotInRoom):
        rooms.kick(room, ann, cy, told)


# --- who may join ---------------------------------------------------------------------

def guarded_room(rooms: RoomTable) -> Room:
    """#g, with ann as its operator."""
    rooms.join(make_user("ann"), "#g", Announcements())
    return rooms.get("#g")


def test_a_ban_keeps_out_unless_invited(rooms: RoomTable) -> None:
    room = guarded_room(rooms)
    room.bans[casefold("bob!*@*")] = Ban("bob!*@*", "ann", 0)
    bob = make_user("bob")
    with pytest.raises(errors.BannedFromRoom):
        rooms.join(bob, "#g", Announcements())
    bob.invites.add("#g")
    assert rooms.join(bob, "#g", Announcements()) is not None
    assert bob.invites == set()  # an invitation is used up by joining


def test_invite_only_and_a_full_room_keep_out_unless_invited(rooms: RoomTable) -> None:
    room = guarded_room(rooms)
    room.modes.add("i")
    bob, cy = make_user("bob"), make_user("cy")
    with pytest.raises(errors.InviteOnlyRoom):
        rooms.join(bob, "#g", Announcements())
    room.modes.discard("i")
    room.limit = 1
    with pytest.raises(errors.RoomIsFull):
        rooms.join(bob, "#g", Announcements())
    bob.invites.add("#g")
    rooms.join(bob, "#g", Announcements())
    room.limit = 3
    rooms.join(cy, "#g", Announcements())
    assert list(room.members) == [room.members_snapshot[0], bob, cy]


def test_a_key_is_needed_even_with_an_invitation(rooms: RoomTable) -> None:
    room = guarded_room(rooms)
    room.key = "sesame"
    bob = make_user("bob")
    bob.invites.add("#g")
    with pytest.raises(errors.BadRoomKey):
        rooms.join(bob, "#g", Announcements())
    with pytest.raises(errors.BadRoomKey):
        rooms.join(bob, "#g", Announcements(), key="wrong")
    assert rooms.join(bob, "#g", Announcements(), key="sesame") is not None


def test_a_server_operator_passes_everything(rooms: RoomTable) -> None:
    room = guarded_room(rooms)
    room.modes.add("i")
    room.key, room.limit = "sesame", 1
    room.bans[casefold("*!*@*")] = Ban("*!*@*", "ann", 0)
    oper = make_user("oper")
    oper.modes.add("o")
    assert rooms.join(oper, "#g", Announcements()) is not None


# --- the fan-out --------------------------------------------------------------------------

def test_the_fanout_groups_members_outboxes_by_tag_profile(rooms: RoomTable) -> None:
    plain, timed, tagged, also_plain = (
        make_user("a"), make_user("b", profile=SERVER_TIME),
        make_user("c", profile=MESSAGE_TAGS), make_user("d"))
    for user in (plain, timed, tagged, also_plain):
        rooms.join(user, "#r", Announcements())
    room = rooms.get("#r")
    assert room.fanout == {0: (plain.outbox, also_plain.outbox),
                           SERVER_TIME: (timed.outbox,), MESSAGE_TAGS: (tagged.outbox,)}
    timed.tag_profile = 0  # CAP REQ -server-time
    room.republish()
    assert room.fanout == {0: (plain.outbox, timed.outbox, also_plain.outbox),
                           MESSAGE_TAGS: (tagged.outbox,)}
    rooms.part(tagged, "#r", Announcements())
    assert room.fanout == {0: (plain.outbox, timed.outbox, also_plain.outbox)}
    assert room.members_snapshot == (plain, timed, also_plain)
