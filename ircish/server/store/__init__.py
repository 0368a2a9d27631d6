"""Storage: the interface the server speaks (`base.Store`) and its implementations —
`SqliteStore` (the embedded default, `sqlite.py`) and `NullStore` (`--no-history`)."""
from __future__ import annotations

from .base import (
    MESSAGE_COMMANDS,
    AccountRecord,
    Record,
    Ref,
    RoomRecord,
    SavedBan,
    SearchQuery,
    Store,
    StoreError,
    UnknownMessage,
    WriterStats,
    conversation_key,
    party_key,
)
from .null import NullStore
from .sqlite import SqliteStore

__all__ = ["MESSAGE_COMMANDS", "AccountRecord", "NullStore", "Record", "Ref", "RoomRecord",
           "SavedBan", "SearchQuery", "SqliteStore", "Store", "StoreError", "UnknownMessage",
           "WriterStats", "conversation_key", "party_key"]
