"""KILL: a server operator disconnects a user. The victim gets the KILL and then
`ERROR :Closing Link: <host> (Killed (<oper> (<reason>)))`; everyone who shares a room
with it sees it QUIT with `Killed (<oper> (<reason>))`."""
import logging

from ircish.server.context import Context
from ircish.server.events import deliver, user_message
from ircish.server.registry import command

log = logging.getLogger("ircish.oper")


@command("KILL", usage="<nick> [<reason>]", oper_only=True,
         help="Disconnect a user from the server, with a reason everyone sees.")
def kill(ctx: Context, nick: str, reason: str = "") -> None:
    # Modern makes the reason mandatory, but servers commonly accept `KILL nick`:
    # refusing it helps nobody, so it gets a default.
    reason = reason or "No reason given"
    victim = ctx.find_user(nick)
    killer = ctx.user.nick
    log.info("%s killed %s (%s): %s", killer, victim.nick, victim.host, reason)
    deliver([victim], user_message(ctx.user, "KILL", victim.nick, reason))
    # Its own reader thread does the leaving (rooms, QUIT to peers) once woken.
    victim.terminate(f"Killed ({killer} ({reason}))")
