"""The message pane: the current buffer's lines, word-wrapped to the pane's width.

A custom `UIControl` because only `create_content` is told the width: lines wrap at
spaces with a hanging indent under the text (prompt_toolkit's own wrapping cuts
words and restarts at column 0), and the cursor row, which the Window keeps in
view, and the vertical scroll given to the Window are how scrolling back works.
"""
from __future__ import annotations

import itertools
import time
import zlib

from prompt_toolkit.data_structures import Point
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_width
from prompt_toolkit.layout.controls import UIContent, UIControl
from prompt_toolkit.utils import get_cwidth

from ..protocol import casefold
from .model import ClientModel, Line

NICK_COLOURS = ("ansired", "ansigreen", "ansiyellow", "ansiblue", "ansimagenta", "ansicyan",
                "ansibrightred", "ansibrightgreen", "ansibrightyellow", "ansibrightblue",
                "ansibrightmagenta", "ansibrightcyan")
INDENT = 6                # continuation rows start under the text, after "HH:MM "
RENDERED_LINES = 300      # lines rendered below the scroll position: more than a screen


def nick_style(nick: str) -> str:
    """The same nick gets the same colour in every run (not Python's salted hash)."""
    return NICK_COLOURS[zlib.crc32(casefold(nick).encode()) % len(NICK_COLOURS)]


def render_line(line: Line) -> StyleAndTextTuples:
    """One line as irssi shows it: `12:03 <alice> hi`, `* alice waves`, `-- ...`."""
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


def wrap(fragments: StyleAndTextTuples, width: int,
         indent: int = INDENT) -> list[StyleAndTextTuples]:
    """Rows of at most `width` cells, broken after a space when the row has one."""
    rows: list[StyleAndTextTuples] = []
    row: StyleAndTextTuples = []
    used, last_space = 0, -1
    for style, ch in ((f[0], ch) for f in fragments for ch in f[1]):
        cells = get_cwidth(ch)
        if used + cells > width and row:
            cut = last_space + 1 if last_space > 0 else len(row)
            rows.append(row[:cut])
            row = [("", " " * indent), *row[cut:]]
            used = fragment_list_width(row)
            last_space = -1
        row.append((style, ch))
        used += cells
        if ch == " " and used > indent + 1:
            last_space = len(row) - 1
    rows.append(row)
    return rows


class MessagesControl(UIControl):
    """Shows the newest rows, or `scroll` rows further back (PageUp/PageDown)."""

    def __init__(self, model: ClientModel) -> None:
        self.model = model
        self.scroll = 0           # rows back from the newest: view state, not the model's
        self.page = 10            # rows per PageUp, from the last height drawn
        self.top = 0              # first row shown, from the last drawing

    def is_focusable(self) -> bool:
        return False

    def scroll_by(self, pages: int) -> None:
        self.scroll = max(0, self.scroll + pages * self.page)

    def create_content(self, width: int, height: int) -> UIContent:
        lines = self.model.buffer.lines
        start = max(0, len(lines) - self.scroll - RENDERED_LINES)
        rows: list[StyleAndTextTuples] = []
        for line in itertools.islice(lines, start, None):
            rows.extend(wrap(render_line(line), max(width, INDENT + 10)))
        self.page = max(1, height - 2)
        self.scroll = min(self.scroll, max(0, len(rows) - height))
        self.top = max(0, len(rows) - height - self.scroll)
        bottom = min(len(rows), self.top + height) - 1    # kept in view by the Window
        return UIContent(get_line=lambda i: rows[i], line_count=len(rows),
                         cursor_position=Point(0, max(0, bottom)), show_cursor=False)

    def vertical_scroll(self, window: object) -> int:
        """For `Window(get_vertical_scroll=...)`: the first row to show."""
        return self.top
