"""SETNAME: change your real name while connected (IRCv3 setname); the people you
share a room with see it if they enabled the capability."""
from ircish.protocol import Message
from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.registry import command


@command("SETNAME", usage="<realname>",
         help="Change your real name (the one WHOIS shows) without reconnecting.")
def setname(ctx: Context, realname: str) -> None:
    user = ctx.user
    if len(realname) > ctx.settings.realname_length:  # (empty: 461, from the dispatcher)
        ctx.send(Message("FAIL", ["SETNAME", "INVALID_REALNAME",
                                  f"Real name must be 1 to {ctx.settings.realname_length} "
                                  "characters"], source=ctx.settings.server_name), True)
        return
    user.realname = realname
    deliver(user.peers() | {user}, user_message(user, "SETNAME", realname), cap="setname")
