"""The connection password (`--password`, or `password:` in the config file): PASS
before NICK/USER, checked when registration completes, as ergo and InspIRCd do."""
from __future__ import annotations

from pathlib import Path

import pytest

from ircish.server.cli import build_parser
from ircish.server.config import (
    ConfigError,
    Settings,
    example_config,
    load_config,
    settings_from_args,
)

from .conftest import SERVER_NAME as S
from .ircclient import wait_until

REFUSED = (f":{S} 464 alice :Password incorrect",
           "ERROR :Closing Link: 127.0.0.1 (Bad Password)")


@pytest.fixture
def locked(start_server):
    """A server with a connection password."""
    return start_server(password="open sesame")


def test_the_right_password_registers(locked, connect) -> None:
    c = connect(target=locked)
    c.send("PASS :open sesame")
    c.register("alice")


@pytest.mark.parametrize("given", ["PASS sesame", "PASS :open sesame!", None],
                         ids=["wrong", "longer", "missing"])
def test_a_wrong_or_missing_password_is_464_and_the_link_closes(locked, connect,
                                                                given: str | None) -> None:
    c = connect(target=locked)
    if given:
        c.send(given)
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect_exact(*REFUSED)
    c.assert_closed()
    wait_until(lambda: locked.nicks.get("alice") is None and not locked.connections)
    assert locked.registered_count == 0


def test_the_password_is_checked_after_cap_end(locked, connect) -> None:
    c = connect(target=locked)
    c.send("CAP LS 302")
    c.send("PASS wrong")
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice")
    c.expect(r" CAP \* LS :")
    assert c.drain() == []          # nothing yet: the welcome waits for CAP END
    c.send("CAP END")
    c.expect_exact(*REFUSED)
    c.assert_closed()


def test_pass_after_registration_is_462(locked, connect) -> None:
    c = connect(target=locked)
    c.send("PASS :open sesame")
    c.register("alice")
    c.send("PASS :open sesame")
    c.expect_exact(f":{S} 462 alice :You may not reregister")


def test_without_a_server_password_pass_is_ignored(connect) -> None:
    c = connect()
    c.send("PASS whatever")
    c.register("alice")


def test_the_password_setting_from_the_command_line_and_the_config_file(
        tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("password: from-the-file\n")
    parse = build_parser().parse_args
    assert settings_from_args(parse(["--config", str(config)])).password == "from-the-file"
    assert settings_from_args(parse(["--password", "flag"])).password == "flag"
    settings = settings_from_args(parse(["--password", "hidden-value"]))
    assert "hidden-value" not in repr(settings)     # never in a log line or a traceback
    assert "# password:" in example_config().splitlines()  # --print-config: no value
    assert Settings().password is None
    config.write_text('password: ""\n')
    with pytest.raises(ConfigError, match=r"server\.yaml:1: password: must not be empty"):
        load_config(config)
