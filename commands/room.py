"""ROOM: rooms that belong to an account (ergo's ChanServ REGISTER, DROP, AMODE, INFO,
TRANSFER). ChanServ (`chanserv.py`) calls these same functions.

- `ROOM REGISTER <#room>`: an operator of the room (`@`), logged in, makes its account
  the room's founder. A registered room stays while empty and across restarts (topic,
  modes, key, limit, bans, founder, access list) until dropped; nobody gets `@` by
  joining it first; its founder gets `@` on every join.
- `ROOM DROP <#room>`: the founder (or a server operator) unregisters it: it becomes an
  ordinary room again (gone at once if empty).
- `ROOM AMODE <#room> [+o|-o|+v|-v <account>]`: the founder (or a server operator) edits
  the access list: those accounts get `@` (`+o`) or `+` (`+v`) whenever they join.
  Without a change it lists the entries (anyone who can see the room).
- `ROOM INFO <#room>`: whether and to whom the room is registered, and its access list.
- `ROOM TRANSFER <#room> <account>`: the founder (or a server operator) hands the room
  to another account.
A grant applies at once to members present (and to a member as it logs in, as ergo
does): `:<server> MODE #room +o <nick>` to the room. Nothing is taken at logout.

Replies (standard replies; ROOM INFO's are parsed by the client, their shape is fixed):
  SUCCESS ROOM REGISTER <#room> <account> :<text>
  SUCCESS ROOM DROP <#room> :<text>
  SUCCESS ROOM AMODE <#room> <account> <+o|-o|+v|-v> :<text>    (a change)
  SUCCESS ROOM AMODE <#room> :<text>                            (after the list)
  SUCCESS ROOM TRANSFER <#room> <account> :<text>
  NOTE ROOM REGISTERED <#room> <founder> <registered_at unix seconds> :<text>
  NOTE ROOM AMODE <#room> <account> <+o|+v> :<text>             (one per entry)
  NOTE ROOM NOT_REGISTERED <#room> :<#room> is not registered
Failures: `FAIL ROOM <code> <#room> [<more>] :<text>`, codes:
  NO_SUCH_ROOM        no such room, or a secret one the user cannot see
  ACCOUNT_REQUIRED    REGISTER while not logged in
  NOT_OPERATOR        REGISTER without `@` in the room
  ALREADY_REGISTERED  REGISTER of a registered room
  NOT_REGISTERED      DROP, AMODE, TRANSFER of a room nobody registered
  NOT_FOUNDER         DROP, an AMODE change or TRANSFER by someone else (not a server operator)
  CONFIGURED          DROP or TRANSFER of a room whose founder rooms.yaml names
  INVALID_MODE        AMODE with a change other than +o -o +v -v (`<#room> <change>`)
  NEED_MORE_PARAMS    AMODE with a change but no account, TRANSFER without an account
  NO_SUCH_ACCOUNT     AMODE or TRANSFER naming no registered account (`<#room> <account>`)
  UNKNOWN_COMMAND     an unknown subcommand (`FAIL ROOM UNKNOWN_COMMAND <subcommand> :…`)
"""
from __future__ import annotations

import time
from collections.abc import Callable

from ircish.protocol import casefold
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.standard_replies import Fail, failures, safe, standard_reply
from ircish.server.state import Room

Subcommand = Callable[[Context, list[str]], None]
CHANGES = ("+o", "-o", "+v", "-v")


@command("ROOM", usage="<subcommand> <room> [<args>...]", cost=2,
         help="Own a room with your account (@ on every join, kept for ever): ROOM "
              "REGISTER|DROP|INFO <room>, ROOM AMODE <room> [+o|-o|+v|-v <account>] "
              "(who gets @ or + on joining), ROOM TRANSFER <room> <account>.")
def room_command(ctx: Context, subcommand: str, name: str, *args: str) -> None:
    with failures(ctx):
        run = SUBCOMMANDS.get(subcommand.upper())
        if run is None:
            raise Fail("ROOM", "UNKNOWN_COMMAND", safe(subcommand),
                       text="Unknown subcommand: ROOM REGISTER, DROP, AMODE, INFO or "
                            "TRANSFER <room>")
        run(ctx, [name, *args])


# --- the subcommands (ChanServ's verbs call these too) ---------------------------------

def register_room(ctx: Context, args: list[str]) -> None:
    """REGISTER <#room>: the calling operator's account becomes the founder."""
    user = ctx.user
    room = _visible_room(ctx, args)
    account = user.account
    if account is None:
        raise Fail("ROOM", "ACCOUNT_REQUIRED", room.name,
                   text="You must be logged in to an account to register a room")
    with room.lock:
        if room.registered:
            raise Fail("ROOM", "ALREADY_REGISTERED", room.name,
                       text=f"{room.name} is already registered")
        if not room.is_operator(user):
            raise Fail("ROOM", "NOT_OPERATOR", room.name,
                       text=f"You must be an operator of {room.name} to register it")
        room.founder, room.registered_at = casefold(account), int(time.time())
        room.keeper.room_changed(room)
    # the founder's other connections in the room get their @ too
    ctx.rooms.apply_access(room, ctx.accounts.connections(account), True, "o", user)
    standard_reply(ctx, "SUCCESS", "ROOM", "REGISTER", room.name, account,
                   text=f"{room.name} is now registered to {account}")


def drop_room(ctx: Context, args: list[str]) -> None:
    """DROP <#room>: no longer registered (founder or server operator)."""
    room = _visible_room(ctx, args)
    with room.lock:
        _check_founder(ctx, room)
        room.unregister()
    ctx.rooms.drop_if_empty(room)
    standard_reply(ctx, "SUCCESS", "ROOM", "DROP", room.name,
                   text=f"{room.name} is no longer registered")


def amode(ctx: Context, args: list[str]) -> None:
    """AMODE <#room> [<change> <account>]: list or edit the access list."""
    room = _visible_room(ctx, args)
    if len(args) < 2:
        _list_access(ctx, room)
        return
    change = args[1]
    if change not in CHANGES:
        raise Fail("ROOM", "INVALID_MODE", room.name, safe(change),
                   text="The change must be +o, -o, +v or -v")
    name = _account(ctx, room, args[2:], f"AMODE {change}")
    adding, letter, key = change[0] == "+", change[1], casefold(name)
    with room.lock:
        _check_founder(ctx, room, config_ok=True)
        before = room.access.get(key)
        if adding:
            room.access[key] = letter
        elif before == letter:
            del room.access[key]
        changed = room.access.get(key) != before
        if changed:
            room.keeper.room_changed(room)
    if changed:
        ctx.rooms.apply_access(room, ctx.accounts.connections(name), adding, letter,
                               ctx.user)
    text = (f"{name} gets {change} in {room.name} on joining" if adding
            else f"{name} no longer gets +{letter} in {room.name} on joining")
    standard_reply(ctx, "SUCCESS", "ROOM", "AMODE", room.name, name, change, text=text)


def room_info(ctx: Context, args: list[str]) -> None:
    """INFO <#room>: the founder, when, and the access list; or that nobody owns it."""
    room = _visible_room(ctx, args)
    with room.lock:
        founder, registered_at = room.founder, room.registered_at
        entries = list(room.access.items())
    if founder is None:
        standard_reply(ctx, "NOTE", "ROOM", "NOT_REGISTERED", room.name,
                       text=f"{room.name} is not registered")
        return
    owner = _display(ctx, founder)
    standard_reply(ctx, "NOTE", "ROOM", "REGISTERED", room.name, owner,
                   str(registered_at or 0), text=f"{room.name} is registered to {owner}")
    _send_entries(ctx, room, entries)


def transfer_room(ctx: Context, args: list[str]) -> None:
    """TRANSFER <#room> <account>: another account becomes the founder."""
    room = _visible_room(ctx, args)
    name = _account(ctx, room, args[1:], "TRANSFER")
    with room.lock:
        _check_founder(ctx, room)
        room.founder = casefold(name)
        room.keeper.room_changed(room)
    ctx.rooms.apply_access(room, ctx.accounts.connections(name), True, "o", ctx.user)
    standard_reply(ctx, "SUCCESS", "ROOM", "TRANSFER", room.name, name,
                   text=f"{room.name} now belongs to {name}")


SUBCOMMANDS: dict[str, Subcommand] = {
    "REGISTER": register_room, "DROP": drop_room, "AMODE": amode, "INFO": room_info,
    "TRANSFER": transfer_room,
}


# --- shared checks ---------------------------------------------------------------------

def _visible_room(ctx: Context, args: list[str]) -> Room:
    """The room `args` names, if the user may see it (its founder always may)."""
    if not args:
        raise Fail("ROOM", "NEED_MORE_PARAMS", "*", text="Name a room")
    room = ctx.rooms.find(args[0])
    user = ctx.user
    if room is None or not (room.visible_to(user) or _is_founder(user.account, room)):
        raise Fail("ROOM", "NO_SUCH_ROOM", safe(args[0]), text="No such room")
    return room


def _is_founder(account: str | None, room: Room) -> bool:
    return account is not None and casefold(account) == room.founder


def _check_founder(ctx: Context, room: Room, config_ok: bool = False) -> None:
    """Caller holds room.lock: the room is registered and the user is its founder or
    a server operator; unless `config_ok`, its founder is not rooms.yaml's."""
    user = ctx.user
    if not room.registered:
        raise Fail("ROOM", "NOT_REGISTERED", room.name, text=f"{room.name} is not registered")
    if not (user.is_oper or _is_founder(user.account, room)):
        raise Fail("ROOM", "NOT_FOUNDER", room.name,
                   text=f"Only the founder of {room.name} may do that")
    if room.founder_from_config and not config_ok:
        raise Fail("ROOM", "CONFIGURED", room.name,
                   text=f"The founder of {room.name} is set in rooms.yaml: change it there")


def _account(ctx: Context, room: Room, rest: list[str], what: str) -> str:
    """The registered name of the account `rest` names."""
    if not rest:
        raise Fail("ROOM", "NEED_MORE_PARAMS", room.name, text=f"{what} needs an account")
    record = ctx.accounts.get(rest[0])
    if record is None:
        raise Fail("ROOM", "NO_SUCH_ACCOUNT", room.name, safe(rest[0]),
                   text=f"{rest[0][:64]} is not a registered account")
    return record.name


def _display(ctx: Context, key: str) -> str:
    """An account as people see it: its registered name (the key if it is gone or not
    registered yet, as a rooms.yaml account may be)."""
    record = ctx.accounts.get(key)
    return record.name if record is not None else key


def _list_access(ctx: Context, room: Room) -> None:
    with room.lock:
        registered, entries = room.registered, list(room.access.items())
    if not registered:
        raise Fail("ROOM", "NOT_REGISTERED", room.name, text=f"{room.name} is not registered")
    _send_entries(ctx, room, entries)
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    standard_reply(ctx, "SUCCESS", "ROOM", "AMODE", room.name,
                   text=f"End of the access list of {room.name} ({count})")


def _send_entries(ctx: Context, room: Room, entries: list[tuple[str, str]]) -> None:
    for key, letter in entries:
        name = _display(ctx, key)
        standard_reply(ctx, "NOTE", "ROOM", "AMODE", room.name, name, "+" + letter,
                       text=f"{name} gets +{letter} in {room.name} on joining")
