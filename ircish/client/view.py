"""The full-screen layout: it renders the model and holds only view state.

    ┌ topic line: room, member count, topic ─────────────────────────┐
    │ buffer list │ messages of the current buffer        │ members │
    ├ status line: time, nick, buffer, connection, activity ─────────┤
    │ input line (Ctrl-R searches the history)                       │
    └────────────────────────────────────────────────────────────────┘

Scrolling back and the member list toggle are view state (`scroll`, `show_members`);
everything else is read from the `ClientModel` at each redraw.
"""
from __future__ import annotations

import itertools
import time
import zlib

from prompt_toolkit.buffer import Buffer as InputBuffer
from prompt_toolkit.data_structures import Point
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.layout import (ConditionalContainer, Dimension, Float, FloatContainer,
                                   FormattedTextControl, HSplit, Layout, VSplit, Window)
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import BeforeInput
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import SearchToolbar

from ..protocol import casefold
from .model import Buffer, ClientModel, Line

NICK_COLOURS = ("ansired", "ansigreen", "ansiyellow", "ansiblue", "ansimagenta", "ansicyan",
                "ansibrightred", "ansibrightgreen", "ansibrightyellow", "ansibrightblue",
                "ansibrightmagenta", "ansibrightcyan")

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
    "own": "bold",
    "buffers.current": "reverse",
    "buffers.unread": "bold",
    "buffers.mention": "bold ansibrightyellow",
    "buffers.parted": "ansibrightblack",
    "separator": "ansibrightblack",
    "members.op": "ansigreen bold",
})

BUFFER_LIST_WIDTH = 18
MEMBER_LIST_WIDTH = 18
RENDERED_LINES = 300      # more than any screen is tall


def nick_style(nick: str) -> str:
    """The same nick gets the same colour in every run (not Python's salted hash)."""
    return NICK_COLOURS[zlib.crc32(casefold(nick).encode()) % len(NICK_COLOURS)]


def members_label(count: int) -> str:
    return f"{count} member" if count == 1 else f"{count} members"


def render_line(line: Line) -> StyleAndTextTuples:
    """One message as irssi shows it: `12:03 <alice> hi`, `* alice waves`, `-- ...`."""
    out: StyleAndTextTuples = [("class:time", time.strftime("%H:%M ", time.localtime(line.time)))]
    nick = ("class:own " if line.own else "") + nick_style(line.nick)
    text_style = "class:line.highlight" if line.highlight else ""
    if line.kind == "message":
        out += [("", "<"), (nick, line.nick), ("", "> "), (text_style, line.text)]
    elif line.kind == "action":
        out += [(text_style, "* "), (nick, line.nick), (text_style, " " + line.text)]
    elif line.kind == "notice":
        out += [("", "-"), (nick, line.nick), ("", "- "), (text_style, line.text)]
    elif line.kind == "status":
        out += [("class:line.status", "-- " + line.text)]
    elif line.kind == "error":
        out += [("class:line.error", "!! " + line.text)]
    else:
        out += [("", line.text)]
    return out


class ChatView:
    def __init__(self, model: ClientModel, input_buffer: InputBuffer) -> None:
        self.model = model
        self.input = input_buffer
        self.scroll = 0               # lines scrolled back from the newest
        self.show_members = True
        self.search = SearchToolbar(ignore_case=True)
        self.layout = Layout(self._container(), focused_element=input_buffer)

    # --- layout -------------------------------------------------------------------

    def _container(self) -> FloatContainer:
        def bar(render, style: str) -> Window:  # type: ignore[no-untyped-def]
            return Window(FormattedTextControl(render), height=1, style=style)

        def separator() -> Window:
            return Window(width=1, char="│", style="class:separator")

        members_visible = Condition(lambda: self.show_members and self.model.buffer.kind == "room")
        body = VSplit([
            Window(FormattedTextControl(self.buffer_list), width=BUFFER_LIST_WIDTH),
            separator(),
            Window(FormattedTextControl(self.messages, get_cursor_position=self._newest),
                   wrap_lines=True),
            ConditionalContainer(VSplit([
                separator(),
                Window(FormattedTextControl(self.members), width=MEMBER_LIST_WIDTH),
            ]), filter=members_visible),
        ])
        prompt = BeforeInput(lambda: f"[{self.model.buffer.name}] ", style="class:prompt")
        entry = Window(BufferControl(self.input, input_processors=[prompt],
                                     search_buffer_control=self.search.control),
                       height=Dimension(min=1, max=6), wrap_lines=True,
                       dont_extend_height=True)
        root = HSplit([bar(self.topic_line, "class:topic"), body,
                       bar(self.status_line, "class:status"), entry, self.search])
        return FloatContainer(root, floats=[Float(xcursor=True, ycursor=True,
                                                  content=CompletionsMenu(max_height=12))])

    def _shown(self) -> list[Line]:
        """The tail of the buffer that can reach the screen (rendering 5000 lines on
        every keystroke would be slow): the newest lines, or further back when scrolled."""
        lines = self.model.buffer.lines
        self.scroll = max(0, min(self.scroll, len(lines) - 1))
        start = max(0, len(lines) - self.scroll - RENDERED_LINES)
        return list(itertools.islice(lines, start, None))

    def _newest(self) -> Point:
        """The messages window keeps this line in view: the newest, or scrolled back."""
        return Point(0, max(0, len(self._shown()) - 1 - self.scroll))

    # --- what each part shows -----------------------------------------------------

    def messages(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for i, line in enumerate(self._shown()):
            if i:
                out.append(("", "\n"))
            out.extend(render_line(line))
        return out

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
        buf = self.model.buffer
        ranks = "".join(self.model.prefixes.values())
        out: StyleAndTextTuples = [("class:separator", members_label(len(buf.members)) + "\n")]
        for member in buf.sorted_members(ranks):
            out += [("class:members.op", member.prefix or " "), (nick_style(member.nick), member.nick + "\n")]
        return out

    def topic_line(self) -> StyleAndTextTuples:
        buf = self.model.buffer
        if buf.kind == "room":
            joined = members_label(len(buf.members)) if buf.joined else "not joined"
            text = f" {buf.name} ({joined}) {buf.topic}"
        elif buf.kind == "query":
            text = f" Private chat with {buf.name}"
        else:
            text = f" {buf.name}: server messages. /join a room, /query someone, /help for commands"
        return [("", text)]

    def status_line(self) -> StyleAndTextTuples:
        model = self.model
        state_style = "" if model.connection == "connected" and model.registered else "class:status.state.bad"
        state = "online" if state_style == "" else \
            f"{model.connection}: {model.connection_detail}".rstrip(": ")
        out: StyleAndTextTuples = [
            ("", f" {time.strftime('%H:%M')} [{model.nick}] [{model.current + 1}:{model.buffer.name}] "),
            (state_style, f"[{state}]"),
        ]
        active = [(i, b) for i, b in enumerate(model.buffers) if b.unread]
        if active:
            out.append(("", " [Act: "))
            for n, (i, buf) in enumerate(active):
                style = "class:status.mention" if buf.mentions else "class:status.activity"
                out += [("", "," if n else ""), (style, str(i + 1))]
            out.append(("", "]"))
        if self.scroll:
            out.append(("class:status.activity", f" [scrolled back {self.scroll}, PgDn]"))
        out.append(("", "  F2 members  Alt-N/Ctrl-N/Ctrl-P buffers  /help"))
        return out
