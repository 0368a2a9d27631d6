"""MODE: room and user modes. Rooms know operator status (+o/-o, given by operators);
users know +i (invisible), which clients set on connect."""
from __future__ import annotations

from ircish import errors
from ircish import numerics as N
from ircish.context import Context
from ircish.protocol import Message, casefold, is_room_name
from ircish.registry import command
from ircish.events import deliver, user_message
from ircish.replies import USER_MODES
from ircish.state import Room


@command("MODE", usage="<target> [<modes>] [<args>...]",
         help="Show a room's modes, give or take operator status (MODE #room +o nick), "
              "or set your own modes (MODE <nick> +i).")
def mode(ctx: Context, target: str, modes: str = "", *args: str) -> None:
    if is_room_name(target):
        room_mode(ctx, ctx.server.rooms.get(target), modes, list(args))
    else:
        user_mode(ctx, target, modes)


def room_mode(ctx: Context, room: Room, modes: str, args: list[str]) -> None:
    if not modes:
        ctx.reply(N.RPL_CHANNELMODEIS, room.name, "+")
        ctx.reply(N.RPL_CREATIONTIME, room.name, str(room.created))
        return
    applied: list[tuple[bool, str, str]] = []
    adding = True
    for char in modes:
        if char in "+-":
            adding = char == "+"
        elif char == "o" and args:
            nick = args.pop(0)
            ctx.each([nick], lambda n: _set_operator(ctx, room, n, adding, applied))
        elif char == "b" and not args:
            ctx.reply(N.RPL_ENDOFBANLIST, room.name, "End of channel ban list")  # none kept
        elif char != "o":
            ctx.reply(N.ERR_UNKNOWNMODE, char, errors.UnknownMode.text)
    if applied:
        deliver(room.members_snapshot,
                user_message(ctx.user, "MODE", room.name, *mode_change(applied), text=False))


def _set_operator(ctx: Context, room: Room, nick: str, on: bool,
                  applied: list[tuple[bool, str, str]]) -> None:
    target = ctx.server.nicks.get(nick)
    if target is None or not target.registered:
        raise errors.NoSuchNick(nick)
    if ctx.server.rooms.set_operator(room, ctx.user, target, on):
        applied.append((on, "o", target.nick))


def mode_change(applied: list[tuple[bool, str, str]]) -> list[str]:
    """[(True, "o", "a"), (False, "o", "b")] -> ["+o-o", "a", "b"]."""
    letters, args, sign = "", [], None
    for adding, char, arg in applied:
        if adding is not sign:
            letters += "+" if adding else "-"
            sign = adding
        letters += char
        if arg:
            args.append(arg)
    return [letters, *args]


def user_mode(ctx: Context, nick: str, modes: str) -> None:
    user = ctx.user
    if casefold(nick) != casefold(user.nick):
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
        elif (char in user.modes) != adding:
            (user.modes.add if adding else user.modes.discard)(char)
            applied.append((adding, char, ""))
            if char == "i":
                ctx.server.adjust_counts(invisible=1 if adding else -1)
    if applied:
        ctx.send(Message("MODE", [user.nick, *mode_change(applied)], source=user.prefix),
                 force_trailing=True)
    if unknown:
        raise errors.UnknownUserModeFlag()
