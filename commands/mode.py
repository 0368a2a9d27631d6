"""MODE: a room's modes (flags imnst, key, limit, bans, op and voice) and a user's own
modes (+i invisible, +B bot; -o gives up server-operator status).

A room change is parsed (`modes.parse_room_modes`), checked once for the sender's
rights (482 once per command, not per letter), applied under the room lock
(`roommodes.apply`), and what really changed is announced to the room in one MODE line.
"""
from __future__ import annotations

import time

from ircish import numerics as N
from ircish.protocol import MAX_LINE, Message, casefold, is_room_name
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import user_message
from ircish.server.modes import Change, change_lines, parse_room_modes
from ircish.server.registry import command
from ircish.server.replies import USER_MODES
from ircish.server.roommodes import apply
from ircish.server.state import Room


@command("MODE", usage="<target> [<modes>] [<args>...]",
         help="Show or change a room's modes (MODE #room +o-v+b alice bob *!*@host; "
              "+imnst, +k key, +l limit, MODE #room b lists bans), or your own "
              "(MODE <nick> +i, +B for a bot).")
def mode(ctx: Context, target: str, modes: str = "", *args: str) -> None:
    if is_room_name(target):
        room_mode(ctx, ctx.rooms.get(target), modes, list(args))
    else:
        user_mode(ctx, target, modes)


def room_mode(ctx: Context, room: Room, modes: str, args: list[str]) -> None:
    user = ctx.user
    if not modes:
        ctx.reply(N.RPL_CHANNELMODEIS, room.name,
                  *room.mode_string(show_key=room.has(user) or user.is_oper))
        ctx.reply(N.RPL_CREATIONTIME, room.name, str(room.created))
        return
    parsed = parse_room_modes(room.name, modes, args)
    for _, problem in parsed.problems:
        ctx.reply_error(problem)
    if parsed.changes:
        room.require_operator(user)  # answered once, before any letter is tried
        problems = _look_up_members(ctx, parsed.changes)
        wanted = [c for c in parsed.changes if c.letter not in "ov" or c.target is not None]
        failed = apply(room, user, wanted, ctx.settings.max_bans, int(time.time()),
                       lambda applied: _announce(ctx, room, applied))
        for _, problem in sorted(problems + failed, key=lambda item: item[0]):
            ctx.reply_error(problem)
    if parsed.list_bans:
        send_ban_list(ctx, room)


def _look_up_members(ctx: Context, changes: list[Change]) -> list[tuple[int, errors.IrcError]]:
    """Find the users +o/+v name (401 for unknown nicks); membership is checked
    under the room lock."""
    problems: list[tuple[int, errors.IrcError]] = []
    for change in changes:
        if change.letter in "ov":
            try:
                change.target = ctx.find_user(change.arg)
            except errors.NoSuchNick as exc:
                problems.append((change.pos, exc))
    return problems


def _announce(ctx: Context, room: Room, applied: list[Change]) -> None:
    """One MODE line to the room (and to a server operator acting from outside it),
    under the room lock."""
    user = ctx.user
    members = room.members_snapshot
    recipients = members if user in members else (*members, user)
    budget = MAX_LINE - 2 - len(f":{user.prefix} MODE {room.name} ".encode())
    for params in change_lines(applied, budget):
        ctx.room_event(room, recipients,
                       user_message(user, "MODE", room.name, *params, text=False))


def send_ban_list(ctx: Context, room: Room) -> None:
    """367 per ban (mask, who set it, when), then 368; a secret room's list only to
    those who may see the room."""
    if room.visible_to(ctx.user):
        for ban in room.ban_list():
            ctx.reply(N.RPL_BANLIST, room.name, ban.mask, ban.setter, str(ban.set_at))
    ctx.reply(N.RPL_ENDOFBANLIST, room.name, "End of channel ban list")


# --- user modes ------------------------------------------------------------------------

def user_mode(ctx: Context, nick: str, modes: str) -> None:
    user = ctx.user
    if casefold(nick) != casefold(user.nick):
        ctx.find_user(nick)  # 401 for no one, else 502
        raise errors.UsersDontMatch()
    if not modes:
        ctx.reply(N.RPL_UMODEIS, "+" + "".join(sorted(user.modes)))
        return
    adding, applied, unknown = True, [], False
    for char in modes:
        if char in "+-":
            adding = char == "+"
        elif char not in USER_MODES:
            unknown = True
        elif char == "o" and adding:
            continue  # only OPER makes a server operator
        elif (char in user.modes) != adding:
            set_user_mode(ctx, char, adding)
            applied.append(Change(0, adding, char))
    if applied:
        send_user_modes(ctx, applied)
    if unknown:
        raise errors.UnknownUserModeFlag()


def set_user_mode(ctx: Context, char: str, adding: bool) -> None:
    """Change one of the user's own modes, keeping the LUSERS counts right."""
    user = ctx.user
    (user.modes.add if adding else user.modes.discard)(char)
    if char == "i":
        ctx.adjust_counts(invisible=1 if adding else -1)
    elif char == "o":
        ctx.adjust_counts(opers=1 if adding else -1)


def send_user_modes(ctx: Context, applied: list[Change]) -> None:
    """`:nick!u@h MODE nick :+i-B` to the user."""
    user = ctx.user
    for params in change_lines(applied, MAX_LINE):
        ctx.send(Message("MODE", [user.nick, *params], source=user.prefix),
                 force_trailing=True)
