"""The full-screen layout: it renders the model and holds only view state.

    ┌ topic line: room, member count, topic ─────────────────────────┐
    │ buffer list │ messages of the current buffer        │ members │
    ├ status line: time, nick, buffer, connection, activity ─────────┤
    │ input line (Ctrl-R searches the history)                       │
    └────────────────────────────────────────────────────────────────┘

Scrolling back and the member list toggle are view state (`scroll`, `show_members`);
everything else is read from the `ClientModel` at each redraw. The status line says
when history is on its way for this buffer and, once PgUp has gone past the top, when
there is none older. The topic line names a registered room's owner and the account of
the person in a private chat; the status line, the account I am logged in to. While
the model asks for a password the input line is masked and says what it asks.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from prompt_toolkit.application import get_app
from prompt_toolkit.buffer import Buffer as InputBuffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_width
from prompt_toolkit.layout import (
    ConditionalContainer,
    Dimension,
    Float,
    FloatContainer,
    FormattedTextControl,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import BeforeInput, ConditionalProcessor, PasswordProcessor
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import SearchToolbar

from .messages import MessagesControl, nick_style
from .model import ClientModel

STYLE = Style.from_dict({
    "topic": "bg:ansiblue ansiwhite",
    "status": "bg:ansiblue ansiwhite",
    "status.state.bad": "bg:ansired ansiwhite bold",
    "status.activity": "bold",
    "status.mention": "ansibrightyellow bold",
    "time": "ansibrightblack",
    "line.status": "ansibrightblack",
    "line.error": "ansired",
    "line.highlight": "bold ansibrightyellow",
    "line.history": "ansibrightblack",        # after the other styles: it wins
    "line.removed": "ansibrightblack italic",
    "line.found": "reverse",
    "result.label": "bold",
    "own": "bold",
    "buffers.current": "reverse",
    "buffers.unread": "bold",
    "buffers.mention": "bold ansibrightyellow",
    "buffers.parted": "ansibrightblack",
    "separator": "ansibrightblack",
    "members.op": "ansigreen bold",
    "members.voice": "ansiyellow",
    "members.away": "ansibrightblack",
})

HINTS = ("  F2 members · Alt-1..9 Ctrl-N/P buffers · /help · /quit",
         "  F2 members · /help · /quit", "  /help")   # the longest that fits
WIDE = 100                # columns from which the member list shows by itself
BUFFER_LIST_WIDTH = 18
MEMBER_LIST_WIDTH = 18


def members_label(count: int) -> str:
    return f"{count} member" if count == 1 else f"{count} members"


class ChatView:
    def __init__(self, model: ClientModel, input_buffer: InputBuffer) -> None:
        self.model = model
        self.input = input_buffer
        self.messages = MessagesControl(model)
        self.show_members: bool | None = None   # None: when the terminal is wide enough
        self.search = SearchToolbar(ignore_case=True)
        self.layout = Layout(self._container(), focused_element=input_buffer)

    # --- layout -------------------------------------------------------------------

    def _container(self) -> FloatContainer:
        def bar(render: Callable[[], StyleAndTextTuples], style: str) -> Window:
            return Window(FormattedTextControl(render), height=1, style=style)

        def separator() -> Window:
            return Window(width=1, char="│", style="class:separator")

        members_visible = Condition(
            lambda: self.members_shown() and self.model.buffer.kind == "room")
        body = VSplit([
            Window(FormattedTextControl(self.buffer_list), width=BUFFER_LIST_WIDTH),
            separator(),
            Window(self.messages, get_vertical_scroll=self.messages.vertical_scroll),
            ConditionalContainer(VSplit([
                separator(),
                Window(FormattedTextControl(self.members), width=MEMBER_LIST_WIDTH),
            ]), filter=members_visible),
        ])
        prompt = BeforeInput(self.prompt, style="class:prompt")
        secret = ConditionalProcessor(PasswordProcessor(), filter=Condition(
            lambda: self.model.password_prompt is not None))
        entry = Window(BufferControl(self.input, input_processors=[secret, prompt],
                                     search_buffer_control=self.search.control),
                       height=Dimension(min=1, max=6), wrap_lines=True,
                       dont_extend_height=True)
        root = HSplit([bar(self.topic_line, "class:topic"), body,
                       bar(self.status_line, "class:status"), entry, self.search])
        return FloatContainer(root, floats=[Float(xcursor=True, ycursor=True,
                                                  content=CompletionsMenu(max_height=12))])

    def prompt(self) -> str:
        asking = self.model.password_prompt
        return asking if asking is not None else f"[{self.model.buffer.name}] "

    def members_shown(self) -> bool:
        if self.show_members is None:
            return get_app().output.get_size().columns >= WIDE
        return self.show_members

    def toggle_members(self) -> None:
        self.show_members = not self.members_shown()

    # --- what each part shows -----------------------------------------------------

    def buffer_list(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for i, buf in enumerate(self.model.buffers):
            style = ("class:buffers.current" if i == self.model.current else
                     "class:buffers.mention" if buf.mentions else
                     "class:buffers.unread" if buf.unread else
                     "class:buffers.parted" if buf.kind == "room" and not buf.joined else "")
            count = f" {buf.unread}" if buf.unread else ""
            out.append((style, f"{i + 1:>2} {buf.name}{count}\n"))
        return out

    def members(self) -> StyleAndTextTuples:
        """`@alice`, `+bob`, ` carol`: the highest prefix, in a column of its own so
        the nicks line up; members who are away are dimmed."""
        buf, features = self.model.buffer, self.model.features
        out: StyleAndTextTuples = [("class:separator", members_label(len(buf.members)) + "\n")]
        for member in buf.sorted_members(features):
            sign = features.sign(member.modes)
            nick = "class:members.away" if member.away else nick_style(member.nick)
            out += [("class:members.op" if sign == "@" else "class:members.voice", sign or " "),
                    (nick, member.nick + "\n")]
        return out

    def topic_line(self) -> StyleAndTextTuples:
        buf = self.model.buffer
        if buf.kind == "room":
            joined = members_label(len(buf.members)) if buf.joined else "not joined"
            owner = f" owner: {buf.owner} |" if buf.owner else ""
            text = f" {buf.name} ({joined}){owner} {buf.topic}"
        elif buf.kind == "query":
            account = self.model.accounts.account_of(buf.name)
            who = ("" if account is None else " (not logged in)" if not account
                   else f" (logged in as {account})")
            text = f" Private chat with {buf.name}{who}"
        elif buf.kind == "search":
            text = " Search results: Up/Down select, Enter (or /goto N) opens, /close"
        else:
            text = f" {buf.name}: server messages. /join a room, /query someone, /help for commands"
        return [("", text)]

    def status_line(self) -> StyleAndTextTuples:
        model = self.model
        state = ("online" if model.registered else
                 "offline, reconnecting" if model.connection == "disconnected" else "connecting")
        state_style = "" if model.registered else "class:status.state.bad"
        out: StyleAndTextTuples = [
            ("", f" {time.strftime('%H:%M')} [{model.nick}] "
                 f"[{model.current + 1}:{model.buffer.name}] "),
            (state_style, f"[{state}]"),
        ]
        account = model.accounts.account
        if account is not None:
            out.append(("", f" [logged in as {account}]"))
        elif model.registered and model.accounts.wanted:
            out.append(("class:status.state.bad", " [not logged in]"))
        active = [(i, b) for i, b in enumerate(model.buffers) if b.unread]
        if active:
            out.append(("", " [Act: "))
            for n, (i, buf) in enumerate(active):
                style = "class:status.mention" if buf.mentions else "class:status.activity"
                out += [("", "," if n else ""), (style, str(i + 1))]
            out.append(("", "]"))
        history = model.buffer.history
        if history.loading:
            out.append(("class:status.activity", " [loading history]"))
        elif history.beginning and self.messages.wants_older and self.messages.at_top:
            out.append(("class:status.activity", " [beginning of history]"))
        if self.messages.scroll:
            out.append(("class:status.activity", " [scrolled back: PgDn]"))
        used = fragment_list_width(out)
        hint = next((h for h in HINTS if used + len(h) <= get_app().output.get_size().columns), "")
        return [*out, ("", hint)]
