"""What a line typed in the client means: plain text, a slash command, or `//text`.

`interpret()` is pure: given a line and where the user is (the current buffer), it
returns the actions to carry out (send a message, open a buffer, switch, quit, ...).
The session performs them; the tests read as a table of lines and actions.

Commands come from one `Catalog`: the server's plugin entries (the same ones its
dispatcher and HELP use, read from the plugins' source without importing the server)
plus the client's own commands, declared with the same `@command` decorator so they
share the usage grammar, the arity rule and the help.
A slash command neither side knows is sent to the server as typed, so new server
plugins work without a client change.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from ..commandspec import (
    Command,
    CommandSpec,
    CommandTable,
    builtin_plugin_folder,
    command,
    read_folder,
)
from ..protocol import (
    Message,
    ProtocolError,
    is_room_name,
    number,
    parse_line,
    split_list,
)

# --- actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """Text for a room or a nick, echoed locally (the server does not echo it back)."""
    target: str
    text: str
    kind: str = "message"      # "message", "action" (/me) or "notice"


@dataclass(frozen=True)
class Send:
    message: Message


@dataclass(frozen=True)
class OpenQuery:
    nick: str


@dataclass(frozen=True)
class CloseBuffer:
    name: str | None           # None: the current buffer


@dataclass(frozen=True)
class SwitchTo:
    index: int | None = None   # 1-based, as shown in the buffer list
    name: str | None = None


@dataclass(frozen=True)
class Info:
    text: str


@dataclass(frozen=True)
class Error:
    text: str


@dataclass(frozen=True)
class Quit:
    reason: str = ""


@dataclass(frozen=True)
class Search:
    """Ask the server's history (soju.im/search); empty `words` with a room or a nick."""
    words: str
    room: str | None = None
    nick: str | None = None


@dataclass(frozen=True)
class Goto:
    number: int | None = None  # a search result, 1-based; None: the one selected


@dataclass(frozen=True)
class Redact:
    number: int = 1            # my messages in this buffer, counted back from the last
    reason: str = ""


@dataclass(frozen=True)
class AskPassword:
    """Ask for a password, hidden, then register (`/register`) or log in (`/login`)."""
    purpose: str               # "register" or "login"
    email: str = ""            # register: the address, if any
    account: str = ""          # login: the account ("" for the usual one)


@dataclass(frozen=True)
class Logout:
    pass


Action = (Say | Send | OpenQuery | CloseBuffer | SwitchTo | Info | Error | Quit
          | Search | Goto | Redact | AskPassword | Logout)


@dataclass(frozen=True)
class Where:
    """The current buffer as the interpreter needs it: its name and kind."""
    name: str | None = None    # a room or a nick; None for the server buffer
    kind: str = "server"       # "server", "room" or "query"

    @property
    def room(self) -> str | None:
        return self.name if self.kind == "room" else None


@dataclass
class CommandContext:
    """Handed to client command handlers, which add actions (as the server's ctx.reply)."""
    where: Where
    catalog: Catalog
    actions: list[Action] = field(default_factory=list)

    def act(self, *actions: Action) -> None:
        self.actions.extend(actions)

    def usage_error(self, name: str) -> None:
        self.act(Error(self.catalog.usage(name)))


# --- the client's own commands ------------------------------------------------------

@command("QUERY", usage="<nick> [<text>]",
         help="Open a private chat with someone, optionally saying something.")
def query(ctx: CommandContext, nick: str, text: str = "") -> None:
    if is_room_name(nick):
        ctx.act(Error(f"/query is for people; use /join {nick} for a room"))
        return
    ctx.act(OpenQuery(nick))
    if text:
        ctx.act(Say(nick, text))


@command("ME", usage="<text>", help="Describe an action: /me waves shows as '* you waves'.")
def me(ctx: CommandContext, text: str) -> None:
    if ctx.where.name is None:
        ctx.act(Error("/me works in a room or a private chat"))
    else:
        ctx.act(Say(ctx.where.name, text, "action"))


@command("CLOSE", usage="[<buffer>]",
         help="Close a buffer (leaving the room if it is one); the current one by default.")
def close(ctx: CommandContext, name: str = "") -> None:
    ctx.act(CloseBuffer(name or None))


@command("WIN", usage="<number>", help="Switch to buffer number N (as in the buffer list).")
def win(ctx: CommandContext, index: str) -> None:
    position = number(index)
    if position is not None:
        ctx.act(SwitchTo(index=position))
    else:
        ctx.usage_error("WIN")


@command("BUFFER", usage="<name>", help="Switch to a buffer by name (a room or a nick).")
def buffer(ctx: CommandContext, name: str) -> None:
    index = number(name)
    ctx.act(SwitchTo(index=index) if index is not None else SwitchTo(name=name))


@command("QUOTE", usage="<line>", aliases=("RAW",),
         help="Send a raw IRC line to the server, e.g. /quote MODE #room.")
def quote(ctx: CommandContext, line: str) -> None:
    try:
        ctx.act(Send(parse_line(line)))
    except ProtocolError:
        ctx.usage_error("QUOTE")


@command("SEARCH", usage="<words>...",
         help="Search the history: /search words [in #room] [from nick]. The results "
              "open in a buffer: Up/Down and Enter (or /goto N) open one where it was said.")
def search(ctx: CommandContext, *words: str) -> None:
    text: list[str] = []
    found: dict[str, str] = {}
    rest = list(words)
    while rest:
        word = rest.pop(0)
        key, following = word.lower(), rest[0] if rest else ""
        if (key == "in" and "in" not in found and is_room_name(following)) \
                or (key == "from" and "from" not in found and following):
            found[key] = rest.pop(0)   # not a word to look for: "in the park" stays one
        else:
            text.append(word)
    if text or found:
        ctx.act(Search(" ".join(text), found.get("in"), found.get("from")))
    else:
        ctx.usage_error("SEARCH")


@command("GOTO", usage="[<result>]",
         help="Open search result N (by default the one selected) in its room, at the message.")
def goto(ctx: CommandContext, which: str = "") -> None:
    position = number(which) if which else None
    if which and position is None:
        ctx.usage_error("GOTO")
    else:
        ctx.act(Goto(position))


@command("REDACT", usage="[<sent>] [<reason>]",
         help="Remove a message you sent here: your last, or the Nth counting back "
              "(Tab lists them), with an optional reason.")
def redact(ctx: CommandContext, which: str = "", reason: str = "") -> None:
    position = number(which) if which else 1
    if ctx.where.name is None:
        ctx.act(Error("/redact works in a room or a private chat"))
    elif position is None:     # no number: it was all the reason
        ctx.act(Redact(1, f"{which} {reason}".strip()))
    else:
        ctx.act(Redact(position, reason))


@command("REGISTER", usage="[<email>]",
         help="Create an account named after your nick; the password is asked next, "
              "hidden (never type it on this line). Give an email if the server wants one.")
def register(ctx: CommandContext, email: str = "") -> None:
    if " " in email:
        ctx.act(Error("Type /register [email] alone: the password is asked next, hidden"))
    else:
        ctx.act(AskPassword("register", email=email))


@command("LOGIN", usage="[<account>]",
         help="Log in to your account (by default the one named after your nick); the "
              "password is asked next, hidden. Uses SASL, else NickServ.")
def login(ctx: CommandContext, account: str = "") -> None:
    if " " in account:
        ctx.act(Error("Type /login [account] alone: the password is asked next, hidden"))
    else:
        ctx.act(AskPassword("login", account=account))


@command("LOGOUT",
         help="Log out: IRC has no standard command for it, so ircish reconnects without "
              "logging in (your rooms are rejoined).")
def logout(ctx: CommandContext) -> None:
    ctx.act(Logout())


CLIENT_COMMANDS: tuple[Command, ...] = (query, me, close, win, buffer, quote, search, goto,
                                        redact, register, login, logout)


# --- client behaviour for some server commands (same usage and help as the server's) --

def _say(ctx: CommandContext, targets: str, text: str, kind: str = "message") -> None:
    ctx.act(*(Say(target, text, kind) for target in split_list(targets)))


def _privmsg(ctx: CommandContext, targets: str, text: str) -> None:
    _say(ctx, targets, text)


def _notice(ctx: CommandContext, targets: str, text: str) -> None:
    _say(ctx, targets, text, "notice")


def _join(ctx: CommandContext, rooms: str, keys: str = "") -> None:
    # `/join dev` is what people type; a room name needs its '#'.
    names = ",".join(r if is_room_name(r) or r == "0" else "#" + r for r in split_list(rooms))
    ctx.act(Send(Message("JOIN", [names, keys] if keys else [names])))


def _quit(ctx: CommandContext, reason: str = "") -> None:
    ctx.act(Quit(reason))


def _help(ctx: CommandContext, subject: str = "") -> None:
    catalog = ctx.catalog
    if not subject:
        ctx.act(Info("Commands (/help <command> for one):"))
        ctx.act(*(Info(f"  /{c.synopsis.lower():<34} {c.help}") for c in catalog.commands()))
        ctx.act(Info("Plain text goes to the current buffer; //text sends text starting with '/'."))
        return
    cmd = catalog.get(subject.lstrip("/"))
    if cmd is None:  # perhaps a plugin only the server knows
        ctx.act(Send(Message("HELP", [subject])))
        return
    aliases = f" (also /{', /'.join(a.lower() for a in cmd.aliases)})" if cmd.aliases else ""
    ctx.act(Info(f"/{cmd.synopsis.lower()}{aliases}"), Info(f"  {cmd.help}"))


# Commands that mean the current room when typed in one without naming a room.
ROOM_DEFAULT = frozenset({"PART", "TOPIC", "NAMES", "WHO"})

# Registration, keep-alive, login and read-marker commands: the client sends them
# itself, so /help and completion leave them out (they still work when typed).
PROTOCOL_ONLY = frozenset({"CAP", "PASS", "USER", "PING", "PONG", "AUTHENTICATE", "MARKREAD"})

OVERRIDES: dict[str, Callable[..., None]] = {
    "PRIVMSG": _privmsg, "NOTICE": _notice, "JOIN": _join, "QUIT": _quit, "HELP": _help,
}


# --- the catalog ------------------------------------------------------------------

class Catalog:
    """Every command the client knows: its own first, then the server's."""

    def __init__(self, server: CommandTable[CommandSpec] | None = None) -> None:
        self.server: CommandTable[CommandSpec] = (
            server if server is not None
            else CommandTable(read_folder(builtin_plugin_folder()), "ircish.server.commands"))
        self.client: CommandTable[Command] = CommandTable(CLIENT_COMMANDS, "ircish.client")
        for name, handler in OVERRIDES.items():
            entry = self.server.get(name)
            if entry is not None:   # the client's own commands keep their names (QUERY, ME)
                aliases = tuple(a for a in entry.aliases if self.client.get(a) is None)
                own = Command.carrying(dataclasses.replace(entry, aliases=aliases), handler)
                self.client.add(own, "ircish.client")

    def get(self, name: str) -> CommandSpec | None:
        return self.client.get(name) or self.server.get(name)

    def commands(self) -> list[CommandSpec]:
        """Each command once, by name: what /help lists and completion offers."""
        merged = {c.name: c for c in self.server.commands()}
        merged.update({c.name: c for c in self.client.commands()})
        return sorted((c for c in merged.values() if c.name not in PROTOCOL_ONLY),
                      key=lambda c: c.name)

    def usage(self, name: str) -> str:
        cmd = self.get(name)
        return f"Usage: /{name.lower()} {cmd.usage}".rstrip() if cmd else f"Unknown command /{name}"


# --- interpreting a line ----------------------------------------------------------

def interpret(line: str, where: Where, catalog: Catalog) -> list[Action]:
    """The actions one input line asks for (a pasted block is split into lines first)."""
    if not line.strip():
        return [Goto()] if where.kind == "search" else []   # Enter opens the selected result
    if line.startswith("//"):
        return _plain(line[1:], where)
    if not line.startswith("/"):
        return _plain(line, where)
    name = line[1:].split(" ", 1)[0]
    if not name:
        return [Error("Type a command after '/', or // to send text starting with '/'")]
    cmd = catalog.get(name)
    if cmd is None:
        return [Send(parse_line(line[1:]))]  # unknown here: the server may know it
    own = catalog.client.get(name)
    args = line[1:].partition(" ")[2].lstrip(" ")
    if where.room and cmd.name in ROOM_DEFAULT and _names_no_room(cmd, args):
        args = f"{where.room} {args}".rstrip()  # `/topic new text`, `/part`: this room
    msg = Message(cmd.name, cmd.usage.split(args))
    if len(msg.params) < cmd.usage.required:
        return [Error(catalog.usage(name))]
    if not own:
        return [Send(msg)]
    ctx = CommandContext(where, catalog)
    own(ctx, *msg.params)
    return ctx.actions


def _plain(text: str, where: Where) -> list[Action]:
    if where.kind == "search":
        index = number(text.strip())
        return [Goto(index)] if index is not None else [
            Error("These are search results: Enter or a result's number opens it")]
    if where.name is None:
        return [Error("This is the server buffer: /join a room or /query someone to talk")]
    return [Say(where.name, text)]


def _names_no_room(cmd: CommandSpec, args: str) -> bool:
    """Whether the arguments leave out the room: none at all, or a first word that is
    not a room where the usage wants one first (`/part see you`)."""
    if not args:
        return True
    wants_room = cmd.usage.kind(0) == "room"
    return wants_room and not is_room_name(args.partition(" ")[0])

