"""Services: pseudo-users (NickServ, ChanServ) for people's habits and for clients
that cannot speak a command themselves (`/msg NickServ IDENTIFY pw` in any client).

A service is not a second implementation of anything: each of its verbs calls the same
functions as the server's own command (NickServ IDENTIFY logs in the way PASS and SASL
do, ChanServ REGISTER registers a room the way ROOM REGISTER does). It answers with
NOTICEs from its own nick, and errors keep their numerics or standard replies.

A plugin module declares one as a module-level `Service`; the registry collects it
(beside the module's `@command`s) and PRIVMSG to its nick reaches `handle`. Its nick
can be neither taken (NICK) nor registered as an account.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..protocol import Message
from .standard_replies import failures

if TYPE_CHECKING:
    from .context import Context

Run = Callable[["Context", list[str]], None]


@dataclass(frozen=True)
class Verb:
    name: str
    usage: str
    help: str
    run: Run = field(repr=False, compare=False)


@dataclass(frozen=True)
class Service:
    nick: str
    about: str                               # what it is for, one line (HELP)
    verbs: Mapping[str, Verb] = field(default_factory=dict)

    def source(self, ctx: Context) -> str:
        return f"{self.nick}!{self.nick}@services.{ctx.settings.server_name}"

    def notice(self, ctx: Context, text: str) -> None:
        """A NOTICE from the service to the user."""
        ctx.send(Message("NOTICE", [ctx.user.nick, text], source=self.source(ctx)),
                 force_trailing=True)

    def handle(self, ctx: Context, text: str) -> None:
        """What the user said to the service: `VERB args...` (HELP lists the verbs)."""
        words = text.split()
        if not words or words[0].upper() == "HELP":
            self.help(ctx, words[1:2])
            return
        verb = self.verbs.get(words[0].upper())
        if verb is None:
            self.notice(ctx, f"Unknown command {words[0][:32]}. "
                             f"/msg {self.nick} HELP lists what I do.")
            return
        with failures(ctx):
            verb.run(ctx, words[1:])

    def help(self, ctx: Context, about: list[str]) -> None:
        if about and (verb := self.verbs.get(about[0].upper())) is not None:
            self.notice(ctx, f"{verb.name} {verb.usage}".rstrip() + f": {verb.help}")
            return
        self.notice(ctx, f"{self.nick}: {self.about}")
        for verb in self.verbs.values():
            self.notice(ctx, f"  {verb.name} {verb.usage}".rstrip() + f" - {verb.help}")
        self.notice(ctx, f"/msg {self.nick} HELP <command> for one of them.")


def verbs(*entries: Verb) -> dict[str, Verb]:
    return {verb.name.upper(): verb for verb in entries}
