"""labeled-response framing over a real outbox on a fake transport: what one labeled
command sends its own client becomes one labeled reply."""
from __future__ import annotations

import re

from ircish.server.labeled import labeled_response, put_aside
from ircish.server.outbox import Outbox, delivery_batch

from .fakes import FakeTransport, make_outbox

S = "irc.test"
ONE = b":irc.test 401 me nobody :No such nick/channel\r\n"
TWO = b":irc.test 353 me = #r :@me\r\n"
END = b":irc.test 366 me #r :End of /NAMES list.\r\n"


def labeled(outbox: Outbox, *lines: bytes, label: str = "L1") -> None:
    """One labeled command whose replies to its client are `lines`."""
    with delivery_batch(own=outbox), labeled_response(outbox, label, S):
        for line in lines:
            outbox.put(line)


def received(outbox: Outbox) -> list[str]:
    transport = outbox.transport
    assert isinstance(transport, FakeTransport)
    return transport.sent.decode().split("\r\n")[:-1]


def batch_ref(line: str) -> str:
    match = re.fullmatch(rf"@label=L1 :{S} BATCH \+(\S+) labeled-response", line)
    assert match, line
    return match.group(1)


def test_one_line_carries_the_label() -> None:
    outbox = make_outbox()
    labeled(outbox, ONE)
    assert received(outbox) == [f"@label=L1 :{S} 401 me nobody :No such nick/channel"]


def test_a_line_with_tags_gets_the_label_first() -> None:
    outbox = make_outbox()
    labeled(outbox, b"@time=x :me!u@h PRIVMSG you :hi\r\n")
    assert received(outbox) == ["@label=L1;time=x :me!u@h PRIVMSG you :hi"]


def test_no_line_gets_a_labeled_ack_and_the_label_is_escaped() -> None:
    outbox = make_outbox()
    labeled(outbox, label="a b;c")
    assert received(outbox) == [rf"@label=a\sb\:c :{S} ACK"]


def test_several_lines_are_wrapped_in_a_labeled_response_batch() -> None:
    outbox = make_outbox()
    labeled(outbox, ONE, TWO)
    first, *inside, last = received(outbox)
    ref = batch_ref(first)
    assert inside == [f"@batch={ref} :{S} 401 me nobody :No such nick/channel",
                      f"@batch={ref} :{S} 353 me = #r :@me"]
    assert last == f":{S} BATCH -{ref}"


def test_earlier_replies_stay_unlabeled_and_lines_put_aside_follow_the_reply() -> None:
    outbox = make_outbox()
    with delivery_batch(own=outbox):
        outbox.put(TWO)  # the answer to an earlier, unlabeled command
        with labeled_response(outbox, "L1", S):
            put_aside(outbox, b":me!u@h PRIVMSG me :to myself\r\n")
            outbox.put(ONE)
    assert received(outbox) == [f":{S} 353 me = #r :@me",
                                f"@label=L1 :{S} 401 me nobody :No such nick/channel",
                                ":me!u@h PRIVMSG me :to myself"]


def test_put_aside_for_someone_else_is_a_plain_put() -> None:
    mine, theirs = make_outbox(), make_outbox()
    with delivery_batch(own=mine), labeled_response(mine, "L1", S):
        put_aside(theirs, ONE)
    assert received(theirs) == [ONE.decode().rstrip("\r\n")]
    assert received(mine) == [f"@label=L1 :{S} ACK"]


def test_a_leading_put_now_opens_the_batch_and_the_rest_closes_it() -> None:
    outbox = make_outbox()
    with delivery_batch(own=outbox), labeled_response(outbox, "L1", S):
        outbox.put_now(b":me!u@h JOIN #r\r\n", lead=True)  # the JOIN echo
        assert len(received(outbox)) == 0  # committed, not sent before the batch ends
        outbox.put(TWO)
        outbox.put(END)
    first, *inside, last = received(outbox)
    ref = batch_ref(first)
    assert inside == [f"@batch={ref} :me!u@h JOIN #r", f"@batch={ref} :{S} 353 me = #r :@me",
                      f"@batch={ref} :{S} 366 me #r :End of /NAMES list."]
    assert last == f":{S} BATCH -{ref}"


def test_a_put_now_that_need_not_lead_joins_the_reply() -> None:
    outbox = make_outbox()
    with delivery_batch(own=outbox), labeled_response(outbox, "L1", S):
        outbox.put_now(b":me!u@h TOPIC #r :new\r\n")
    assert received(outbox) == ["@label=L1 :me!u@h TOPIC #r :new"]


def test_finish_inside_a_labeled_command_labels_the_last_reply() -> None:
    outbox = make_outbox()
    with delivery_batch(own=outbox), labeled_response(outbox, "L1", S):
        outbox.put(b"ERROR :Closing Link: h (Quit: bye)\r\n")
        outbox.finish(wait=0)
        assert received(outbox) == ["@label=L1 ERROR :Closing Link: h (Quit: bye)"]
    assert len(received(outbox)) == 1  # spent: nothing more at the end
