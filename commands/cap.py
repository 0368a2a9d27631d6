"""CAP: IRCv3 capability negotiation (version 302). Registration waits for CAP END."""
from ircish import errors
from ircish.context import Context
from ircish.protocol import Message, number
from ircish.registry import command
from ircish.replies import complete_registration

# name -> value advertised in CAP LS 302 (None: no value). Only what really works.
CAPABILITIES: dict[str, str | None] = {}


def _cap_reply(ctx: Context, sub: str, text: str) -> None:
    ctx.send(Message("CAP", [ctx.user.nick, sub, text], source=ctx.settings.server_name),
             force_trailing=True)


def _advertised(version: int) -> str:
    return " ".join(f"{name}={value}" if value and version >= 302 else name
                    for name, value in CAPABILITIES.items())


@command("CAP", usage="<subcommand> [<capabilities>]", before_registration=True,
         help="Negotiate IRCv3 capabilities: CAP LS [302], CAP LIST, CAP REQ :<caps>, CAP END.")
def cap(ctx: Context, subcommand: str, arg: str = "") -> None:
    sub = subcommand.upper()
    if sub in ("LS", "REQ") and not ctx.user.registered:
        ctx.conn.cap_negotiating = True
    if sub == "LS":
        version = number(arg) or 301
        _cap_reply(ctx, "LS", _advertised(version))
    elif sub == "LIST":
        _cap_reply(ctx, "LIST", " ".join(sorted(ctx.user.caps)))
    elif sub == "REQ":
        wanted = [w for w in arg.split(" ") if w]
        names = [w.lstrip("-") for w in wanted]
        if not wanted or any(n not in CAPABILITIES for n in names):
            _cap_reply(ctx, "NAK", arg)
            return
        for w in wanted:
            if w.startswith("-"):
                ctx.user.caps.discard(w[1:])
            else:
                ctx.user.caps.add(w)
        _cap_reply(ctx, "ACK", arg)
    elif sub == "END":
        if ctx.conn.cap_negotiating:
            ctx.conn.cap_negotiating = False
            complete_registration(ctx)
    else:
        raise errors.InvalidCapCommand(subcommand)
