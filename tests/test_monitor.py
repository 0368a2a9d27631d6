"""MONITOR (IRCv3): watch lists, their replies, and the notifications as watched nicks
register, change nick and leave; the table is emptied as watchers go."""
from __future__ import annotations

import threading

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until

H = "127.0.0.1"


def test_watcher_hears_a_nick_come_rename_and_go(server, connect) -> None:
    alice = connect("alice")
    alice.send("MONITOR + bob,Carol")
    alice.expect_exact(f":{S} 731 alice :bob,Carol")
    bob = connect("bob")
    alice.expect_exact(f":{S} 730 alice :bob!~bob@{H}")
    bob.send("NICK robert")  # away from a watched nick: offline
    alice.expect_exact(f":{S} 731 alice :bob")
    bob.send("NICK CAROL")   # onto one (any case): online, as the server spells it now
    alice.expect_exact(f":{S} 730 alice :CAROL!~bob@{H}")
    bob.send("NICK carol")   # a change of case only is no news
    bob.send("QUIT :bye")
    alice.expect_exact(f":{S} 731 alice :carol")
    alice.assert_silent()


def test_add_reports_online_and_offline_targets(connect) -> None:
    alice = connect("alice")
    connect("bob"), connect("dave")  # online, to be reported so
    alice.send("MONITOR + BOB,zed,dave,Zed,#room,9nine")  # duplicates, non-nicks dropped
    alice.expect_exact(f":{S} 730 alice :bob!~bob@{H},dave!~dave@{H}",
                       f":{S} 731 alice :zed")
    alice.send("MONITOR L")
    alice.expect_exact(f":{S} 732 alice :BOB,zed,dave",
                       f":{S} 733 alice :End of MONITOR list")
    alice.send("MONITOR + bob")  # already watched: its status again, no second entry
    alice.expect_exact(f":{S} 730 alice :bob!~bob@{H}")
    alice.send("MONITOR L")
    alice.expect_exact(f":{S} 732 alice :BOB,zed,dave",
                       f":{S} 733 alice :End of MONITOR list")


def test_remove_clear_list_and_status(connect) -> None:
    alice, c3 = connect("alice"), connect("c3")
    alice.send("MONITOR + a1,B2,c3")
    alice.expect_exact(f":{S} 730 alice :c3!~c3@{H}", f":{S} 731 alice :a1,B2")
    alice.send("MONITOR - b2,nobody")
    alice.send("MONITOR L")
    alice.expect_exact(f":{S} 732 alice :a1,c3", f":{S} 733 alice :End of MONITOR list")
    alice.send("MONITOR S")
    alice.expect_exact(f":{S} 730 alice :c3!~c3@{H}", f":{S} 731 alice :a1")
    alice.send("MONITOR C")
    alice.send("MONITOR L")
    alice.expect_exact(f":{S} 733 alice :End of MONITOR list")
    alice.send("MONITOR S")  # an empty list has no status lines
    alice.send("PING check")
    alice.expect_exact(f":{S} PONG {S} :check")
    c3.send("QUIT")  # no longer watched: nothing for alice
    c3.expect_exact("ERROR :Closing Link: 127.0.0.1 (Client Quit)")
    c3.assert_closed()  # the server tells watchers before it closes the socket
    alice.assert_silent()


def test_list_full_refuses_the_rest(start_server, connect) -> None:
    alice = connect("alice", target=start_server(monitor_size=3))
    alice.send("MONITOR + a,b")
    alice.expect_exact(f":{S} 731 alice :a,b")
    alice.send("MONITOR + c,d,B,e")  # B is already there: it costs nothing
    alice.expect_exact(f":{S} 731 alice :c,B",
                       f":{S} 734 alice 3 d,e :Monitor list is full.")
    alice.send("MONITOR L")
    alice.expect_exact(f":{S} 732 alice :a,b,c", f":{S} 733 alice :End of MONITOR list")
    alice.send("MONITOR + x")
    alice.expect_exact(f":{S} 734 alice 3 x :Monitor list is full.")


def test_errors(connect) -> None:
    alice = connect("alice")
    alice.send("MONITOR")
    alice.expect_exact(f":{S} 461 alice MONITOR :Not enough parameters")
    alice.send("MONITOR +")
    alice.expect_exact(f":{S} 461 alice MONITOR :Not enough parameters")
    alice.send("MONITOR X a")
    alice.expect_exact(f":{S} 400 alice MONITOR X :Unknown MONITOR modifier")


def test_long_lists_are_split_over_lines(start_server, connect) -> None:
    alice = connect("alice", target=start_server(flood_control=False))
    nicks = [f"watched_nick_number_{i:03d}" for i in range(60)]
    for start in range(0, 60, 15):
        alice.send("MONITOR + " + ",".join(nicks[start:start + 15]))
    for _ in range(4):
        alice.expect(" 731 ")
    for command, numeric in (("S", "731"), ("L", "732")):
        alice.send(f"MONITOR {command}")
        lines = alice.collect(" 733 " if command == "L" else f" {numeric} .*_059")
        lines = [line for line in lines if f" {numeric} " in line]
        assert len(lines) > 1 and all(len(line) + 2 <= 512 for line in lines)
        assert ",".join(line.split(" :", 1)[1] for line in lines).split(",") == nicks


def test_lists_go_with_their_watcher(server, connect) -> None:
    alice, bob = connect("alice"), connect("bob")
    alice.send("MONITOR + bob,carol")
    alice.expect(" 731 ")
    bob.send("MONITOR + alice")
    bob.expect_exact(f":{S} 730 bob :alice!~alice@{H}")
    alice_user = server.nicks.get("alice")
    alice.send("QUIT")  # bob hears it; alice's own list goes
    bob.expect_exact(f":{S} 731 bob :alice")
    wait_until(lambda: server.monitors.targets(alice_user) == [])
    assert server.monitors.watchers_of("carol") == []
    assert server.monitors.watchers_of("bob") == []
    bob.send("QUIT")
    wait_until(lambda: len(server.monitors) == 0)
    assert server.monitors.watchers_of("alice") == []


def test_many_watchers_at_once(start_server, connect) -> None:
    """Watchers add and remove from their own threads while the watched nick comes and
    goes: each ends with exactly its own list, and the table is empty once all leave."""
    server = start_server(flood_control=False)
    watchers = [connect(f"w{i}", target=server) for i in range(8)]
    errors: list[BaseException] = []

    def churn(client: Client, index: int) -> None:
        try:
            for round_ in range(20):
                client.send(f"MONITOR + target,other{index}")
                client.send(f"MONITOR - other{index}")
            client.send("MONITOR L")
            client.expect(rf" 732 {client.name} :target$", wait=10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=churn, args=(c, i)) for i, c in enumerate(watchers)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        target = connect("target", target=server)
        target.send("QUIT")
        wait_until(lambda: server.nicks.get("target") is None)
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(server.monitors.watchers_of("target")) == 8
    assert server.monitors.watchers_of("other0") == []
    for client in watchers:
        client.send("QUIT")
    wait_until(lambda: len(server.monitors) == 0)
    assert server.monitors.watchers_of("target") == []
