"""Ops and voices in the client's member lists, fed raw server lines: PREFIX and
CHANMODES from 005, NAMES with multi-prefix and userhost-in-names, MODE strings with
parameters, nick changes, leaving, away-notify; and what the member list shows."""
from __future__ import annotations

import pytest
from prompt_toolkit.buffer import Buffer as InputBuffer
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from ircish.client.completion import ChatCompleter
from ircish.client.isupport import Features, ModeChange
from ircish.client.model import ClientModel
from ircish.client.slash import Catalog
from ircish.client.view import ChatView
from ircish.protocol import parse_line

S = ":irc.test"
ALICE = "alice!~alice@127.0.0.1"
BOB = "bob!~bob@10.0.0.2"


def feed(model: ClientModel, *lines: str) -> None:
    for line in lines:
        model.feed(parse_line(line))


def shown(model: ClientModel, room: str = "#general") -> list[str]:
    """The member list as the view shows it: highest sign, then the nick."""
    buf = model.find(room)
    assert buf is not None
    return [model.features.sign(m.modes) + m.nick for m in buf.sorted_members(model.features)]


def modes(model: ClientModel, nick: str, room: str = "#general") -> set[str]:
    buf = model.find(room)
    assert buf is not None
    return buf.members[nick.lower()].modes


def in_room(names: str, *isupport: str) -> ClientModel:
    """alice joins #general where NAMES lists `names` (after these 005 tokens)."""
    model = ClientModel("alice")
    feed(model, f"{S} 001 alice :Welcome {ALICE}")
    if isupport:
        feed(model, f"{S} 005 alice {' '.join(isupport)} :are supported by this server")
    feed(model, f":{ALICE} JOIN #general", f"{S} 353 alice = #general :{names}",
         f"{S} 366 alice #general :End of /NAMES list.")
    return model


def test_ops_then_voices_then_the_rest_alphabetically_without_case() -> None:
    model = in_room("alice +Zed carol @bob +amy Dave @Eve")
    assert shown(model) == ["@bob", "@Eve", "+amy", "+Zed", "alice", "carol", "Dave"]


def test_multi_prefix_names_keep_every_mode_and_show_the_highest() -> None:
    model = in_room("alice +@bob @+carol +dave")
    assert modes(model, "bob") == modes(model, "carol") == {"o", "v"}
    assert shown(model) == ["@bob", "@carol", "+dave", "alice"]
    feed(model, f":{ALICE} MODE #general -o bob")       # de-opped, still voiced
    assert shown(model) == ["@carol", "+bob", "+dave", "alice"]


def test_userhost_in_names_entries_are_reduced_to_nicks() -> None:
    model = in_room("alice!~alice@127.0.0.1 @+bob!~bob@10.0.0.2 carol!c@h")
    assert shown(model) == ["@bob", "alice", "carol"]


def test_default_prefix_without_005_and_a_server_prefix_with_more_ranks() -> None:
    assert shown(in_room("alice @bob +carol")) == ["@bob", "+carol", "alice"]
    model = in_room("alice %bob ~carol @dave +eve &fay", "PREFIX=(qaohv)~&@%+")
    assert shown(model) == ["~carol", "&fay", "@dave", "%bob", "+eve", "alice"]
    feed(model, f":{ALICE} MODE #general +q-a+h eve fay fay")
    assert shown(model) == ["~carol", "~eve", "@dave", "%bob", "%fay", "alice"]


def test_prefix_without_voice_leaves_plus_in_the_nick() -> None:
    model = in_room("alice @bob", "PREFIX=(o)@")     # what our server said before
    assert shown(model) == ["@bob", "alice"]
    assert ModeChange(True, "v", None) in list(model.features.mode_changes("+v", []))


@pytest.mark.parametrize("modestring, params, expected", [
    ("+o-v", ["alice", "bob"], [(True, "o", "alice"), (False, "v", "bob")]),
    # A (b) and B (k) always take one; C (l) only when set; D (m) never
    ("+bkl-l+m", ["*!*@bad", "secret", "10"],
     [(True, "b", "*!*@bad"), (True, "k", "secret"), (True, "l", "10"), (False, "l", None),
      (True, "m", None)]),
    ("-k+o", ["secret", "carol"], [(False, "k", "secret"), (True, "o", "carol")]),
    ("+ov", ["alice"], [(True, "o", "alice"), (True, "v", None)]),     # a param short
    ("o", ["alice"], [(True, "o", "alice")]),                            # no sign: adding
    ("+Xo", ["alice"], [(True, "X", None), (True, "o", "alice")]),       # unknown: no param
])
def test_mode_strings_pair_letters_with_parameters(modestring: str, params: list[str],
                                                   expected: list[tuple[bool, str, str | None]]) -> None:
    assert list(Features().mode_changes(modestring, params)) == expected


def test_mode_lines_with_several_parameters_update_the_members() -> None:
    model = in_room("alice @bob carol dave")
    feed(model, f":{BOB} MODE #general +b-o+vk *!*@spam bob carol secret",
         f":{BOB} MODE #general +l-l+vo 20 dave dave")
    assert shown(model) == ["@dave", "+carol", "alice", "bob"]
    assert modes(model, "dave") == {"o", "v"}
    feed(model, f":{BOB} MODE #general -ov+v dave dave ghost")   # ghost is not here
    assert shown(model) == ["+carol", "alice", "bob", "dave"]
    room = model.find("#general")
    assert room is not None
    assert room.lines[-1].text == "bob sets mode -ov+v dave dave ghost"


def test_chanmodes_from_005_decide_which_letters_take_a_parameter() -> None:
    # here `q` is a list mode (type A): `+qo x bob` means bob gets +o, not x
    model = in_room("alice bob", "CHANMODES=bq,k,l,imnst")
    feed(model, f":{ALICE} MODE #general +qo x!*@* bob")
    assert shown(model) == ["@bob", "alice"]
    default = in_room("alice bob")        # CHANMODES unknown: q takes nothing
    feed(default, f":{ALICE} MODE #general +qo bob")
    assert shown(default) == ["@bob", "alice"]


def test_user_modes_do_not_touch_a_private_chat_named_like_me() -> None:
    model = in_room("alice")
    feed(model, f":{BOB} PRIVMSG alice :hi", f":{ALICE} MODE bob +i")
    query = model.find("bob")
    assert query is not None and [line.text for line in query.lines] == ["hi"]


def test_modes_survive_nick_changes_and_go_with_leaving() -> None:
    model = in_room("alice @+bob +carol dave eve")
    feed(model, f":{BOB} NICK robert", ":carol!c@h NICK Zoe")
    assert shown(model) == ["@robert", "+Zoe", "alice", "dave", "eve"]
    assert modes(model, "robert") == {"o", "v"}
    feed(model, ":robert!~bob@10.0.0.2 PART #general", ":Zoe!c@h KICK #general dave :out",
         ":eve!e@h QUIT :bye")
    assert shown(model) == ["+Zoe", "alice"]
    feed(model, f":{BOB} JOIN #general")                  # back: no modes of old
    assert shown(model) == ["+Zoe", "alice", "bob"]


def test_my_own_modes_follow_my_nick() -> None:
    model = in_room("@alice bob")
    feed(model, f":{ALICE} NICK alicia")
    assert shown(model) == ["@alicia", "bob"]


def test_away_notify_marks_members_in_every_room() -> None:
    model = in_room("alice bob carol")
    feed(model, f":{ALICE} JOIN #dev", f"{S} 353 alice = #dev :alice bob",
         f"{S} 366 alice #dev :End", f":{BOB} AWAY :gone fishing")
    for room in ("#general", "#dev"):
        buf = model.find(room)
        assert buf is not None and buf.members["bob"].away and not buf.members["alice"].away
        assert not any("fishing" in line.text for line in buf.lines)   # no line, a mark
    feed(model, f":{BOB} AWAY")
    assert not any(b.members["bob"].away for b in model.buffers if "bob" in b.members)
    feed(model, ":ghost!g@h AWAY :not in any room")                   # no crash


def test_nick_completion_offers_bare_nicks_of_ops_and_voices() -> None:
    model = in_room("alice @+bob +Bea @carol", "PREFIX=(ov)@+")
    model.switch_to("#general")
    completer = ChatCompleter(model, Catalog())
    offered = [c.text for c in completer.get_completions(
        Document("b", 1), CompleteEvent(completion_requested=True))]
    assert sorted(offered) == ["Bea: ", "bob: "]
    offered = [c.text for c in completer.get_completions(
        Document("hi c", 4), CompleteEvent(completion_requested=True))]
    assert offered == ["carol"]


def test_the_view_shows_the_sign_before_each_nick_in_rank_order() -> None:
    model = in_room("alice +@bob +carol dave", "PREFIX=(ov)@+")
    feed(model, ":dave!d@h AWAY :lunch")
    model.switch_to("#general")
    view = ChatView(model, InputBuffer())
    fragments = view.members()
    rows = "".join(fragment[1] for fragment in fragments).splitlines()
    assert rows == ["4 members", "@bob", "+carol", " alice", " dave"]
    styles = {fragment[1]: fragment[0] for fragment in fragments}
    assert styles["@"] == "class:members.op" and styles["+"] == "class:members.voice"
    assert styles["dave\n"] == "class:members.away"
