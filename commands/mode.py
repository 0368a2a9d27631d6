"""MODE: room and user modes. Rooms have no settable modes yet (operators are given
at creation); the user mode +i is accepted, as clients set it on connect."""
from ircish import errors
from ircish import numerics as N
from ircish.context import Context
from ircish.protocol import Message, casefold, is_room_name
from ircish.registry import command

USER_MODES = set("i")


@command("MODE", usage="<target> [<modes>] [<args>...]",
         help="Show a room's modes (MODE #room) or set your own (MODE <nick> +i).")
def mode(ctx: Context, target: str, modes: str = "", *args: str) -> None:
    if is_room_name(target):
        room_mode(ctx, target, modes)
    else:
        user_mode(ctx, target, modes)


def room_mode(ctx: Context, name: str, modes: str) -> None:
    room = ctx.server.rooms.get(name)
    if not modes:
        ctx.reply(N.RPL_CHANNELMODEIS, room.name, "+")
        ctx.reply(N.RPL_CREATIONTIME, room.name, str(room.created))
        return
    if modes.lstrip("+") == "b":  # the ban list, asked for by clients on join: empty
        ctx.reply(N.RPL_ENDOFBANLIST, room.name, "End of channel ban list")
        return
    for char in modes:
        if char not in "+-":
            raise errors.UnknownMode(char)


def user_mode(ctx: Context, nick: str, modes: str) -> None:
    user = ctx.user
    if casefold(nick) != casefold(user.nick):
        raise errors.UsersDontMatch()
    if not modes:
        ctx.reply(N.RPL_UMODEIS, "+" + "".join(sorted(user.modes)))
        return
    adding, changed, unknown = True, [], False
    for char in modes:
        if char in "+-":
            adding = char == "+"
        elif char not in USER_MODES:
            unknown = True
        elif (char in user.modes) != adding:
            (user.modes.add if adding else user.modes.discard)(char)
            changed.append(("+" if adding else "-") + char)
    if changed:
        ctx.send(Message("MODE", [user.nick, "".join(changed)], source=user.prefix),
                 force_trailing=True)
    if unknown:
        raise errors.UnknownUserModeFlag()
