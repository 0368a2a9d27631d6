"""REDACT (IRCv3 draft/message-redaction): take back a message.

`REDACT <target> <msgid> [:reason]` deletes a PRIVMSG, NOTICE or TAGMSG of that room
(or of the private conversation with that nick). Who may:
- in a room: its members, their own messages within --redact-window seconds (900; 0:
  never); its operators any message of it; server operators any message of any room,
  members or not;
- in a private conversation (`REDACT bob <msgid>`, the other side named as CHATHISTORY
  names it): its sender, logged in to the account it sent from, within the window,
  from any of that account's connections. A user not logged in has no private
  conversation to redact in (INVALID_TARGET, as CHATHISTORY answers it).
In a room, "own" means sent under the nick one has now (casefolded): someone who
changed nick since cannot take back what they sent before.

On success the message is deleted from the store, so CHATHISTORY and SEARCH leave it
out from then on (the first of the spec's choices: no placeholder, no REDACT line in
history), and `:<redactor> REDACT <target> <msgid> [:reason]`, with a msgid of its own,
reaches every member of the room (every connection of both sides of a private
conversation) who enabled draft/message-redaction, the redactor included, like a
PRIVMSG; others get nothing.

Errors, as the spec writes them: `INVALID_TARGET <target>` (not a room one is in, and
the same for a room that does not exist), `UNKNOWN_MSGID <target> <msgid>` (no such
message in that target's history, including a msgid of another target),
`REDACT_FORBIDDEN <target> <msgid>` and `REDACT_WINDOW_EXPIRED <target> <msgid> <window>`.
In a private conversation, a message one did not send is REDACT_FORBIDDEN whether
or not the window is over.
"""
from __future__ import annotations

import time
from typing import NamedTuple

from ircish.protocol import casefold, is_room_name
from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.playback import peer_party, read_store, readable_conversation
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures, safe
from ircish.server.state import User
from ircish.server.store import Record

CAP = "draft/message-redaction"
REDACTABLE = frozenset({"PRIVMSG", "NOTICE", "TAGMSG"})


class Conversation(NamedTuple):
    """Where a REDACT applies: the store's key for it, its name as relayed, who hears
    of a redaction in it, whether the user may delete anyone's message there, and
    whether it is a private conversation (its messages are owned by account)."""

    key: str
    name: str
    recipients: list[User]
    moderator: bool
    private: bool = False


@command("REDACT", usage="<target> <msgid> [<reason>]", cost=2, feature="history",
         help="Delete a message: your own for a while after sending it, any in a room "
              "you operate; REDACT <room|nick> <msgid> [:reason].")
def redact(ctx: Context, target: str, msgid: str, reason: str = "") -> None:
    with failures(ctx):
        user = ctx.user
        where = _conversation(ctx, target)
        store = ctx.store
        unknown = Fail("REDACT", "UNKNOWN_MSGID", safe(target), safe(msgid),
                       text="This message does not exist or is too old")
        record = read_store(lambda: store.find(where.key, msgid), unknown)
        if record is None:
            raise unknown
        _check_may(ctx, record, target, where)
        store.redact(where.key, msgid)
        params = (where.name, msgid, reason) if reason else (where.name, msgid)
        deliver(where.recipients, user_message(user, "REDACT", *params, text=bool(reason),
                                               msgid=True), cap=CAP)


def _conversation(ctx: Context, target: str) -> Conversation:
    """A room the user is in (any room, for a server operator) or, logged in, the
    conversation with a nick; anything else is INVALID_TARGET, a room that does not
    exist too."""
    user = ctx.user
    if is_room_name(target):
        room = ctx.rooms.find(target)
        if room is not None and (room.has(user) or user.is_oper):
            members = list(room.members_snapshot)
            if user not in members:
                members.append(user)  # a server operator outside the room
            return Conversation(casefold(room.name), room.name, members,
                                user.is_oper or room.is_operator(user))
    else:
        key = readable_conversation(ctx, target)
        if key is not None:
            peer = ctx.nicks.get(target)
            return Conversation(key, peer.nick if peer is not None else target,
                                _sides(ctx, target), False, private=True)
    raise Fail("REDACT", "INVALID_TARGET", safe(target),
               text=f"You cannot delete messages from {target}")


def _sides(ctx: Context, nick: str) -> list[User]:
    """Who hears of a redaction in the user's conversation with `nick`: every
    connection of the user's account and of the other side's (an account), or the
    holder of the nick (a side that was not logged in, and still is not)."""
    user = ctx.user
    assert user.account is not None
    sides = {user, *ctx.accounts.connections(user.account)}
    other = peer_party(ctx, nick)
    if other.startswith("!"):
        holder = ctx.nicks.get(nick)
        if holder is not None and holder.account is None:
            sides.add(holder)
    else:
        sides.update(ctx.accounts.connections(other))
    return list(sides)


def _check_may(ctx: Context, record: Record, target: str, where: Conversation) -> None:
    """Operators may delete any message; others their own, within the window: in a
    room sent under their current nick, in a conversation from their account."""
    msgid = safe(record.msgid)
    if record.command not in REDACTABLE:
        raise Fail("REDACT", "REDACT_FORBIDDEN", safe(target), msgid,
                   text="Only PRIVMSG, NOTICE and TAGMSG can be deleted")
    if where.moderator:
        return
    user = ctx.user
    if where.private:
        own = record.account is not None and user.account is not None and (
            casefold(record.account) == casefold(user.account))
    else:
        own = record.sender_key == casefold(user.nick)
    if not own:
        raise Fail("REDACT", "REDACT_FORBIDDEN", safe(target), msgid,
                   text="You are not authorised to delete this message")
    window = ctx.settings.redact_window
    if time.time() * 1000 - record.time_ms > window * 1000:
        raise Fail("REDACT", "REDACT_WINDOW_EXPIRED", safe(target), msgid, f"{window:g}",
                   text="You can no longer delete this message")
