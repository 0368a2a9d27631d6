"""Many clients at once: joining, talking, renaming, leaving and vanishing concurrently.

Each client has its own reader thread in the server, so these tests drive dozens of
real sockets from as many test threads, released together by a barrier. What is
checked is exact: every line a steady member received during the busy period is
accounted for, in order, per sender; and afterwards the nick table, every room's
members and every user's `rooms` agree with each other and with what the clients did.
"""
from __future__ import annotations

import random
import re
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import pytest

from ircish.server.connection import Connection
from ircish.server.server import Server
from ircish.server.state import User

from .conftest import SERVER_NAME as S
from .ircclient import Client, wait_until

SEED = 20240611
HOST = "127.0.0.1"
PERMANENT = {"#general", "#dev"}  # the rooms conftest.test_settings configures
# How the server announces a client whose socket went away without a QUIT: end of
# stream, a reset, or a write that failed first (all three are legitimate races).
VANISHED = re.compile(r"Remote host closed the connection|Connection reset by peer"
                      r"|Write error: .+")


# --- helpers ----------------------------------------------------------------------

NO_LIMITS = {"flood_control": False, "max_clients_per_ip": 0}


@pytest.fixture
def server(start_server) -> Server:
    """The test server without flood control or a per-address cap: these tests send
    hundreds of lines at once from dozens of clients on 127.0.0.1, on purpose (both
    limits have their own tests in test_limits.py)."""
    return start_server(**NO_LIMITS)


Parsed = tuple[str | None, str, list[str]]


def parse(line: str) -> Parsed:
    """(source, command, params) of a line the server sent."""
    source = None
    rest = line
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
    head, sep, trailing = rest.partition(" :")
    command, *params = [w for w in head.split(" ") if w]
    if sep:
        params.append(trailing)
    return source, command, params


def connections(server: Server) -> list[Connection]:
    with server._lock:  # the set is mutated by the accept and reader threads
        return list(server.connections)


def server_side(server: Server, client: Client) -> Connection:
    """The server's Connection for this test client (matched by its local port)."""
    port = client.sock.getsockname()[1]
    found: list[Connection] = []

    def look() -> bool:
        found[:] = [c for c in connections(server) if c.address[1] == port]
        return bool(found)

    wait_until(look)
    return found[0]


def vanish(client: Client, how: str) -> None:
    """Drop the socket without a QUIT: a plain close (FIN) or an RST (SO_LINGER 0)."""
    if how == "reset":
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


T = TypeVar("T")


def user_named(server: Server, nick: str) -> User:
    user = server.nicks.get(nick)
    assert user is not None, nick
    return user


def run_together(tasks: Sequence[Callable[[], T]], timeout: float = 20) -> list[T]:
    """Run every task on its own thread, released at the same instant; re-raise the
    first failure. Returns the results in order."""
    barrier = threading.Barrier(len(tasks), timeout=10)

    def start(task: Callable[[], T]) -> T:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            raise AssertionError("another task failed before the start") from None
        return task()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(start, task) for task in tasks]
        results = []
        for future in futures:
            try:
                results.append(future.result(timeout=timeout))
            except BaseException:
                barrier.abort()
                raise
        return results


def check_consistency(server: Server, expected_rooms: dict[str, set[str]],
                      gone: Iterable[User] = ()) -> None:
    """The nick table, the room table, every room's members and snapshot, and every
    user's `rooms` agree; they equal `expected_rooms` (room name -> member nicks, every
    live room listed); no `gone` user is left anywhere; the counters match."""
    users = server.nicks.users()
    nicks = {u.nick for u in users}
    assert len(nicks) == len(users)
    for user in users:
        assert server.nicks.get(user.nick) is user and user.registered, user
    wait_until(lambda: len(connections(server)) == len(users))  # cleanup just finishing
    assert server.registered_count == len(users)
    assert {c.user for c in connections(server)} == set(users)

    live = server.rooms.all()
    actual: dict[str, set[str]] = {}
    for room in live:
        with room.lock:
            members = dict(room.members)
            snapshot = room.members_snapshot
        assert len(snapshot) == len(members) and set(snapshot) == set(members), room
        assert server.rooms.find(room.name) is room
        assert members or room.permanent, f"empty room {room.name} was not dropped"
        for member in members:
            assert server.nicks.get(member.nick) is member, f"{member} in {room.name}"
        actual[room.name] = {m.nick for m in members}
    assert actual == expected_rooms

    for user in users:
        mine = {id(r) for r in user.room_list()}
        assert mine == {id(r) for r in live if user in r.members}, user
    for user in gone:
        assert user not in users and server.nicks.get(user.nick) is not user
        assert user.rooms == {}, f"departed {user} still lists {user.rooms}"
        assert not any(user in r.members or user in r.members_snapshot for r in live)


# --- the crowd ----------------------------------------------------------------------

ROOMS = ("#general", "#r1", "#r2", "#r3")   # #general is permanent, the others are not
N_STEADY = 20                              # in their rooms before, during and after
STEADY_MESSAGES = 12
ENDINGS = ["quit"] * 12 + ["stay"] * 10 + ["close"] * 3 + ["reset"] * 3  # 28 churners


@dataclass
class Seen:
    """One line peers should receive from an actor: who sees it (members of any room
    in `rooms`) and the line as (source, command, params); a regex as last param
    stands for a reason that may legitimately vary."""
    rooms: frozenset[str]
    line: tuple[str, str, list[str | re.Pattern[str]]]


@dataclass
class Actor:
    name: str                      # also the USER name, so every prefix is predictable
    steady: bool
    lines: list[str] = field(default_factory=list)   # what it sends during the period
    seen: list[Seen] = field(default_factory=list)   # what its peers must receive
    rooms: list[str] = field(default_factory=list)   # at the end (steady: throughout)
    nick: str = ""                 # at the end
    nicks: list[str] = field(default_factory=list)   # every nick it ever has
    ending: str = "stay"
    client: Client | None = None
    conn: Connection | None = None
    received: list[str] = field(default_factory=list)
    pause: random.Random = field(default_factory=random.Random)

    def prefix(self) -> str:
        return f"{self.nick}!~{self.name}@{HOST}"

    @property
    def io(self) -> Client:
        """Its client, once connected."""
        assert self.client is not None
        return self.client

    @property
    def server_side(self) -> Connection:
        assert self.conn is not None
        return self.conn

    def say(self, room: str, rng: random.Random, seq: int) -> None:
        text = f"id={self.name}.{seq} " + "x" * rng.randint(0, 40)
        self.lines.append(f"PRIVMSG {room} :{text}")
        self.seen.append(Seen(frozenset({room}), (self.prefix(), "PRIVMSG", [room, text])))


def plan_steady(i: int, rng: random.Random) -> Actor:
    actor = Actor(f"s{i}", steady=True, nick=f"s{i}")
    actor.nicks = [actor.nick]
    actor.rooms = sorted(rng.sample(ROOMS, rng.randint(2, 3)))
    for seq in range(STEADY_MESSAGES):
        actor.say(rng.choice(actor.rooms), rng, seq)
    return actor


def plan_churner(k: int, ending: str, rng: random.Random) -> Actor:
    """Registers, joins two or three rooms at once, renames while in all of them, then
    talks, renames, parts and joins at random, and ends as `ending` says."""
    actor = Actor(f"c{k}", steady=False, ending=ending)
    names = iter(f"c{k}{letter}" for letter in "abcdefghijklmnop")
    actor.nick = next(names)
    actor.nicks = [actor.nick]
    actor.lines += [f"NICK {actor.nick}", f"USER {actor.name} 0 * :churner {k}"]
    seq = 0

    def join(rooms: list[str]) -> None:
        actor.lines.append("JOIN " + ",".join(rooms))
        for room in rooms:
            actor.seen.append(Seen(frozenset({room}), (actor.prefix(), "JOIN", [room])))
            actor.rooms.append(room)

    def rename() -> None:
        old = actor.prefix()
        actor.nick = next(names)
        actor.nicks.append(actor.nick)
        actor.lines.append(f"NICK {actor.nick}")
        actor.seen.append(Seen(frozenset(actor.rooms), (old, "NICK", [actor.nick])))

    join(rng.sample(ROOMS, rng.randint(2, 3)))
    rename()  # while sharing several rooms with the steady members
    for _ in range(8):
        action = rng.choice(["say"] * 4 + ["rename", "part", "join"])
        if action == "part" and len(actor.rooms) > 1:
            room = rng.choice(actor.rooms)
            actor.lines.append(f"PART {room} :bye from {actor.name}")
            actor.seen.append(Seen(frozenset({room}),
                                   (actor.prefix(), "PART", [room, f"bye from {actor.name}"])))
            actor.rooms.remove(room)
        elif action == "join" and len(actor.rooms) < len(ROOMS):
            join([rng.choice([r for r in ROOMS if r not in actor.rooms])])
        elif action == "rename":
            rename()
        else:
            actor.say(rng.choice(actor.rooms), rng, seq)
            seq += 1
    everywhere = frozenset(actor.rooms)
    if ending == "quit":
        actor.lines.append(f"QUIT :bye {actor.name}")
        actor.seen.append(Seen(everywhere, (actor.prefix(), "QUIT", [f"Quit: bye {actor.name}"])))
    elif ending in ("close", "reset"):
        actor.seen.append(Seen(everywhere, (actor.prefix(), "QUIT", [VANISHED])))
    return actor


def run_actor(server: Server, actor: Actor) -> None:
    """The busy period, for one client: send its lines (with small random pauses, so
    that the threads interleave), then make sure the server has handled all of them."""
    client = actor.client
    assert client is not None
    for line in actor.lines:
        client.send(line)
        time.sleep(actor.pause.random() * 0.002)  # pacing, so the threads interleave
    if actor.ending == "quit":
        actor.received += client.collect(r"^ERROR ", wait=10)
        assert actor.received[-1] == f"ERROR :Closing Link: {HOST} (Quit: bye {actor.name})"
        client.assert_closed()
    else:
        actor.received += client.drain()
        if actor.ending in ("close", "reset"):
            vanish(client, actor.ending)
            wait_until(lambda: actor.conn not in connections(server), wait=5)


def line_matches(got: Parsed, want: tuple[str, str, list[str | re.Pattern[str]]]) -> bool:
    source, command, params = got
    if (source, command, len(params)) != (want[0], want[1], len(want[2])):
        return False
    return all(p.fullmatch(g) if isinstance(p, re.Pattern) else p == g
               for g, p in zip(params, want[2], strict=False))


def test_crowd_joins_talks_renames_and_leaves_at_once(server: Server) -> None:
    rng = random.Random(SEED)
    steady = [plan_steady(i, rng) for i in range(N_STEADY)]
    churners = [plan_churner(k, ending, rng) for k, ending in enumerate(ENDINGS)]
    actors = steady + churners
    for n, actor in enumerate(actors):
        actor.pause = random.Random(SEED + n)
    for room in ROOMS:  # the exact checks need every room watched from start to end
        assert sum(room in a.rooms for a in steady) >= 2, room
    owner = {nick: a for a in actors for nick in a.nicks}
    assert len(owner) == sum(len(a.nicks) for a in actors)  # nicks never reused

    try:
        # Before: the steady members are in their rooms; the churners are connected.
        for actor in steady:
            actor.client = Client(server.address, actor.name)
            actor.client.register(actor.nick, actor.name)
            for room in actor.rooms:
                actor.client.join(room)
        for actor in churners:
            actor.client = Client(server.address, actor.name)
            actor.conn = server_side(server, actor.client)
        for actor in steady:
            actor.io.drain()  # the JOINs of later joiners: not part of the period
        departed = [a.server_side.user for a in churners if a.ending != "stay"]

        # During: everyone at once.
        run_together([partial(run_actor, server, a) for a in actors], timeout=30)

        # After: everything sent during the period has been queued for the steady ones.
        for actor in steady + [a for a in churners if a.ending == "stay"]:
            actor.received += actor.io.drain()

        for member in steady:
            check_transcript(member, actors, owner)
        for actor in churners:
            ids = [m for line in actor.received for m in re.findall(r" :id=(\S+) ", line)]
            assert not [i for i in ids if i.startswith(actor.name + ".")], \
                f"{actor.name} received its own messages"
            assert not [i for i, n in Counter(ids).items() if n > 1], \
                f"{actor.name} received duplicates"

        remaining = steady + [a for a in churners if a.ending == "stay"]
        expected: dict[str, set[str]] = {room: set() for room in PERMANENT}
        for actor in remaining:
            for room in actor.rooms:
                expected.setdefault(room, set()).add(actor.nick)
        check_consistency(server, expected, gone=departed)
        assert {u.nick for u in server.nicks.users()} == {a.nick for a in remaining}
    finally:
        for actor in actors:
            if actor.client is not None:
                actor.client.close()


def check_transcript(member: Actor, actors: list[Actor], owner: dict[str, Actor]) -> None:
    """What a steady member received during the period is exactly, per sender, the
    lines that sender produced in the member's rooms, in the order it produced them."""
    by_sender: dict[str, list[Parsed]] = defaultdict(list)
    for line in member.received:
        parsed = parse(line)
        source = parsed[0] or ""
        sender = owner.get(source.split("!")[0])
        assert sender is not None, f"{member.name}: unexpected line {line!r}"
        assert sender is not member, f"{member.name} received its own line {line!r}"
        by_sender[sender.name].append(parsed)

    mine = set(member.rooms)
    want_ids = [s.line[2][1].split(" ")[0][3:] for a in actors if a is not member
                for s in a.seen if s.line[1] == "PRIVMSG" and s.rooms & mine]
    got_ids = Counter(p[2][1].split(" ")[0][3:] for lines in by_sender.values()
                      for p in lines if p[1] == "PRIVMSG")
    missing = [i for i in want_ids if got_ids[i] == 0]
    doubled = [i for i, n in got_ids.items() if n > 1]
    extra = set(got_ids) - set(want_ids)
    assert not (missing or doubled or extra), \
        f"{member.name}: missing {missing}, duplicated {doubled}, not expected {extra}"

    for actor in actors:
        if actor is member:
            continue
        want = [s.line for s in actor.seen if s.rooms & mine]
        got = by_sender.get(actor.name, [])
        assert len(got) == len(want) and all(map(line_matches, got, want)), (
            f"{member.name} (in {sorted(mine)}) from {actor.name}:\n got  {got}\n want {want}")


# --- one nick, many claimants -----------------------------------------------------

def case_variant(word: str, bits: int) -> str:
    return "".join(c.upper() if bits >> i & 1 else c for i, c in enumerate(word))


def test_simultaneous_claims_of_one_nick_have_exactly_one_winner(server: Server,
                                                                   connect) -> None:
    watcher = connect("watcher")
    watcher.join("#dev")
    racers = [connect(f"racer{i}") for i in range(24)]
    for racer in racers:
        racer.join("#dev")
    for client in [watcher, *racers]:
        client.drain()
    # Each claims a different spelling: ascii casemapping makes them one nick.
    wanted = [case_variant("prize", i) for i in range(len(racers))]

    run_together([partial(r.send, f"NICK {w}") for r, w in zip(racers, wanted, strict=True)])
    results = [racer.drain() for racer in racers]
    winners = [i for i, lines in enumerate(results) if not any(" 433 " in x for x in lines)]
    assert len(winners) == 1, results
    w = winners[0]
    nick_line = f":racer{w}!~racer{w}@{HOST} NICK {wanted[w]}"
    assert results[w] == [nick_line]
    for i, lines in enumerate(results):
        if i != w:
            assert sorted(lines) == sorted(
                [f":{S} 433 racer{i} {wanted[i]} :Nickname is already in use", nick_line])
    assert watcher.drain() == [nick_line]
    prize = server.nicks.get("PRIZE")
    assert prize is not None and prize.nick == wanted[w]
    assert server.nicks.get(f"racer{w}") is None
    check_consistency(server, {"#general": set(), "#dev": {"watcher", wanted[w]} | {
        f"racer{i}" for i in range(len(racers)) if i != w}})


# --- rooms made and dropped under contention ------------------------------------------

def test_rooms_created_and_dropped_by_concurrent_joins_and_parts(server: Server,
                                                                  connect) -> None:
    """#flip and #flop are not permanent: each is dropped whenever its last member
    leaves and made again by the next JOIN, while 16 clients race through it."""
    rounds, clients = 30, [connect(f"flip{i}") for i in range(16)]
    stays = [i % 3 == 0 for i in range(len(clients))]  # these end inside #flip

    def churn(i: int) -> list[str]:
        client = clients[i]
        burst = "JOIN #flip,#flop\r\nPART #flip,#flop :round\r\n" * rounds
        client.send_raw(burst.encode() + (b"JOIN #flip\r\n" if stays[i] else b""))
        return client.drain()

    transcripts = run_together([partial(churn, i) for i in range(len(clients))])
    for i, lines in enumerate(transcripts):
        me = f":flip{i}!~flip{i}@{HOST} "
        own = [x[len(me):] for x in lines if x.startswith(me)]
        once = ["JOIN #flip", "JOIN #flop", "PART #flip :round", "PART #flop :round"]
        assert own == once * rounds + (["JOIN #flip"] if stays[i] else []), f"flip{i}"
    stayers = {f"flip{i}" for i, s in enumerate(stays) if s}
    check_consistency(server, {"#general": set(), "#dev": set(), "#flip": stayers})
    assert server.rooms.find("#flop") is None
    clients[0].drain()  # what the others did after its own burst
    clients[0].send("NAMES #flip")
    *names, end = clients[0].collect(r" 366 ")
    assert all(parse(x)[:2] == (S, "353") for x in names)
    assert {n.lstrip("@") for x in names for n in parse(x)[2][-1].split()} == stayers
    assert end == f":{S} 366 flip0 #flip :End of /NAMES list."


# --- a peer in several rooms sees each event once ---------------------------------------

def test_nick_change_and_quit_seen_once_while_shared_rooms_are_busy(server: Server,
                                                                    connect) -> None:
    rooms = ("#general", "#dev", "#third")
    alice, bob = connect("alice"), connect("bob")
    talkers = [connect(f"talker{i}") for i in range(8)]
    for client in [alice, bob, *talkers]:
        for room in rooms:
            client.join(room)
    for client in [alice, bob, *talkers]:
        client.drain()

    def talk(i: int) -> None:
        for n in range(20):
            talkers[i].send(f"PRIVMSG {rooms[n % 3]} :t{i}.{n}")
        talkers[i].drain()

    def rename_then_quit() -> None:
        for n in range(1, 6):
            bob.send(f"NICK bob{n}")
        bob.send("QUIT :gone fishing")
        bob.collect(r"^ERROR ")
        bob.assert_closed()

    tasks: list[Callable[[], None]] = [rename_then_quit,
                                       *(partial(talk, i) for i in range(len(talkers)))]
    run_together(tasks)
    lines = alice.drain()
    from_bob = [x for x in lines if x.startswith(":bob")]
    assert from_bob == [f":bob{'' if n == 1 else n - 1}!~bob@{HOST} NICK bob{n}"
                        for n in range(1, 6)] + [f":bob5!~bob@{HOST} QUIT :Quit: gone fishing"]
    talk_lines = [x for x in lines if not x.startswith(":bob")]
    assert sorted(talk_lines) == sorted(f":talker{i}!~talker{i}@{HOST} PRIVMSG "
                                        f"{rooms[n % 3]} :t{i}.{n}"
                                        for i in range(len(talkers)) for n in range(20))
    check_consistency(server, {r: {"alice", *(f"talker{i}" for i in range(8))} for r in rooms})


# --- clients that vanish --------------------------------------------------------------

@pytest.mark.parametrize("how, reason", [("close", "Remote host closed the connection"),
                                         ("reset", "Connection reset by peer")])
def test_vanished_clients_leave_every_room_and_the_nick_table_once(
        server: Server, connect, how: str, reason: str) -> None:
    """Eight clients, each in three rooms of its own, drop their sockets at the same
    moment without a QUIT. alice shares all three rooms with each, carol one: both see
    exactly one QUIT per vanished client. (No ghost shares a room with another, so none
    is written to after it vanished and each reason is exact.)"""
    alice, carol = connect("alice"), connect("carol")
    ghosts = [connect(f"ghost{i}") for i in range(8)]
    expected: dict[str, set[str]] = {"#general": set(), "#dev": set()}
    for i, ghost in enumerate(ghosts):
        for room in (f"#g{i}a", f"#g{i}b", f"#g{i}c"):
            ghost.join(room)
            alice.join(room)
            expected[room] = {"alice"}
        carol.join(f"#g{i}c")
        expected[f"#g{i}c"].add("carol")
    for client in [alice, carol, *ghosts]:
        client.drain()  # also: nothing unread is left, so a close really is a FIN
    ghost_users = [user_named(server, f"ghost{i}") for i in range(len(ghosts))]
    assert server.registered_count == 10

    run_together([partial(vanish, g, how) for g in ghosts])
    wait_until(lambda: len(connections(server)) == 2)
    for watcher in (alice, carol):
        quits = [watcher.next_line() for _ in ghosts]
        assert sorted(quits) == [f":ghost{i}!~ghost{i}@{HOST} QUIT :{reason}"
                                 for i in range(len(ghosts))]
        assert watcher.drain() == []
    check_consistency(server, expected, gone=ghost_users)
    again = connect("ghost0")  # the nick is free again
    again.join("#g0c")
    carol.expect_exact(f":ghost0!~ghost0@{HOST} JOIN #g0c")


def test_vanishing_clients_that_share_rooms_are_each_announced_once(server: Server,
                                                                    connect) -> None:
    """Twelve clients sharing two rooms drop at once, half with an RST: the QUIT of
    one may hit another's dead socket (a write error is then its reason), but alice
    still sees one QUIT per client and nothing else."""
    alice = connect("alice")
    ghosts = [connect(f"ghost{i}") for i in range(12)]
    for client in [alice, *ghosts]:
        client.join("#dev")
        client.join("#pair")
    for client in [alice, *ghosts]:
        client.drain()
    ghost_users = [user_named(server, f"ghost{i}") for i in range(len(ghosts))]

    run_together([partial(vanish, g, "reset" if i % 2 else "close")
                  for i, g in enumerate(ghosts)])
    wait_until(lambda: len(connections(server)) == 1)
    quits = sorted(parse(alice.next_line()) for _ in ghosts)
    assert [q[:2] for q in quits] == sorted((f"ghost{i}!~ghost{i}@{HOST}", "QUIT")
                                            for i in range(len(ghosts)))
    assert all(len(q[2]) == 1 and VANISHED.fullmatch(q[2][0]) for q in quits), quits
    assert alice.drain() == []
    check_consistency(server, {"#general": set(), "#dev": {"alice"}, "#pair": {"alice"}},
                      gone=ghost_users)


# --- one thread's batch must not hold back another thread's lines ------------------------

def test_a_long_batch_on_one_thread_does_not_get_a_reading_client_dropped(
        start_server, connect) -> None:
    """slow's one read holds a PRIVMSG to alice, then 1700 WHO scans of 63 users (a
    batch of ~0.1 s). flood meanwhile sends alice 1.4 MB through #dev. alice reads all
    the time, so nothing should pile up for her, and certainly not 1 MiB (the SendQ).
    (recvq is raised so that flood itself is not cut off: see test_bad_input.py.)"""
    server = start_server(**NO_LIMITS, recvq=4 << 20)
    for i in range(60):
        connect(f"idle{i}", target=server)  # users for every WHO to scan
    alice, flood, slow = (connect(nick, target=server) for nick in ("alice", "flood", "slow"))
    alice.join("#dev")
    flood.join("#dev")
    alice.drain()
    flood.drain()
    texts = [f"{i:05d} " + "z" * 380 for i in range(3500)]
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(alice.collect, r" :end$", 10)
        slow.send_raw(b"PRIVMSG alice :hello\r\n" + b"WHO zz*\r\n" * 1700 + b"PING :done\r\n")
        flood.send_raw("".join(f"PRIVMSG #dev :{t}\r\n" for t in texts).encode()
                       + b"PRIVMSG #dev :end\r\n")
        try:
            lines = reading.result(timeout=20)
        except AssertionError:  # alice's socket was closed under her
            raise AssertionError(f"alice was dropped; flood saw {flood.drain()}") from None
    hello = f":slow!~slow@{HOST} PRIVMSG alice :hello"
    assert lines.count(hello) == 1
    assert [x for x in lines if x != hello] == [
        f":flood!~flood@{HOST} PRIVMSG #dev :{t}" for t in [*texts, "end"]]
    assert slow.collect(r" PONG ")[-1] == f":{S} PONG {S} :done"
    assert flood.drain() == []  # in particular, no QUIT from alice
