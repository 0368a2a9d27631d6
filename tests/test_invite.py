"""INVITE: invite-only rooms, what an invitation lets through, its errors, and
invite-notify (the room's operators see invitations)."""
from __future__ import annotations

import pytest

from .conftest import SERVER_NAME as S
from .ircclient import Client

A = ":alice!~alice@127.0.0.1"


@pytest.fixture
def private(connect) -> tuple[Client, Client, Client]:
    """#p: invite-only, made by alice (its operator) with carol in it; bob outside."""
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.join("#p")
    carol.join("#p")
    assert alice.drain() == [":carol!~carol@127.0.0.1 JOIN #p"]
    alice.send("MODE #p +i")
    for c in (alice, carol):
        c.expect_exact(f"{A} MODE #p +i")
    return alice, bob, carol


def test_an_invitation_opens_an_invite_only_room_once(private) -> None:
    alice, bob, carol = private
    bob.send("JOIN #p")
    bob.expect_exact(f":{S} 473 bob #p :Cannot join channel (+i)")
    alice.send("INVITE bob #p")
    alice.expect_exact(f":{S} 341 alice bob #p")
    bob.expect_exact(f"{A} INVITE bob #p")
    # without invite-notify, nobody else is told (the operator neither), bob once
    assert alice.drain() == [] and bob.drain() == [] and carol.drain() == []
    bob.send("INVITE")
    bob.expect_exact(f":{S} 336 bob #p", f":{S} 337 bob :End of /INVITE list")
    bob.join("#p")
    bob.send("PART #p")
    bob.expect_exact(":bob!~bob@127.0.0.1 PART #p")
    bob.send("JOIN #p")  # the invitation was used up
    bob.expect_exact(f":{S} 473 bob #p :Cannot join channel (+i)")
    bob.send("INVITE")
    bob.expect_exact(f":{S} 337 bob :End of /INVITE list")


def test_an_invitation_passes_a_ban_but_not_a_key(private) -> None:
    alice, bob, _ = private
    alice.send("MODE #p -i+bk bob sesame")
    alice.expect_exact(f"{A} MODE #p -i+bk bob!*@* sesame")
    alice.send("INVITE bob #p")
    alice.expect(" 341 ")
    bob.send("JOIN #p")
    bob.expect_exact(f"{A} INVITE bob #p", f":{S} 475 bob #p :Cannot join channel (+k)")
    bob.send("JOIN #p sesame")
    bob.expect_exact(":bob!~bob@127.0.0.1 JOIN #p")


def test_invite_errors(private, connect) -> None:
    alice, bob, carol = private
    alice.send("INVITE ghost #p")
    alice.expect_exact(f":{S} 401 alice ghost :No such nick/channel")
    alice.send("INVITE bob #nowhere")
    alice.expect_exact(f":{S} 403 alice #nowhere :No such channel")
    alice.send("INVITE carol #p")
    alice.expect_exact(f":{S} 443 alice carol #p :is already on channel")
    bob.send("INVITE alice #p")  # not a member
    bob.expect_exact(f":{S} 442 bob #p :You're not on that channel")
    carol.send("INVITE bob #p")  # a member, but +i wants an operator
    carol.expect_exact(f":{S} 482 carol #p :You're not channel operator")
    alice.send("INVITE bob")
    alice.expect_exact(f":{S} 461 alice INVITE :Not enough parameters")
    alice.send("MODE #p -i")
    alice.expect_exact(f"{A} MODE #p -i")
    assert carol.drain() == [f"{A} MODE #p -i"]  # the refusals told nobody anything
    carol.send("INVITE bob #p")  # without +i any member may
    carol.expect_exact(f":{S} 341 carol bob #p")
    bob.expect_exact(":carol!~carol@127.0.0.1 INVITE bob #p")
    assert alice.drain() == [] and bob.drain() == [] and carol.drain() == []


def test_inviting_someone_away_says_so(private) -> None:
    alice, bob, carol = private
    bob.send("AWAY :at lunch")
    bob.expect(" 306 ")
    alice.send("INVITE bob #p")
    alice.expect_exact(f":{S} 341 alice bob #p", f":{S} 301 alice bob :at lunch")
    assert bob.drain() == [f"{A} INVITE bob #p"]  # being away, told all the same
    assert alice.drain() == [] and carol.drain() == []


def test_invite_notify_tells_the_rooms_other_operators(private, connect) -> None:
    alice, bob, carol = private
    dave, erin = connect("dave"), connect("erin")
    for c in (carol, dave, erin):
        c.send("CAP REQ invite-notify")
        c.expect_exact(f":{S} CAP {c.name} ACK :invite-notify")
    for nick, c in (("dave", dave), ("erin", erin)):
        alice.send(f"INVITE {nick} #p")
        c.expect_exact(f"{A} INVITE {nick} #p")
        c.join("#p")
    alice.send("MODE #p +o dave")
    dave_in, erin_in = (f":{n}!~{n}@127.0.0.1 JOIN #p" for n in ("dave", "erin"))
    mode = f"{A} MODE #p +o dave"
    alice.expect_exact(f":{S} 341 alice dave #p", dave_in, f":{S} 341 alice erin #p",
                       erin_in, mode)
    for c, before in ((carol, [dave_in, erin_in]), (dave, [erin_in]), (erin, [])):
        c.expect_exact(*before, mode)  # no operator had invite-notify: no INVITE lines
    alice.send("CAP REQ invite-notify")
    alice.expect_exact(f":{S} CAP alice ACK :invite-notify")
    assert alice.drain() == []
    alice.send("INVITE bob #p")
    alice.expect_exact(f":{S} 341 alice bob #p")  # not the INVITE line as well
    bob.expect_exact(f"{A} INVITE bob #p")
    dave.expect_exact(f"{A} INVITE bob #p")  # an operator with invite-notify
    for c in (alice, bob, carol, dave, erin):  # carol and erin are not operators
        assert c.drain() == [], c.name
