"""PRIVMSG, NOTICE and TAGMSG share one relay. They differ in that a NOTICE never draws
an automatic reply (no error numerics, no away message; RFC 2812 §3.3.2), and a
TAGMSG has no text and reaches only clients that enabled message-tags.

A target may be a nick, a room, or a room with a status prefix (`@#room`: its
operators; `+#room`: voiced members and operators). With echo-message the sender
gets its own message back, tags and all, as the others saw it.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import numerics as N
from ..protocol import casefold, is_room_name, split_list
from . import errors
from .caps import MESSAGE_TAGS
from .events import Event, deliver, deliver_room, user_message
from .labeled import put_aside

if TYPE_CHECKING:
    from .context import Context

STATUS_PREFIXES = "@+"      # STATUSMSG, highest first (as PREFIX orders them)


def relay(ctx: Context, command: str, targets: str | None, text: str | None) -> None:
    quiet = command != "PRIVMSG"
    try:
        if not targets:
            raise errors.NoRecipient(text=f"No recipient given ({command})")
        if not text and command != "TAGMSG":
            raise errors.NoTextToSend()
        names = split_list(targets)
        if len(names) > ctx.settings.max_targets:
            raise errors.TooManyTargets(targets)
        client_tags = _client_tags(ctx)
    except errors.IrcError:
        if command == "NOTICE":
            return
        raise
    if command != "TAGMSG":
        ctx.user.last_active = time.time()
    params = [text] if text else []
    ctx.each(dict.fromkeys(names),  # each target once, in order
             lambda name: _relay_one(ctx, command, name, params, client_tags, quiet),
             quiet=command == "NOTICE")


def _client_tags(ctx: Context) -> dict[str, str] | None:
    """The sender's client-only (+) tags, relayed only if it speaks message-tags. (Their
    size is bounded where lines are framed: 4094 bytes of tag data from a client.)"""
    if ctx.message is None or not ctx.user.tag_profile & MESSAGE_TAGS:
        return None
    tags = {k: v for k, v in ctx.message.tags.items() if k.startswith("+")}
    return tags or None


def _relay_one(ctx: Context, command: str, name: str, params: list[str],
               client_tags: dict[str, str] | None, quiet: bool) -> None:
    user = ctx.user
    need = MESSAGE_TAGS if command == "TAGMSG" else 0
    text = command != "TAGMSG"
    status = name[: len(name) - len(name.lstrip(STATUS_PREFIXES))]
    if is_room_name(name[len(status):]):
        room = ctx.rooms.get(name[len(status):])
        room.check_can_send(user)
        event = user_message(user, command, status[:1] + room.name, *params, text=text,
                             client_tags=client_tags, msgid=True)
        if status:  # not kept: its history would reach members it was not meant for
            rank = STATUS_PREFIXES.index(status[-1])  # the lowest rank named
            chosen = [member for prefixes, member in room.names()
                      if prefixes and STATUS_PREFIXES.index(prefixes[0]) <= rank]
            deliver(chosen, event, skip=user, need=need)
        else:
            deliver_room(room, event, skip=user, need=need)
            ctx.archive.message(event, user, room=room)
    else:
        service = ctx.registry.services.get(casefold(name))
        if service is not None:
            if command == "PRIVMSG":  # a service answers PRIVMSG only, never a NOTICE
                service.handle(ctx, params[0] if params else "")
            return
        peer = ctx.find_user(name)
        event = user_message(user, command, peer.nick, *params, text=text,
                             client_tags=client_tags, msgid=True)
        if peer.tag_profile & need == need:
            if peer is not user:
                peer.send(event.for_user(peer))
            else:
                put_aside(user.outbox, event.for_user(user))  # not a labeled reply
        ctx.archive.message(event, user, peer=peer)
        away = peer.away
        if away is not None and not quiet:
            ctx.reply(N.RPL_AWAY, peer.nick, away)
    _echo(ctx, event, need)


def _echo(ctx: Context, event: Event, need: int) -> None:
    user = ctx.user
    if "echo-message" in user.caps and user.tag_profile & need == need:
        user.send(event.for_user(user))
