"""WHO: the users in a room, or those matching a mask; WHOX picks the fields.

`WHO <mask> [<flags>][%<fields>[,<token>]]`: without `%` each user is a 352
(RFC 2812, modern.ircdocs); with it a 354 carries exactly the requested fields, in the
fixed order of WHOX (`t c u i h s n f d l a o r`). The flag `o` before `%` keeps only
server operators. What others may not see stays hidden: a secret (+s) room answers
only its members, and an invisible (+i) user shows to those who share a room with
them (a room's outsiders see its visible members only, as with NAMES) -- unless they
are asked for by their exact nick, which already names them (as ergo and solanum do).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ircish import numerics as N
from ircish.protocol import Message, casefold, is_room_name, mask_matches
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.state import Room, User

WHOX_ORDER = "tcuihsnfdlaor"


@dataclass(frozen=True)
class Query:
    """What the second parameter asked for."""
    opers_only: bool = False
    fields: str | None = None   # WHOX fields in reply order, or None for a classic 352
    token: str = "0"

    @classmethod
    def parse(cls, options: str) -> Query:
        flags, percent, spec = options.partition("%")
        if not percent:
            return cls(opers_only="o" in flags)
        letters, _, token = spec.partition(",")
        # A token is at most three digits; anything else is answered as the default 0.
        valid = token.isascii() and token.isdigit() and len(token) <= 3
        fields = "".join(f for f in WHOX_ORDER if f in letters)
        return cls(opers_only="o" in flags, fields=fields, token=token if valid else "0")


@command("WHO", usage="[<mask>] [<options>]", cost=2, free_uses=4,
         help="List a room's members (WHO #room) or users matching a mask; "
              "WHO <mask> %<fields>[,<token>] picks the fields (WHOX).")
def who(ctx: Context, mask: str = "*", options: str = "") -> None:
    query = Query.parse(options)
    if is_room_name(mask):
        room = ctx.rooms.find(mask)
        if room is not None and room.visible_to(ctx.user):
            outsider = not room.has(ctx.user)
            for prefixes, member in room.names():
                if outsider and "i" in member.modes:
                    continue
                if not query.opers_only or member.is_oper:
                    who_reply(ctx, query, member, room, prefixes)
    else:
        for user in matching_users(ctx, mask, query.opers_only):
            who_reply(ctx, query, user, None, "")
    ctx.reply(N.RPL_ENDOFWHO, mask, "End of /WHO list.")


def matching_users(ctx: Context, mask: str, opers_only: bool) -> list[User]:
    """Users whose nick (or nick!user@host, for a mask with ! or @) matches; `0` and
    `*` match all. Invisible users only if they are the asker or share a room."""
    me = ctx.user
    if mask != "0" and not any(c in mask for c in "*?!@"):  # an exact nick: no hiding
        named = ctx.nicks.get(mask)
        if named is None or not named.registered or (opers_only and not named.is_oper):
            return []
        return [named]
    full = "!" in mask or "@" in mask
    anything = mask in ("0", "*")
    peers: set[User] | None = None  # worked out only if an invisible user matches
    found: list[User] = []
    for user in ctx.nicks.users():
        if not user.registered or (opers_only and not user.is_oper):
            continue
        if not anything and not mask_matches(mask, user.prefix if full else user.nick):
            continue
        if "i" in user.modes and user is not me:
            if peers is None:
                peers = me.peers()
            if user not in peers:
                continue
        found.append(user)
    found.sort(key=lambda u: casefold(u.nick))
    return found


def flags(ctx: Context, user: User, prefixes: str) -> str:
    """H (here) or G (gone), * for a server operator, the room prefixes (all of them
    with multi-prefix, else the highest), then B for a bot: modern.ircdocs' order,
    user modes last."""
    shown = prefixes if "multi-prefix" in ctx.user.caps else prefixes[:1]
    return (("G" if user.away is not None else "H") + ("*" if user.is_oper else "")
            + shown + ("B" if "B" in user.modes else ""))


def who_reply(ctx: Context, query: Query, user: User, room: Room | None, prefixes: str) -> None:
    server_name = ctx.settings.server_name
    room_name = room.name if room is not None else "*"
    if query.fields is None:
        ctx.reply(N.RPL_WHOREPLY, room_name, user.username, user.host, server_name,
                  user.nick, flags(ctx, user, prefixes), f"0 {user.realname}")
        return
    values = {
        "t": query.token,
        "c": room_name,
        "u": user.username,
        "i": user.host,  # the host is the address: no name lookups are made
        "h": user.host,
        "s": server_name,
        "n": user.nick,
        "f": flags(ctx, user, prefixes),
        "d": "0",        # hops: one server
        "l": str(int(time.time() - user.last_active)),
        "a": user.account or "0",
        "o": "999" if "@" in prefixes else "n/a",  # op level, as solanum answers it
        "r": user.realname,
    }
    params = [ctx.user.nick, *(values[f] for f in query.fields)]
    msg = Message(N.RPL_WHOSPCRPL, params, source=server_name)
    ctx.send(msg, force_trailing=query.fields.endswith("r"))  # the realname as text
