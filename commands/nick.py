"""NICK: choose a nickname at registration, or change it later."""
from ircish.protocol import is_valid_nick
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.events import Event, deliver, new_msgid
from ircish.server.registry import command
from ircish.server.replies import complete_registration


@command("NICK", usage="<nick>", min_params=0, before_registration=True,
         help="Set or change your nickname; everyone who shares a room with you sees it.")
def nick(ctx: Context, new: str = "") -> None:
    if not new:
        raise errors.NoNicknameGiven()
    if not is_valid_nick(new, ctx.settings.nick_length):
        raise errors.ErroneousNickname(new)
    user = ctx.user
    if new == user.nick:
        return
    if not user.registered:
        ctx.nicks.claim(user, new)
        complete_registration(ctx)
        return
    old_prefix = user.prefix
    old = ctx.nicks.claim(user, new)
    ctx.whowas.record(user, old)
    ctx.monitors.nick_changed(user, old)
    event = Event(old_prefix, "NICK", [new], text=False, account=user.account,
                  bot="B" in user.modes, msgid=new_msgid())
    deliver(user.peers() | {user}, event)
    ctx.archive.user_event(user.room_list(), event, old)
