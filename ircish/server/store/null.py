"""The memory-only store (`--no-history`): nothing is kept, nothing is offered."""
from __future__ import annotations

from collections.abc import Collection

from .base import AccountRecord, Record, Ref, RoomRecord, SearchQuery, Store, WriterStats


class NullStore:
    """Keeps nothing: rooms and accounts vanish at a restart (the account book keeps them
    in memory meanwhile) and history is always empty."""

    enabled = False

    def close(self) -> None:
        pass

    def rooms(self) -> list[RoomRecord]:
        return []

    def save_room(self, room: RoomRecord) -> None:
        pass

    def forget_room(self, key: str) -> None:
        pass

    def accounts(self) -> list[AccountRecord]:
        return []

    def save_account(self, account: AccountRecord) -> None:
        pass

    def forget_account(self, key: str) -> None:
        pass

    def read_markers(self, account_key: str) -> dict[str, int]:
        return {}

    def save_read_marker(self, account_key: str, target_key: str, time_ms: int) -> None:
        pass

    def append(self, record: Record) -> None:
        pass

    def redact(self, target_key: str, msgid: str) -> None:
        pass

    def find(self, target_key: str, msgid: str) -> Record | None:
        return None

    def latest(self, target_key: str, after: Ref | None, limit: int,
               events: bool) -> list[Record]:
        return []

    def before(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        return []

    def after(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        return []

    def around(self, target_key: str, ref: Ref, limit: int, events: bool) -> list[Record]:
        return []

    def between(self, target_key: str, start: Ref, end: Ref, limit: int,
                events: bool) -> list[Record]:
        return []

    def targets(self, keys: Collection[str], start_ms: int, end_ms: int,
                limit: int) -> list[tuple[str, int]]:
        return []

    def conversations(self, party: str, start_ms: int, end_ms: int,
                      limit: int) -> list[tuple[str, int]]:
        return []

    def search(self, query: SearchQuery) -> list[Record]:
        return []

    def stats(self) -> WriterStats:
        return WriterStats()


def _conforms(store: NullStore) -> Store:
    return store  # mypy checks NullStore against the interface here
