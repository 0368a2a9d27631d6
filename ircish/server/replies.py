"""How numerics look on the wire, and the reply sequences that more than one command
sends (the welcome burst, LUSERS, MOTD, NAMES, topic), so that each is written once."""
from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import __version__
from .. import numerics as N
from ..protocol import MAX_LINE, Message, mask_matches, pack
from . import errors
from .accounts import enforcement
from .accounts.login import before_welcome
from .modes import MAX_KEY_LENGTH

if TYPE_CHECKING:
    from .context import Context
    from .state import Room

VERSION = f"ircish-{__version__}"
USER_MODES = "Bio"             # 004: bot, invisible, operator
ROOM_MODES = "biklmnostv"      # 004: every room mode
PARAM_MODES = "bklov"          # 004's optional sixth field: room modes taking a parameter
PREFIXES = "(ov)@+"            # PREFIX: mode letters and their prefixes, highest first
MODES_PER_LINE = 6             # MODES: parameter modes one MODE command may carry

# Numerics whose last parameter is a value, not text: sent without a forced ':'.
NOT_TEXT_NUMERICS = frozenset({N.RPL_MYINFO, N.RPL_UMODEIS, N.RPL_CHANNELMODEIS,
                               N.RPL_CREATIONTIME, N.RPL_TOPICWHOTIME, N.RPL_WHOSPCRPL,
                               N.RPL_INVITING, N.RPL_BANLIST, N.RPL_INVITELIST})


def numeric_line(server_name: str, nick: str, numeric: str, *params: str) -> bytes:
    """`:<server> <numeric> <nick> <params…>` with CRLF: the last parameter goes as
    text (after ':') unless the numeric carries a value there."""
    msg = Message(numeric, [nick, *params], source=server_name)
    return msg.to_bytes(force_trailing=numeric not in NOT_TEXT_NUMERICS)


def numeric_lines(server_name: str, nick: str, numeric: str, *params: str,
                  items: Iterable[str], sep: str = " ") -> list[bytes]:
    """`numeric` lines whose text carries `items` joined by `sep`, as many as the line
    limit needs (none for no items): NAMES, WHOIS's rooms, MONITOR's lists."""
    head = " ".join((f":{server_name}", numeric, nick, *params)) + " :"
    budget = MAX_LINE - 2 - len(head.encode())
    return [numeric_line(server_name, nick, numeric, *params, text)
            for text in pack(items, budget, sep)]


def isupport_tokens(ctx: Context) -> list[str]:
    s = ctx.settings
    return [
        f"NETWORK={s.network}", "CASEMAPPING=ascii", "CHANTYPES=#",
        f"CHANLIMIT=#:{s.max_rooms_per_user}", f"CHANNELLEN={s.room_length}",
        f"NICKLEN={s.nick_length}", f"TOPICLEN={s.topic_length}", f"PREFIX={PREFIXES}",
        f"TARGMAX=PRIVMSG:{s.max_targets},NOTICE:{s.max_targets},TAGMSG:{s.max_targets},"
        f"JOIN:,PART:,KICK:,NAMES:{s.max_targets},WHOIS:1,MONITOR:",
        f"MAXTARGETS={s.max_targets}", "SAFELIST", "STATUSMSG=@+", "CHANMODES=b,k,l,imnst",
        f"MODES={MODES_PER_LINE}", f"MAXLIST=b:{s.max_bans}", f"WHOWAS={s.whowas_size}",
        "ELIST=MNU", "WHOX", f"MONITOR={s.monitor_size}", "BOT=B", f"NAMELEN={s.realname_length}",
        f"KEYLEN={MAX_KEY_LENGTH}",
        *([f"CHATHISTORY={s.history_query_limit}", "MSGREFTYPES=timestamp,msgid"]
          if "history" in ctx.features else []),
    ]


def require_this_server(ctx: Context, target: str) -> None:
    """The optional <server> of INFO, VERSION, TIME, ADMIN, MOTD, WHOIS: this server's
    name (a mask may match it) or a nick on it; anything else is 402 (RFC 2812 3.4)."""
    if not target or mask_matches(target, ctx.settings.server_name):
        return
    user = ctx.nicks.get(target)
    if user is None or not user.registered:
        raise errors.NoSuchServer(target)


def send_isupport(ctx: Context) -> None:
    tokens = isupport_tokens(ctx)
    for start in range(0, len(tokens), 12):  # at most 13 tokens a line (modern.ircdocs)
        ctx.reply(N.RPL_ISUPPORT, *tokens[start:start + 12], "are supported by this server")


def complete_registration(ctx: Context) -> None:
    """Send the welcome burst once NICK, USER and (if started) CAP negotiation are done,
    if the connection password is right; if not, 464 and the connection is closed."""
    user = ctx.user
    if user.registered or user.nick == "*" or not user.username or ctx.session.cap_negotiating:
        return
    if not password_matches(ctx.settings.password, ctx.session.password):
        ctx.reply_error(errors.PasswordMismatch())
        ctx.terminate("Bad Password")
        return
    before_welcome(ctx)  # SASL in progress is aborted; PASS account:password logs in
    if not enforcement.at_registration(ctx):  # after any login: it may own the nick
        return
    user.registered = True
    ctx.adjust_counts(users=+1)
    s = ctx.settings
    ctx.reply(N.RPL_WELCOME, f"Welcome to the {s.network} IRC network {user.prefix}")
    ctx.reply(N.RPL_YOURHOST, f"Your host is {s.server_name}, running version {VERSION}")
    ctx.reply(N.RPL_CREATED, f"This server was created {ctx.created}")
    ctx.reply(N.RPL_MYINFO, s.server_name, VERSION, USER_MODES, ROOM_MODES, PARAM_MODES)
    send_isupport(ctx)
    send_lusers(ctx)
    send_motd(ctx)
    ctx.monitors.signed_on(user)
    enforcement.registered(ctx)


def password_matches(expected: str | None, given: str | None) -> bool:
    """Without a server password anything goes (PASS is ignored); with one, PASS must
    have given it. Compared in constant time: how long the check takes says nothing
    about how much of a guess was right."""
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def send_lusers(ctx: Context) -> None:
    counts = ctx.counts()
    users, invisible, most = counts.users, counts.invisible, counts.max_users
    unknown = counts.connections - users
    ctx.reply(N.RPL_LUSERCLIENT,
              f"There are {users - invisible} users and {invisible} invisible on 1 servers")
    if counts.opers > 0:
        ctx.reply(N.RPL_LUSEROP, str(counts.opers), "operator(s) online")
    if unknown > 0:
        ctx.reply(N.RPL_LUSERUNKNOWN, str(unknown), "unknown connection(s)")
    ctx.reply(N.RPL_LUSERCHANNELS, str(counts.rooms), "channels formed")
    ctx.reply(N.RPL_LUSERME, f"I have {users} clients and 0 servers")
    ctx.reply(N.RPL_LOCALUSERS, str(users), str(most),
              f"Current local users {users}, max {most}")
    ctx.reply(N.RPL_GLOBALUSERS, str(users), str(most),
              f"Current global users {users}, max {most}")


def send_motd(ctx: Context) -> None:
    motd = ctx.settings.motd
    if not motd:
        ctx.reply(N.ERR_NOMOTD, "MOTD File is missing")
        return
    ctx.reply(N.RPL_MOTDSTART, f"- {ctx.settings.server_name} Message of the day - ")
    for line in motd.splitlines():
        ctx.reply(N.RPL_MOTD, f"- {line}")
    ctx.reply(N.RPL_ENDOFMOTD, "End of /MOTD command.")


def send_topic(ctx: Context, room: Room, when_empty: bool) -> None:
    topic = room.topic
    if topic is None:
        if when_empty:
            ctx.reply(N.RPL_NOTOPIC, room.name, "No topic is set")
        return
    ctx.reply(N.RPL_TOPIC, room.name, topic.text)
    ctx.reply(N.RPL_TOPICWHOTIME, room.name, topic.setter, str(topic.set_at))


def send_names(ctx: Context, room: Room) -> None:
    """353 lines packed up to the line limit, then 366. With multi-prefix every prefix
    shows (`@+nick`), with userhost-in-names the full `nick!user@host`; someone outside
    the room does not see its invisible (+i) members."""
    me = ctx.user
    all_prefixes = "multi-prefix" in me.caps
    full = "userhost-in-names" in me.caps
    outsider = not room.has(me)
    symbol = "@" if room.secret else "="
    entries = [(modes if all_prefixes else modes[:1]) + (member.prefix if full else member.nick)
               for modes, member in room.names() if not (outsider and "i" in member.modes)]
    ctx.reply_list(N.RPL_NAMREPLY, symbol, room.name, items=entries)
    ctx.reply(N.RPL_ENDOFNAMES, room.name, "End of /NAMES list.")
