"""The wire format: the community's parser vectors, framing, names, masks."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_tests.data import mask_match, msg_join, msg_split

from ircish.protocol import (
    LineBuffer,
    LineTooLong,
    Message,
    ProtocolError,
    casefold,
    decode,
    escape_tag_value,
    is_valid_nick,
    is_valid_room_name,
    mask_matches,
    number,
    pack,
    parse_line,
    unescape_tag_value,
)


@pytest.mark.parametrize("case", msg_split["tests"], ids=lambda c: c["input"][:40])
def test_msg_split_vectors(case: dict) -> None:
    atoms = case["atoms"]
    msg = parse_line(case["input"])
    assert msg.tags == (atoms.get("tags") or {})
    assert msg.source == atoms.get("source")
    assert msg.command == atoms["verb"].upper()
    assert msg.params == atoms.get("params", [])


@pytest.mark.parametrize("case", msg_join["tests"], ids=lambda c: c.get("desc", "")[:40])
def test_msg_join_vectors(case: dict) -> None:
    atoms = case["atoms"]
    msg = Message(atoms["verb"], atoms.get("params", []), atoms.get("source"),
                  atoms.get("tags") or {})
    assert msg.to_line() in case["matches"]


@pytest.mark.parametrize("case", mask_match["tests"], ids=lambda c: c["mask"])
def test_mask_match_vectors(case: dict) -> None:
    for text in case.get("matches", []):
        assert mask_matches(case["mask"], text), text
    for text in case.get("fails", []):
        assert not mask_matches(case["mask"], text), text


@pytest.mark.parametrize("line", ["", "   ", ":onlysource", "@a=b", "@a=b :src"])
def test_lines_without_a_command_are_rejected(line: str) -> None:
    with pytest.raises(ProtocolError):
        parse_line(line)


def test_more_than_fifteen_params_fold_into_the_last() -> None:
    msg = parse_line("CMD " + " ".join(str(i) for i in range(20)))
    assert len(msg.params) == 15
    assert msg.params[-1] == "14 15 16 17 18 19"


def test_force_trailing_and_empty_last_param() -> None:
    assert Message("PRIVMSG", ["#a", "hi"]).to_line(force_trailing=True) == "PRIVMSG #a :hi"
    assert Message("TOPIC", ["#a", ""]).to_line() == "TOPIC #a :"
    assert Message("X", ["a", ":b"]).to_line() == "X a ::b"


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9/.-]{0,10}", fullmatch=True),
                       st.text(alphabet=st.characters(blacklist_characters="\x00"))),
       st.lists(st.from_regex(r"[^\s:\x00][^\s\x00]{0,8}", fullmatch=True), max_size=13),
       st.text(alphabet=st.characters(blacklist_characters="\r\n\x00")))
def test_serialize_then_parse_round_trips(tags: dict, middle: list, last: str) -> None:
    msg = Message("PRIVMSG", [*middle, last], "nick!u@h", tags)
    assert parse_line(msg.to_line()) == msg


@given(st.text())
def test_tag_escaping_round_trips(value: str) -> None:
    assert unescape_tag_value(escape_tag_value(value)) == value


# --- framing ----------------------------------------------------------------------

def test_crlf_and_bare_lf_and_split_reads() -> None:
    buf = LineBuffer()
    assert buf.feed(b"PING a\r\nPIN") == [b"PING a"]
    assert buf.feed(b"G b\nPING c\r") == [b"PING b"]
    assert buf.feed(b"\n") == [b"PING c"]


def test_empty_lines_are_ignored_and_nul_is_dropped() -> None:
    assert LineBuffer().feed(b"\r\n\n   \r\nPI\x00NG x\r\n") == [b"PING x"]


def test_line_over_512_bytes_is_reported_not_processed() -> None:
    buf = LineBuffer()
    ok = b"PRIVMSG #a :" + b"x" * (510 - 12)
    assert buf.feed(ok + b"\r\n") == [ok]
    assert buf.feed(ok + b"y\r\nPING z\r\n") == [LineTooLong(len(ok) + 3), b"PING z"]


def test_tags_do_not_count_against_the_512_byte_limit() -> None:
    line = b"@" + b"t=" + b"v" * 4000 + b" PRIVMSG #a :hi"
    assert LineBuffer().feed(line + b"\r\n") == [line]


def test_endless_line_is_discarded_with_bounded_memory() -> None:
    buf = LineBuffer()
    for _ in range(100):
        assert buf.feed(b"x" * 1000) == []
    assert len(buf._pending) <= buf.max_total
    assert buf.feed(b"tail\r\nPING ok\r\n") == [LineTooLong(100_000 + 6), b"PING ok"]


LONG = b"PRIVMSG #a :" + b"x" * 600


@pytest.mark.parametrize(("data", "lines", "ignored_lines", "ignored_bytes"), [
    (b"PING a\r\n", [b"PING a"], 0, 0),                   # the CR of CRLF is no bare CR
    (b"\n" * 5, [], 5, 5),
    (b"\r\n" * 5, [], 5, 10),
    (b"   \r\n\t\n", [b"\t"], 1, 5),                       # only spaces: nothing said
    (b"\x00\x00\x00\r\n", [], 1, 5),
    (b"\r\r\r\n", [], 3, 4),                               # bare CRs end empty lines
    (b"\rPING a\r\rPING b\r\n", [b"PING a", b"PING b"], 2, 2),
    (LONG + b"\r\nPING z\n", [LineTooLong(len(LONG) + 2), b"PING z"], 0, 0),
    (b"PING a\r" + LONG + b"\n", [b"PING a", LineTooLong(len(LONG) + 1)], 0, 0),
    (b"PING a\r\nPING b", [b"PING a"], 0, 0),              # the rest waits for its LF
], ids=repr)
def test_every_byte_fed_is_accounted_for(data: bytes, lines: list[object],
                                         ignored_lines: int, ignored_bytes: int) -> None:
    buf = LineBuffer()
    assert buf.feed(data) == lines
    assert (buf.ignored_lines, buf.ignored_bytes, buf.discarded) == (
        ignored_lines, ignored_bytes, 0)


def test_an_unfinished_over_long_line_counts_what_it_threw_away() -> None:
    buf = LineBuffer()
    assert buf.feed(b"x" * 5000) == [] and buf.discarded == 0  # could still be legal
    assert buf.feed(b"x" * 5000) == [] and buf.discarded == 10_000  # past 512 + 8191
    assert buf.feed(b"x" * 5000) == [] and buf.discarded == 15_000
    assert buf._pending == b""
    assert buf.feed(b"x\r\n\n") == [LineTooLong(15_003)]
    assert (buf.discarded, buf.ignored_lines, buf.ignored_bytes) == (0, 1, 1)
    assert buf.feed(b"\n") == [] and buf.ignored_lines == 1  # counts are per feed


def test_invalid_utf8_falls_back_to_latin1() -> None:
    assert decode("héllo".encode()) == "héllo"
    assert decode(b"caf\xe9") == "café"


# --- names ------------------------------------------------------------------------

def test_ascii_casemapping_folds_only_ascii() -> None:
    assert casefold("NiCk[]") == "nick[]"  # ascii: [] are not {}
    assert casefold("ÉCOLE") == "École"   # non-ASCII letters are left alone


@pytest.mark.parametrize("nick,ok", [
    ("alice", True), ("a", True), ("[bot]", True), ("x-1", True), ("_under", True),
    ("1abc", False), ("-x", False), ("has space", False), ("a,b", False), ("a*", False),
    ("#room", False), ("", False), ("n" * 31, False), ("n" * 30, True), ("é", False),
])
def test_nick_validity(nick: str, ok: bool) -> None:
    assert is_valid_nick(nick, 30) is ok


@pytest.mark.parametrize("name,ok", [
    ("#general", True), ("#a", True), ("#", False), ("general", False), ("#a b", False),
    ("#a,b", False), ("#a\x07", False), ("#a:b", False), ("#" + "r" * 49, True),
    ("#" + "r" * 50, False), ("#café", True),
])
def test_room_name_validity(name: str, ok: bool) -> None:
    assert is_valid_room_name(name, 50) is ok


@pytest.mark.parametrize("text,value", [("302", 302), ("0", 0), ("", None), ("3³2", None),
                                        ("٣", None), ("-1", None), ("1e3", None)])
def test_numbers_are_ascii_digits_only(text: str, value: int | None) -> None:
    assert number(text) == value


@pytest.mark.parametrize("items,budget,sep,lines", [
    ([], 10, " ", []),                                      # nothing to say, no line
    (["a"], 10, " ", ["a"]),
    (["aa", "bb", "cc"], 5, " ", ["aa bb", "cc"]),          # exactly the budget fits
    (["aa", "bb", "cc"], 4, " ", ["aa", "bb", "cc"]),
    (["aa", "bb", "cc"], 8, ",", ["aa,bb,cc"]),
    (["a", "b", "c"], 4, ", ", ["a, b", "c"]),              # the separator counts whole
    (["too-long", "a", "b"], 3, " ", ["too-long", "a b"]),  # alone on a line, not lost
    (["a", "too-long", "b"], 3, " ", ["a", "too-long", "b"]),
    (["é", "é"], 4, " ", ["é", "é"]),                       # bytes, not characters
    (["é", "é"], 5, " ", ["é é"]),
])
def test_pack_fills_lines_in_order(items: list[str], budget: int, sep: str,
                                   lines: list[str]) -> None:
    assert pack(items, budget, sep) == lines


@given(st.lists(st.text(alphabet="abé", min_size=1, max_size=12), max_size=40),
       st.integers(min_value=1, max_value=40))
def test_packed_lines_keep_every_item_and_the_budget(items: list[str], budget: int) -> None:
    lines = pack(items, budget, ",")
    assert ",".join(lines).split(",") == items if items else lines == []
    for line in lines:
        assert len(line.encode()) <= budget or "," not in line
