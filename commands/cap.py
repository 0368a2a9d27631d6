"""CAP: IRCv3 capability negotiation (version 302). Registration waits for CAP END.

What is offered, and what each capability changes, is in `ircish/server/caps.py`; the
SASL mechanisms offered depend on the connection (`accounts/sasl.available`)."""
from collections.abc import Mapping

from ircish.protocol import MAX_LINE, Message, number
from ircish.server import caps, errors
from ircish.server.accounts import sasl
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.replies import complete_registration


def _cap_reply(ctx: Context, sub: str, text: str, more: bool = False) -> None:
    params = [ctx.user.nick, sub, *(["*"] if more else []), text]
    ctx.send(Message("CAP", params, source=ctx.settings.server_name), force_trailing=True)


@command("CAP", usage="<subcommand> [<capabilities>]", before_registration=True,
         help="Negotiate IRCv3 capabilities: CAP LS [302], CAP LIST, CAP REQ :<caps>, CAP END.")
def cap(ctx: Context, subcommand: str, arg: str = "") -> None:
    sub = subcommand.upper()
    user = ctx.user
    if sub in ("LS", "REQ") and not user.registered:
        ctx.session.cap_negotiating = True
    if sub == "LS":
        version = number(arg) or 301
        if version >= 302:
            user.caps.add("cap-notify")  # implied by 302
        head = len(f":{ctx.settings.server_name} CAP {user.nick} LS * :")
        lines = caps.ls_lines(version, MAX_LINE - 2 - head, offered(ctx))
        for i, line in enumerate(lines):
            _cap_reply(ctx, "LS", line, more=i < len(lines) - 1)
    elif sub == "LIST":
        _cap_reply(ctx, "LIST", " ".join(sorted(user.caps)))
    elif sub == "REQ":
        request(ctx, arg)
    elif sub == "END":
        if ctx.session.cap_negotiating:
            ctx.session.cap_negotiating = False
            complete_registration(ctx)
    else:
        raise errors.InvalidCapCommand(subcommand)


def offered(ctx: Context) -> Mapping[str, str | None]:
    """What this connection is offered (LS lists it, REQ may take from it): the
    server's features, and the SASL mechanisms that work over this connection."""
    return caps.offered(ctx.features, sasl.available(ctx.settings, ctx.user.tls),
                        caps.registration_value(ctx.settings))


def request(ctx: Context, arg: str) -> None:
    """All or nothing: one unknown name refuses the whole request (NAK)."""
    wanted = [w for w in arg.split(" ") if w]
    if not wanted or caps.unknown((w.removeprefix("-") for w in wanted), offered(ctx)):
        _cap_reply(ctx, "NAK", arg)
        return
    user = ctx.user
    enabled = set(user.caps)
    for w in wanted:
        if w.startswith("-"):
            enabled.discard(w[1:])
        else:
            enabled.add(w)
    user.caps = enabled
    profile = caps.profile(enabled)
    if profile != user.tag_profile:
        user.tag_profile = profile
        for room in user.room_list():  # the rooms' fanout groups members by profile
            room.republish()
    _cap_reply(ctx, "ACK", arg)
