"""CHGHOST: a server operator changes a user's username and host (a cloak, a vhost).
Those sharing a room with the user who enabled chghost see the change as it happens;
others see the new host on the user's next line."""
import re

from ircish.protocol import Message
from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.registry import command

_USERNAME = re.compile(r"~?[A-Za-z0-9\-_.\[\]{}\\`^|]{1,15}")
_HOST = re.compile(r"[A-Za-z0-9\-.:/]{1,63}")


@command("CHGHOST", usage="<nick> <username> <host>", oper_only=True,
         help="Change a user's username and host, e.g. to a vhost (server operators).")
def chghost(ctx: Context, nick: str, username: str, host: str) -> None:
    target = ctx.find_user(nick)
    if not _USERNAME.fullmatch(username) or not _HOST.fullmatch(host) or host[0] == ":":
        ctx.send(Message("FAIL", ["CHGHOST", "INVALID_PARAMS",
                                  "That is not a valid username and host"],
                         source=ctx.settings.server_name), True)
        return
    event = user_message(target, "CHGHOST", username, host, text=False)  # old prefix
    target.username, target.host = username, host
    deliver(target.peers() | {target}, event, cap="chghost")
    ctx.send(Message("NOTICE", [ctx.user.nick, f"{nick} is now {target.prefix}"],
                     source=ctx.settings.server_name), True)
