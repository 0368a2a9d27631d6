"""SEARCH (soju.im/search): the attributes and what each selects, the limit, the
FAILs, and that nobody finds what they may not read."""
from __future__ import annotations

import pytest

from ircish.server.server import Server

from .conftest import SERVER_NAME as S
from .ircclient import Client
from .test_chathistory import FULL, batch, fail, msgid_of, say, seed, stamp

SEARCHING = FULL + " soju.im/search"
BASE = 1_700_000_000_000


@pytest.fixture
def server(start_server) -> Server:
    return start_server(flood_control=False)


def found(client: Client, attributes: str) -> list[str]:
    """The texts a SEARCH finds, in the order they come."""
    _, lines = batch(client, f"SEARCH {attributes}", "soju.im/search")
    return [line.rsplit(" :", 1)[1] for line in lines]


@pytest.fixture
def alice(server, capped) -> Client:
    """alice in #dev and #ops; bob alone in #hidden (+s); what each room said."""
    alice = capped("alice", SEARCHING)
    bob = capped("bob", SEARCHING)
    alice.join("#dev")
    alice.join("#ops")
    bob.join("#hidden")
    bob.send("MODE #hidden +s")
    seed(server, "#dev", (BASE + 1, "alice", "deployed the fix"),
         (BASE + 2, "bob", "Deploy again tomorrow"), (BASE + 3, "carol", "nothing to see"),
         (BASE + 4, "dmitri", "привет мир"), (BASE + 5, "eleni", "Καλημέρα κόσμε"))
    seed(server, "#ops", (BASE + 6, "bob", "deploy window opens"))
    seed(server, "#hidden", (BASE + 7, "bob", "deploy the secret"))
    alice.drain()
    return alice


def test_text_matches_words_and_their_beginnings_in_any_script(alice) -> None:
    assert found(alice, "text=deployed") == ["deployed the fix"]
    assert found(alice, "text=deploy") == ["deployed the fix", "Deploy again tomorrow",
                                           "deploy window opens"]
    assert found(alice, ":text=DEPLOY fix") == ["deployed the fix"]  # every word
    assert found(alice, r"text=deploy\sfix") == ["deployed the fix"]  # tag escaping
    assert found(alice, "text=ploy") == []                           # a word's start only
    assert found(alice, "text=привет") == ["привет мир"]
    assert found(alice, "text=ПРИВ") == ["привет мир"]
    assert found(alice, "text=καλημέρα") == ["Καλημέρα κόσμε"]
    assert found(alice, "text=ocean") == []


def test_in_and_from_narrow_it(alice) -> None:
    assert found(alice, "in=#ops") == ["deploy window opens"]
    assert found(alice, "in=#OPS;text=deploy") == ["deploy window opens"]
    assert found(alice, "from=bob") == ["Deploy again tomorrow", "deploy window opens"]
    assert found(alice, "from=BOB;in=#dev") == ["Deploy again tomorrow"]
    assert found(alice, "from=nobody") == []


def test_after_and_before_are_inclusive(alice) -> None:
    assert found(alice, f"after={stamp(BASE + 2)};before={stamp(BASE + 4)};in=#dev") == [
        "Deploy again tomorrow", "nothing to see", "привет мир"]
    assert found(alice, f"before={stamp(BASE + 1)}") == ["deployed the fix"]
    assert found(alice, f"after={stamp(BASE + 6)}") == ["deploy window opens"]
    assert found(alice, f"after={stamp(BASE + 7)}") == []


def test_limit_keeps_the_newest_and_the_server_caps_it(server, alice) -> None:
    assert found(alice, "limit=2") == ["Καλημέρα κόσμε", "deploy window opens"]
    assert found(alice, "text=deploy;limit=1") == ["deploy window opens"]
    server.settings.search_limit = 3
    assert found(alice, "limit=50") == ["привет мир", "Καλημέρα κόσμε", "deploy window opens"]
    assert found(alice, "in=#dev") == ["nothing to see", "привет мир", "Καλημέρα κόσμε"]


def test_only_the_users_rooms_are_searched(alice, capped) -> None:
    """Without `in`, the rooms alice is in; a room she may not read (a secret one, one
    that does not exist) or a nick (she is not logged in: no private history) finds
    nothing, all alike."""
    assert "deploy the secret" not in found(alice, "text=deploy")
    for target in ("#hidden", "#nosuchroom", "bob"):
        assert found(alice, f"in={target}") == []
    loner = capped("loner", SEARCHING)
    assert found(loner, "text=deploy") == []


def test_attributes_that_cannot_be_read(alice) -> None:
    for attributes, which, why in (("limit=0", "limit", "Invalid limit"),
                                   ("limit=-5", "limit", "Invalid limit"),
                                   ("limit=many", "limit", "Invalid limit"),
                                   ("after=yesterday", "after", "Invalid timestamp"),
                                   ("text=x;before=2024-01-01", "before", "Invalid timestamp"),
                                   ("in=", "in", "Empty in"),
                                   ("from=;text=x", "from", "Empty from")):
        fail(alice, f"SEARCH {attributes}", f"SEARCH INVALID_PARAMS {which} :{why}")
    assert found(alice, "text=fix;colour=blue") == ["deployed the fix"]  # unknown: ignored
    alice.send("SEARCH")
    alice.expect_exact(f":{S} 461 alice SEARCH :Not enough parameters")


def test_live_messages_are_found_as_they_went_out_and_redacted_ones_are_not(capped) -> None:
    alice = capped("alice", SEARCHING + " draft/message-redaction")
    alice.join("#live")
    keep = say(alice, "#live", "a needle here")
    gone = say(alice, "#live", "another needle")
    assert batch(alice, "SEARCH text=needle", "soju.im/search") == ("", [keep, gone])
    alice.send(f"REDACT #live {msgid_of(gone)}")
    alice.expect(" REDACT #live ")
    assert batch(alice, "SEARCH text=needle", "soju.im/search") == ("", [keep])


def test_labeled_search(alice) -> None:
    alice.send("CAP REQ labeled-response")
    alice.expect(" ACK ")
    _, lines = batch(alice, "@label=s1 SEARCH text=fix", "soju.im/search",
                     first_tags="@label=s1 ")
    assert [line.rsplit(" :", 1)[1] for line in lines] == ["deployed the fix"]


def test_without_history_the_command_does_not_exist(start_server) -> None:
    server = start_server(no_history=True)
    alice = Client(server.address, "alice")
    alice.register("alice")
    alice.send("SEARCH text=x")
    alice.expect_exact(f":{S} 421 alice SEARCH :Unknown command")
    alice.close()
