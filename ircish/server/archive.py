"""What the server keeps of what happens: the glue between live events and the store.

The server speaks to storage only through here: a relayed message or a room's event
becomes a `Record`, a room's lasting state a `RoomRecord`, and at start-up the saved
rooms come back into the room table. Every call is a queue append in the store (see
`store/base.py`): nothing here waits for a disk, so it may run under a room lock.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..protocol import casefold
from .events import time_ms
from .modes import Ban
from .state import Room, RoomTable, Topic
from .store import NullStore, Record, RoomRecord, SavedBan, Store, conversation_key, party_key

if TYPE_CHECKING:
    from .config import RoomSpec, Settings
    from .events import Event
    from .state import User

log = logging.getLogger("ircish.server.archive")

# Client tags of a TAGMSG that is not worth keeping: typing notifications come and go.
_FLEETING_TAGS = frozenset({"+typing", "+draft/typing"})


def open_store(settings: Settings) -> Store:
    """The store the settings ask for: SQLite in --data-dir, or nothing (--no-history).
    Raises StoreError (one line naming the file) if the data cannot be used."""
    if settings.no_history:
        return NullStore()
    from .store.sqlite import SqliteStore  # only a server that keeps history loads SQLite
    store = SqliteStore.open(settings.data_dir, flush_ms=settings.history_flush_ms,
                             max_age_s=settings.history_max_age * 86400 or None,
                             max_per_target=settings.history_max_messages or None)
    log.info("history and rooms kept in %s", settings.data_dir / "ircish.db")
    return store


class Archive:
    """Turns what the server does into store records. Also the room table's keeper:
    rooms call `room_changed` (under their lock) whenever their lasting state moves."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.enabled = store.enabled
        self._shutting_down = False  # rooms emptied by the shutdown itself are kept
        self._reported_queued = 0    # writes queued at the last report

    # --- history ------------------------------------------------------------------

    def message(self, event: Event, sender: User, room: Room | None = None,
                peer: User | None = None) -> None:
        """A PRIVMSG, NOTICE or TAGMSG relayed to a room or to `peer`. A private one is
        kept under the conversation of the two sides (`party_of`): an account's
        conversation follows it across nicks and connections; a side that is not logged
        in is only its nick, and no one reads that side's history by it."""
        if not self.enabled:
            return
        if event.command == "TAGMSG" and not _lasting(event.client_tags):
            return
        if room is not None:
            key = casefold(room.name)
        else:
            assert peer is not None
            key = conversation_key(party_of(sender), party_of(peer))
        self.store.append(_record(event, key, casefold(sender.nick)))

    def room_event(self, room: Room, event: Event, actor: str) -> None:
        """JOIN, PART, KICK, MODE, TOPIC (for event-playback): `actor` is the nick
        whose action it was."""
        if self.enabled:
            self.store.append(_record(event, casefold(room.name), casefold(actor)))

    def user_event(self, rooms: Iterable[Room], event: Event, actor: str) -> None:
        """QUIT and NICK: one record in each room the user was in, one msgid for all."""
        if self.enabled:
            sender = casefold(actor)
            for room in rooms:
                self.store.append(_record(event, casefold(room.name), sender))

    def report(self, only_if_busy: bool = False) -> None:
        """Log the history writer's figures in one line: whether writes keep up (queue
        depth, drops) is otherwise invisible, and the benchmark reads this line.
        `only_if_busy`: say nothing if nothing was written since the last report (the
        once-a-minute report of an idle server)."""
        if not self.enabled:
            return
        s = self.store.stats()
        if only_if_busy and s.queued == self._reported_queued:
            return
        self._reported_queued = s.queued
        recent = sorted(s.batch_sizes)
        median = recent[len(recent) // 2] if recent else 0
        log.info("history writer: %d queued, %d committed, %d dropped, %d batches, "
                 "largest %d, deepest queue %d, median of the last %d batches %d",
                 s.queued, s.committed, s.dropped, s.batches, s.largest_batch,
                 s.deepest_queue, len(recent), median)

    # --- rooms (the room table's keeper) ------------------------------------------

    def room_changed(self, room: Room) -> None:
        """Caller holds the room's lock (or the room is not shared yet)."""
        if self.enabled:
            self.store.save_room(room_record(room))

    def room_dropped(self, room: Room) -> None:
        if self.enabled and not self._shutting_down:
            self.store.forget_room(casefold(room.name))

    def shutting_down(self) -> None:
        """From now on rooms that empty are kept: they existed when the server stopped,
        so they come back with it."""
        self._shutting_down = True

    def restore(self, table: RoomTable, specs: Iterable[RoomSpec], server_name: str) -> int:
        """Bring back the saved rooms, then apply rooms.yaml on top (it wins for what it
        sets, its founder and access entries too). A restored room has no members;
        whoever joins first gets no `@` (like a default room): only a registered room's
        founder and access list get theirs, and a registered room stays when empty."""
        saved = {casefold(r.name): r for r in self.store.rooms()}
        for spec in specs:
            record = saved.pop(casefold(spec.name), None)
            room = table.add_permanent(spec.name, spec.topic, server_name, spec.modes,
                                       spec.key, spec.limit)
            _restore_into(room, record, from_config=spec)
            self.room_changed(room)
        for record in saved.values():
            room = table.add_restored(record.name)
            _restore_into(room, record, from_config=None)
        return len(saved)


def party_of(user: User) -> str:
    """The side of a private conversation `user` is now: its account (casefolded) when
    logged in, else `!` and its casefolded nick (see `store.party_key`)."""
    account = user.account
    return party_key(casefold(account) if account else None, casefold(user.nick))


def _lasting(tags: dict[str, str] | None) -> bool:
    return bool(tags) and any(name not in _FLEETING_TAGS for name in tags or ())


def _record(event: Event, key: str, sender_key: str) -> Record:
    tags = tuple(event.client_tags.items()) if event.client_tags else ()
    if event.bot:
        tags += (("bot", ""),)
    text = event.params[-1] if event.command in ("PRIVMSG", "NOTICE") and event.params else None
    assert event.msgid is not None, "a kept event has a msgid"
    return Record(msgid=event.msgid, time_ms=time_ms(event.when), target_key=key,
                  sender_key=sender_key, source=event.source, command=event.command,
                  params=tuple(event.params), text=text, tags=tags,
                  account=event.account,
                  extended=tuple(event.extended) if event.extended else None)


def room_record(room: Room) -> RoomRecord:
    """Caller holds the room's lock: the fields must agree."""
    topic = room.topic
    return RoomRecord(
        name=room.name, created=room.created, modes="".join(sorted(room.modes)),
        key=room.key, limit=room.limit,
        topic=topic.text if topic else None, topic_setter=topic.setter if topic else None,
        topic_set_at=topic.set_at if topic else None,
        bans=tuple(SavedBan(b.mask, b.setter, b.set_at) for b in room.bans.values()),
        founder=room.founder, registered_at=room.registered_at,
        access=tuple(room.access.items()))


def _restore_into(room: Room, record: RoomRecord | None, from_config: RoomSpec | None
                  ) -> None:
    """Put the saved state back (if any was saved); for a default room, what rooms.yaml
    sets wins."""
    spec = from_config
    if record is not None:
        room.created = record.created
        room.bans = {casefold(b.mask): Ban(b.mask, b.setter, b.set_at) for b in record.bans}
        if spec is None or spec.topic is None or spec.topic == record.topic:
            # (the same topic as before keeps who set it and when)
            room.topic = (Topic(record.topic, record.topic_setter or "",
                                record.topic_set_at or 0) if record.topic else None)
        if spec is None or spec.modes is None:
            room.modes = set(record.modes)
        if spec is None or spec.key is None:
            room.key = record.key
        if spec is None or spec.limit is None:
            room.limit = record.limit
        room.founder, room.registered_at = record.founder, record.registered_at
        room.access = dict(record.access)
    if spec is not None:
        _apply_owners(room, spec)


def _apply_owners(room: Room, spec: RoomSpec) -> None:
    """rooms.yaml's founder and access entries, over what was saved."""
    if spec.founder is not None:
        founder = casefold(spec.founder)
        if room.founder != founder or room.registered_at is None:
            room.registered_at = int(time.time())
        room.founder = founder
        room.founder_from_config = True
    room.access.update(spec.access())


__all__ = ["Archive", "open_store", "party_of", "room_record"]
