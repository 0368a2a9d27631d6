"""Which lines carry a password, so that none is kept: not in the input history file
(Up, Ctrl-R and the file on disk), not in the scrollback.

A message is secret when its command is one that carries a password or a code (`PASS`,
`OPER`, `AUTHENTICATE`, `REGISTER`, `VERIFY`), or when it asks NickServ to do something
with one: `PRIVMSG NickServ :IDENTIFY ...` as much as `/ns identify ...` or
`/nickserv register ...`, and `ACCOUNT PASSWORD` / `ACCOUNT DROP` (the server's own
account family, whose verbs take the password). A typed line is secret when one of the
messages it stands for is, or when it names such a command (`/register`, `/login`:
harmless to forget).
"""
from __future__ import annotations

from ..protocol import Message, ProtocolError, casefold
from .slash import Catalog, Say, Send, Where, interpret

SECRET_COMMANDS = frozenset({"PASS", "OPER", "AUTHENTICATE", "REGISTER", "VERIFY",
                             "LOGIN", "IDENTIFY"})
SERVICE_COMMANDS = frozenset({"NICKSERV", "NS"})
# Commands whose first parameter is a verb, some of which carry a password.
VERB_COMMANDS = SERVICE_COMMANDS | {"ACCOUNT"}
SERVICE_NICKS = frozenset({"nickserv"})
# What NickServ does with a password (or that may carry one): every verb of the usual
# services that takes one, and their harmless neighbours.
SECRET_VERBS = frozenset({"IDENTIFY", "ID", "LOGIN", "REGISTER", "VERIFY", "PASSWORD",
                          "PASSWD", "SET", "SASET", "GHOST", "RECOVER", "REGAIN",
                          "RELEASE", "GROUP", "DROP", "UNREGISTER", "CONFIRM"})


def secret_message(msg: Message) -> bool:
    command = msg.command.upper()
    if command in SECRET_COMMANDS:
        return True
    if command in VERB_COMMANDS:
        return _secret_verb(" ".join(msg.params))
    if command in ("PRIVMSG", "NOTICE") and len(msg.params) >= 2:
        target = casefold(msg.params[0].split("@", 1)[0])
        return target in SERVICE_NICKS and _secret_verb(msg.params[1])
    return False


def secret_command(line: str) -> bool:
    """A typed slash line naming a command that takes a password (`/register`, `/oper`,
    `/ns ...`): kept out of the history whatever its arguments."""
    if not line.startswith("/") or line.startswith("//"):
        return False
    name = line[1:].split(" ", 1)[0].upper()
    return name in SECRET_COMMANDS or name in SERVICE_COMMANDS


def _secret_verb(text: str) -> bool:
    words = text.split()
    return bool(words) and words[0].upper() in SECRET_VERBS


def carries_password(line: str, where: Where, catalog: Catalog) -> bool:
    """Whether a typed line holds a password: such a line is not kept in the input
    history (`/msg NickServ IDENTIFY ...`, `/quote PASS ...`, `/oper ...`)."""
    if secret_command(line):
        return True
    try:
        actions = interpret(line, where, catalog)
    except ProtocolError:
        return False
    return any(secret_message(a.message) if isinstance(a, Send) else
               isinstance(a, Say) and secret_message(Message("PRIVMSG", [a.target, a.text]))
               for a in actions)
