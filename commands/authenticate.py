"""AUTHENTICATE: logging in with SASL (IRCv3 sasl-3.1 and sasl-3.2), after `CAP REQ sasl`.

    C: AUTHENTICATE PLAIN                 (or SCRAM-SHA-256, EXTERNAL)
    S: AUTHENTICATE +
    C: AUTHENTICATE <base64, 400 bytes a line>
    S: :server 900 <nick> <nick!user@host> <account> :You are now logged in as <account>
    S: :server 903 <nick> :SASL authentication successful

The protocol itself is `accounts/sasl.py` (no sockets); this plugin feeds it the
client's lines and sends its steps. Decisions, with the spec they rest on:

- Re-authentication at any time, before or after registration and as another account
  (sasl-3.2 "SASL Reauthentication": servers SHOULD allow it): success logs in anew
  (`login.log_in`: 900, and ACCOUNT to account-notify peers); a failure changes
  nothing. So 907 (ERR_SASLALREADY) is never sent: sasl-3.2 keeps it for servers where
  "reauthentication is not available", and here it always is.
- Without the `sasl` capability: 904 saying to request it (sasl-3.1: the client MUST
  enable it first; 904 covers "other errors not explicitly mentioned").
- An unknown mechanism, or one that does not work on this connection: 908 with those
  that do, then 904 (sasl-3.1).
- `AUTHENTICATE *`: 906. Registration completing during an exchange: 906, then the
  welcome without login (sasl-3.1; `login.before_welcome`).
- After MAX_FAILURES failed exchanges a connection is closed with a reason (sasl-3.2
  allows it); failed password guesses are also throttled by address and by account
  (`accounts/throttle.py`).
"""
from __future__ import annotations

import logging

from ircish import numerics as N
from ircish.protocol import Message
from ircish.server.accounts import login, sasl
from ircish.server.accounts.throttle import wait_text
from ircish.server.context import Context
from ircish.server.registry import command

log = logging.getLogger("ircish.sasl")

MAX_FAILURES = 10   # failed exchanges on one connection before it is closed


@command("AUTHENTICATE", usage="<mechanism|data|*>", before_registration=True,
         help="Log in with SASL after CAP REQ sasl: AUTHENTICATE PLAIN, SCRAM-SHA-256 "
              "or EXTERNAL, then the base64 data the mechanism asks for; * aborts.")
def authenticate(ctx: Context, param: str) -> None:
    if "sasl" not in ctx.user.caps:
        ctx.reply(N.ERR_SASLFAIL, "SASL authentication failed: request the sasl "
                                  "capability first (CAP REQ :sasl)")
        return
    state = state_of(ctx)
    if param == "*":
        state.exchange = None
        ctx.reply(N.ERR_SASLABORTED, "SASL authentication aborted")
    elif state.exchange is None:
        begin(ctx, state, param.upper())
    else:
        step = state.exchange.feed(param)
        if step is not None:
            answer(ctx, state, step)


def state_of(ctx: Context) -> sasl.SaslState:
    state = ctx.session.sasl
    if not isinstance(state, sasl.SaslState):
        state = ctx.session.sasl = sasl.SaslState()
    return state


def begin(ctx: Context, state: sasl.SaslState, name: str) -> None:
    """`AUTHENTICATE <mechanism>`: an empty challenge (all three are client-first)."""
    mechanisms = sasl.available(ctx.settings, ctx.user.tls)
    if name not in mechanisms:
        ctx.reply(N.RPL_SASLMECHS, ",".join(mechanisms), "are available SASL mechanisms")
        # not a guess (a client trying its preferred mechanism first): no hold
        refuse(ctx, state, sasl.unavailable(name, ctx.settings), hold=False)
        return
    wait = ctx.login_throttle.refused(ctx.user.host) if name != sasl.EXTERNAL else 0.0
    if wait > 0:  # refused before any exchange (EXTERNAL guesses nothing: never)
        refuse(ctx, state, wait_text(wait))
        return
    secret = sasl.scram_secret(ctx.settings) if name == sasl.SCRAM else b""
    state.exchange = sasl.Exchange(name, sasl.mechanism(name, Credentials(ctx), secret))
    send_challenge(ctx, sasl.Challenge(b""))


def answer(ctx: Context, state: sasl.SaslState, step: sasl.Step) -> None:
    if isinstance(step, sasl.Challenge):
        send_challenge(ctx, step)
        return
    mechanism = state.exchange.name if state.exchange else "?"
    state.exchange = None
    if isinstance(step, sasl.Success):
        login.log_in(ctx, step.account)
        ctx.reply(N.RPL_SASLSUCCESS, "SASL authentication successful")
        log.info("%s (%s) logged in as %s with %s", ctx.user.nick, ctx.user.host,
                 step.account, mechanism)
    elif step.too_long:
        count_failure(ctx, state, N.ERR_SASLTOOLONG, "SASL message too long")
    else:
        refuse(ctx, state, step.text)


def refuse(ctx: Context, state: sasl.SaslState, why: str, hold: bool = True) -> None:
    count_failure(ctx, state, N.ERR_SASLFAIL, f"SASL authentication failed: {why}", hold)


def count_failure(ctx: Context, state: sasl.SaslState, numeric: str, text: str,
                  hold: bool = True) -> None:
    """904 or 905; the connection's next command waits (`login.failed`) unless told
    not to, and the connection ends after too many."""
    ctx.reply(numeric, text)
    if hold:
        login.failed(ctx)
    state.failures += 1
    if state.failures >= MAX_FAILURES:
        ctx.terminate("Too many SASL authentication failures")


def send_challenge(ctx: Context, challenge: sasl.Challenge) -> None:
    """`AUTHENTICATE <chunk>` lines, without a source, as the specs show them."""
    for chunk in challenge.lines():
        ctx.send(Message("AUTHENTICATE", [chunk]))


class Credentials:
    """The server's `sasl.Authority` for one connection: the checks of `login.py`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def password(self, name: str, password: str) -> str:
        return login.password_login(self._ctx, name, password)

    def scram_keys(self, name: str) -> sasl.ScramKeys | None:
        return login.scram_keys(self._ctx, name)

    def scram_verified(self, name: str) -> str:
        return login.scram_verified(self._ctx, name)

    def certificate(self, authzid: str) -> str:
        return login.certificate_login(self._ctx, authzid)
