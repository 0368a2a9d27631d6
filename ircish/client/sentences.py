"""What the server says, as lines for the user: numeric replies (`401 alice bob :No such
nick` -> `bob: No such nick`) and room events (`:bob!b@h PART #dev :lunch` -> `bob left
#dev (lunch)`), the latter worded the same whether they happen now or are replayed
from the server's history.

For numerics, one table of templates for the replies worth a better wording; anything else (new
numerics, other servers' extras) gets the generic form, so nothing is ever hidden
by accident. `{n}` is the message's n-th parameter (0 is my own nick); a function
gets the parameters when a format string is not enough.
"""
from __future__ import annotations

from collections.abc import Callable
from string import Formatter

from ..protocol import Message, casefold

HIDDEN = object()

Template = str | Callable[[list[str]], str] | object   # object: HIDDEN

TEMPLATES: dict[str, Template] = {
    "004": HIDDEN, "005": HIDDEN,                       # server capabilities
    "301": "{1} is away: {2}",
    "311": "{1} is {2}@{3} ({5})",
    "312": "{1} is connected to {2} ({3})",
    "317": "{1} has been idle for {2} seconds",
    "318": HIDDEN,
    "319": "{1} is in {2}",
    "315": HIDDEN,
    "321": "Rooms (members, topic):",
    "322": "  {1} ({2}) {3}",
    "323": HIDDEN,
    "324": "Modes of {1}: {2}",
    "329": HIDDEN,
    "352": lambda p: f"  {p[5]} ({p[2]}@{p[3]}) in {p[1]}{' (away)' * p[6].startswith('G')}: "
                     f"{p[7].partition(' ')[2]}",
    "313": "{1} is an IRC operator",
    "335": "{1} is a bot",
    "341": "You invited {1} to {2}",
    "367": "  {1} bans {2} (set by {3})",
    "368": HIDDEN,
    "381": "You are now an IRC operator",
    "730": "Online: {1}",
    "731": "Offline: {1}",
    "704": "{2}", "705": "{2}", "706": HIDDEN,
    "330": "{1} is logged in as {2}",
    # Logging in (sasl-3.1): 900 says as whom, so 903 need not; 908 lists the
    # mechanisms for the SASL exchange, which falls back by itself.
    "900": "You are now logged in as {2}",
    "901": "You are now logged out",
    "902": "Not logged in: {1}",
    "903": HIDDEN,
    "904": "Not logged in: {1} (wrong account or password? /login tries again)",
    "905": "Not logged in: {1}",
    "906": "Not logged in: {1}",
    "907": "{1}",
    "908": HIDDEN,
}

# Connection-level replies: they belong to the server buffer, not the current one.
SERVER_BUFFER = {"001", "002", "003", "251", "252", "253", "254", "255", "265", "266",
                 "372", "375", "376", "422"}


def generic(msg: Message) -> str:
    """The parameters after my nick: the middle ones, then `: text`."""
    *middle, last = msg.params[1:] or [""]
    return f"{' '.join(middle)}: {last}" if middle else last


def describe_numeric(msg: Message, nick: str) -> tuple[str, str | None, str]:
    """(line kind, text or None to show nothing, "server" or "current")."""
    kind = "error" if msg.command[0] in "45" else "info"
    where = "server" if msg.command in SERVER_BUFFER else "current"
    template = TEMPLATES.get(msg.command)
    if template is HIDDEN:
        return kind, None, where
    if isinstance(template, str):
        needed = [int(f) for _, f, _, _ in Formatter().parse(template) if f]
        if max(needed, default=0) < len(msg.params):
            return kind, template.format(*msg.params), where
    elif callable(template):
        try:
            return kind, template(msg.params), where
        except IndexError:
            pass   # fewer parameters than this server should send
    return kind, generic(msg), where


# --- messages and room events -----------------------------------------------------

def spoken(msg: Message) -> tuple[str, str] | None:
    """A PRIVMSG or NOTICE as (line kind, text): "message", "notice", or "action" for
    `/me` (CTCP ACTION). None for other CTCP requests (VERSION, PING): not shown."""
    if len(msg.params) < 2:
        return None
    kind, text = ("notice" if msg.command == "NOTICE" else "message"), msg.params[1]
    if text.startswith("\x01"):
        verb, _, rest = text.strip("\x01").partition(" ")
        if verb.upper() != "ACTION":
            return None
        return "action", rest
    return kind, text


def nick_of(source: str | None) -> str:
    return (source or "").split("!", 1)[0]


def event_sentence(msg: Message, me: str) -> str | None:
    """How JOIN, PART, KICK, QUIT, NICK, TOPIC and MODE read (None for anything else,
    or a line too short to mean anything); `me` is my nick, for "You"."""
    nick, params = nick_of(msg.source), msg.params
    mine = casefold(nick) == casefold(me)
    arg = params[1] if len(params) > 1 else ""
    if msg.command == "QUIT":
        return f"{nick} quit ({params[0]})" if params and params[0] else f"{nick} quit"
    if not params or not params[0]:
        return None
    if msg.command == "JOIN":
        host = (msg.source or "").partition("!")[2]
        who = "You" if mine else f"{nick} ({host})" if host else nick
        return f"{who} joined {params[0]}"
    if msg.command == "PART":
        return f"{'You' if mine else nick} left {params[0]}" + (f" ({arg})" if arg else "")
    if msg.command == "KICK" and arg:
        reason = params[2] if len(params) > 2 else ""
        return f"{arg} was kicked by {nick} ({reason})"
    if msg.command == "NICK":
        return f"You are now known as {params[0]}" if mine else \
            f"{nick} is now known as {params[0]}"
    if msg.command == "TOPIC":
        return f"{nick} changed the topic to: {arg}" if arg else f"{nick} cleared the topic"
    if msg.command == "MODE" and arg:
        return f"{nick} sets mode {' '.join(params[1:])}"
    return None
