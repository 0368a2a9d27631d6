"""IRCv3 capabilities: which ones the server offers, and what each changes on the wire.

Most capabilities change how a line *looks* to the client that asked for them (a
`time` tag, the client's own tags, a longer JOIN). Those are folded into one small
integer per user, its *tag profile*: an event is serialized once per profile present
among its recipients (see `events.py`), and a room groups its members' outboxes by
profile, so a room message still costs one append per member.

Capabilities that decide *whether* a user gets a line at all (away-notify,
invite-notify, setname, chghost, ...) are checked by name where those lines are sent.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..protocol import pack

if TYPE_CHECKING:
    from .config import Settings

# Profile bits: capabilities that change a relayed line's bytes.
MESSAGE_TAGS = 1    # client-only tags, msgid, bot; also TAGMSG at all
SERVER_TIME = 2     # time=
ACCOUNT_TAG = 4     # account=
EXTENDED_JOIN = 8   # JOIN #room <account> :<realname>

_PROFILE_BITS = {
    "message-tags": MESSAGE_TAGS,
    "server-time": SERVER_TIME,
    "account-tag": ACCOUNT_TAG,
    "extended-join": EXTENDED_JOIN,
}

# Offered in every CAP LS, with its 302 value (None: no value); `offered` adds the
# ones that depend on the server's settings and the connection. Each is here
# because it works (tests/test_caps.py negotiates each and checks its effect; the
# README lists what each does).
CAPABILITIES: dict[str, str | None] = {
    "account-notify": None,
    "account-tag": None,
    "away-notify": None,
    "batch": None,
    "cap-notify": None,
    "chghost": None,
    "echo-message": None,
    "extended-join": None,
    "invite-notify": None,
    "labeled-response": None,
    "message-tags": None,
    "multi-prefix": None,
    "server-time": None,
    "setname": None,
    "userhost-in-names": None,
}
# Bot mode is not a capability: it is the ISUPPORT token BOT=B and user mode +B.

# Offered only by a server that keeps history (not with --no-history).
HISTORY_CAPABILITIES: dict[str, str | None] = {
    "draft/chathistory": None,
    "draft/event-playback": None,
    "draft/message-redaction": None,
    "soju.im/search": None,
}


@lru_cache(maxsize=16)
def offered(features: frozenset[str], sasl: tuple[str, ...] = (),
            registration: str | None = None) -> Mapping[str, str | None]:
    """What CAP LS lists, sorted by name: the capabilities that always work, those
    of the server's `features` that are on, `sasl` with the SASL mechanisms that
    work on the connection asking (`accounts/sasl.available`; none: no `sasl`, as
    sasl-3.2 requires), and `draft/account-registration` with its value
    (`registration_value`; None: not offered). Read-only: shared between connections."""
    caps = dict(CAPABILITIES)
    if "history" in features:
        caps.update(HISTORY_CAPABILITIES)
    if sasl:
        caps["sasl"] = ",".join(sasl)
    if registration is not None:
        caps["draft/account-registration"] = registration
    return MappingProxyType(dict(sorted(caps.items())))


def registration_value(settings: Settings) -> str | None:
    """draft/account-registration's value, or None with --registration nobody. Its
    `before-connect` only where a REGISTER before the welcome can succeed: not for
    operators only, and not on a server whose password PASS must give first."""
    if settings.registration == "nobody":
        return None
    early = settings.registration == "anyone" and settings.password is None
    return "before-connect,custom-account-name" if early else "custom-account-name"


def profile(caps: Iterable[str]) -> int:
    bits = 0
    for name in caps:
        bits |= _PROFILE_BITS.get(name, 0)
    return bits


def unknown(names: Iterable[str], offered: Mapping[str, str | None]) -> list[str]:
    return [name for name in names if name not in offered]


def ls_lines(version: int, budget: int, offered: Mapping[str, str | None]) -> list[str]:
    """The CAP LS list, split into chunks of at most `budget` bytes (302 continues a
    long list over several lines; older clients get one line and no values)."""
    items = [f"{name}={value}" if value and version >= 302 else name
             for name, value in offered.items()]
    if version < 302:
        return [" ".join(items)]
    return pack(items, budget) or [""]
