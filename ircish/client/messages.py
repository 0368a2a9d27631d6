"""The message pane: the current buffer's lines, word-wrapped to the pane's width.

A custom `UIControl` because only `create_content` is told the width: lines wrap at
spaces with a hanging indent under the text (prompt_toolkit's own wrapping cuts
words and restarts at column 0), and the cursor row, which the Window keeps in
view, and the vertical scroll given to the Window are how scrolling back works.

History lines are dimmed and show their day when it is not today; removed messages
read "(message removed ...)"; a search result opened with /goto is marked, and
scrolled to once its line is there (`HistoryState.jump_to`, set by the model).
`at_top` tells the key bindings that PgUp has nothing more to show: time to ask the
server for older history.
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


def time_label(line: Line) -> str:
    """`12:03 `; a line from history or a search result says its day when not today."""
    when = time.localtime(line.time)
    if (line.history or line.kind == "result") and when[:3] != time.localtime()[:3]:
        return time.strftime("%b %d %H:%M ", when)
    return time.strftime("%H:%M ", when)


def render_line(line: Line, mark: str = "") -> StyleAndTextTuples:
    """One line as irssi shows it: `12:03 <alice> hi`, `* alice waves`, `-- ...`; `mark`
    is a style for the whole line (a selected result, the message a jump went to)."""
    out: StyleAndTextTuples = [("class:time", time_label(line))]
    nick = ("class:own " if line.own else "") + nick_style(line.nick)
    text_style = ("class:line.removed" if line.redacted else
                  "class:line.highlight" if line.highlight else "")
    if line.kind == "result":
        out += [("class:result.label", line.label + " "), ("", "<"), (nick, line.nick),
                ("", "> "), (text_style, line.text)]
    elif line.kind == "message":
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
    extra = " class:line.history" * line.history + (" " + mark if mark else "")
    return [(fragment[0] + extra, fragment[1]) for fragment in out] if extra else out


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
        self.at_top = True        # the buffer's first line is in sight
        self.wants_older = False  # PgUp was pressed with nothing above: history asked

    def is_focusable(self) -> bool:
        return False

    def scroll_by(self, pages: int) -> None:
        self.scroll = max(0, self.scroll + pages * self.page)
        self.wants_older = self.wants_older and pages > 0

    def rows(self, index: int, line: Line, width: int) -> list[StyleAndTextTuples]:
        buf = self.model.buffer
        selected = buf.kind == "search" and index == buf.selected + 1   # after the header
        found = bool(line.msgid) and line.msgid == buf.history.found
        fragments = render_line(line, "class:line.found" if selected or found else "")
        return wrap(fragments, width, min(fragment_list_width(fragments[:1]), width // 2))

    def _jump(self, width: int, height: int) -> None:
        """Scroll so that the line a jump asked for is in the middle, once it is here."""
        state, lines = self.model.buffer.history, self.model.buffer.lines
        index = next((i for i, line in enumerate(lines) if line.msgid == state.jump_to), None)
        if index is not None:
            below = sum(len(self.rows(i, line, width))
                        for i, line in enumerate(itertools.islice(lines, index + 1, None),
                                                 index + 1))
            self.scroll = max(0, below - height // 2)
            state.jump_to = ""

    def create_content(self, width: int, height: int) -> UIContent:
        lines = self.model.buffer.lines
        width = max(width, INDENT + 10)
        if self.model.buffer.history.jump_to:
            self._jump(width, height)
        start = max(0, len(lines) - self.scroll - RENDERED_LINES)
        rows: list[StyleAndTextTuples] = []
        for index, line in enumerate(itertools.islice(lines, start, None), start):
            rows.extend(self.rows(index, line, width))
        self.page = max(1, height - 2)
        self.scroll = min(self.scroll, max(0, len(rows) - height))
        self.top = max(0, len(rows) - height - self.scroll)
        self.at_top = start == 0 and self.top == 0
        bottom = min(len(rows), self.top + height) - 1    # kept in view by the Window
        return UIContent(get_line=lambda i: rows[i], line_count=len(rows),
                         cursor_position=Point(0, max(0, bottom)), show_cursor=False)

    def vertical_scroll(self, window: object) -> int:
        """For `Window(get_vertical_scroll=...)`: the first row to show."""
        return self.top
