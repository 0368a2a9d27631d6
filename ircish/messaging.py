"""PRIVMSG and NOTICE share one relay; they differ only in that a NOTICE never draws
an automatic reply (no error numerics, no away message), as RFC 2812 §3.3.2 requires."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import errors
from . import numerics as N
from .protocol import is_room_name, split_list
from .replies import user_message
from .outbox import put_many

if TYPE_CHECKING:
    from .context import Context


def relay(ctx: Context, command: str, targets: str | None, text: str | None) -> None:
    notice = command == "NOTICE"
    try:
        if not targets:
            raise errors.NoRecipient(text=f"No recipient given ({command})")
        if not text:
            raise errors.NoTextToSend()
        names = split_list(targets)
        if len(names) > ctx.settings.max_targets:
            raise errors.TooManyTargets(targets)
    except errors.IrcError:
        if notice:
            return
        raise
    ctx.user.last_active = time.time()
    ctx.each(dict.fromkeys(names),  # each target once, in order
             lambda name: _relay_one(ctx, command, name, text, notice), quiet=notice)


def _relay_one(ctx: Context, command: str, name: str, text: str, notice: bool) -> None:
    user = ctx.user
    if is_room_name(name):
        room = ctx.server.rooms.get(name)
        if not room.has(user):
            raise errors.CannotSendToRoom(room.name)
        line = user_message(user, command, room.name, text)
        put_many(room.outboxes_snapshot, line, skip=user.outbox)
        return
    peer = ctx.server.nicks.get(name)
    if peer is None or not peer.registered:
        raise errors.NoSuchNick(name)
    peer.send(user_message(user, command, peer.nick, text))
    away = peer.away
    if away is not None and not notice:
        ctx.reply(N.RPL_AWAY, peer.nick, away)
