"""Who is on the server, under which nick, and in which rooms (`users`, `rooms`); and
the server's locks.

Concurrency rule (every thread that touches shared state follows it)
---------------------------------------------------------------------
Each client's commands run on its own reader thread, so any two users' commands may run
at once. These are all the server's locks. A thread may take one further down the list
while holding one higher up, never the reverse, never two of one tier (two rooms) at once.
In fact only 0 and 3 are ever held while another is taken; all the others are leaves.
SQLite's own locks are below all of these: no thread touches the database while
holding one of ours (the writer thread commits with none held; reads take only 13).

  0. ``enforcement.IDENTITY_LOCK`` (accounts/enforcement.py, one per process) who is
                           who: a nick change (claim and announcement, committed in
                           order), a login or logout, a nick deadline, a connection's
                           release of its nick. Lets another thread rename a user (the
                           --nick-enforcement timeout, a reclaim, a dropped account)
                           without racing that user's own NICK or login. Taken with no
                           other lock held; takes 1, 4, 5, 6, 9, 12, 14 under it.
  1. ``NickTable.lock``    the casefolded-nick -> User map, and every ``User.nick``.
  2. ``RoomTable.lock``    the casefolded-name -> Room map (creating, finding, dropping).
  3. ``Room.lock``         one room's members and prefixes, topic, modes, key, limit, bans,
                           ``closed``, and its entry in each member's ``User.rooms``. Takes
                           4 (JOIN, leaving) and 9 (its events are committed under it);
                           ``roommodes.apply`` makes every MODE change under it.
  4. ``User.lock``         a user's ``rooms`` map, ``invites`` and ``away`` text.
  5. ``Monitors.lock``     (monitor.py) who watches which nick, both ways.
  6. ``NickHistory.lock``  (whowas.py) the WHOWAS record.
  7. ``Server._lock``      (server.py) the connection set, per-address and LUSERS counts.
  8. ``Connection._closing_lock``  (connection.py) the close reason (the first one wins).
  9. ``Outbox._lock``      (outbox.py) a client's queue, its size and send state; the code
                           under it makes no Python-level call (it reads a TLS transport's
                           ``pending`` without taking 10).
 10. ``TlsTransport.lock`` (transport.py) the SSL object, its buffers, unsent ciphertext:
                           the one lock a socket is written under (sends that never block).
 11. ``Writer._lock``      (writer.py) the watched fds and their epoll registrations.
 12. ``Batcher._lock``     (store/batcher.py) the store's write queue and its counters:
                           every store write is one append under it, so a room's events
                           are queued under 3 (in the order they happened). The writer
                           thread never holds it while it touches the database.
 13. ``SqliteStore._pool_lock`` (store/sqlite.py) the idle read connections; and
     ``Throttled._lock`` (store/batcher.py), a rate-limited log line's clock.
 14. ``AccountBook._lock`` (accounts/book.py) the accounts by name and fingerprint, who
     is logged in to each, the read markers. A leaf: the store's queue (12) is written
     after it is released, and nothing is hashed under it.
 15. ``LoginThrottle._lock`` (accounts/throttle.py) failed logins by address and by
     account name. A leaf: counted and released before any password is hashed.

Not locks: a password check (OPER, PLAIN, PASS) or a new password's hashing runs on the
one ``password-check`` thread (accounts/passwords.py) while the reader waits holding
none of these; flood control and staged lines are per thread.
No socket is written under any lock but 10: ``User.send`` only stages bytes for the
outbox, and they leave in a later flush that holds none of these locks.

A room's own events (JOIN, PART, KICK, MODE, TOPIC) are committed to its members'
outboxes under the room lock (``events.deliver_now``: queued, never sent), so every
member sees them in the order they changed the room, and a joiner's JOIN reaches it
before the room's traffic does (a SendQ this overflows is reported once the lock is
released). Lines from users (PRIVMSG, NOTICE) are staged and committed later.

Single reads (``dict.get``, ``x in members``, an attribute) skip the locks: each is
atomic in CPython, and a stale answer equals a lookup made a moment earlier; so room
messages go out from ``Room.fanout`` (members' outboxes by tag profile) and
``members_snapshot``, immutable, replaced under the lock when membership or capabilities
change. Reading two things that must agree, or writing anything, takes the lock.
"""
from __future__ import annotations

from .rooms import Announce, Room, RoomTable, Topic
from .users import NickTable, User

__all__ = ["Announce", "NickTable", "Room", "RoomTable", "Topic", "User"]
