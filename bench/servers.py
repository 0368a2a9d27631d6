"""The servers under test, each started on its own loopback port with flood limits off.

Peers are installed when missing: ngircd from Debian's packages, miniircd from PyPI
into the running interpreter's environment. `--against REF` adds ircish as of an
earlier commit, checked out beside this one, so that a change's cost is measured in
the same run as the change.

ircish keeps history by default: each run of it gets a fresh temporary data dir
(never ./data), removed when it stops, unless the run is given a prepared one (the
history scenarios' filled database). `ircish-nohist` is the same server with
`--no-history`, so that history's cost shows side by side.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Peer:
    name: str
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    started_in: float = 0.0  # seconds from launch to listening, of the last start

    def command(self, port: int, data_dir: Path | None = None) -> list[str]:
        raise NotImplementedError

    def available(self) -> bool:
        return True

    def install(self) -> None:
        pass

    def cleanup(self) -> None:
        """After the last run: remove what `install` made for this run only."""

    def environment(self) -> dict[str, str] | None:
        return None  # the benchmark's own

    def folder(self) -> Path | None:
        return None  # the benchmark's own working directory

    @property
    def keeps_history(self) -> bool:
        """Whether this server answers CHATHISTORY and SEARCH from a data dir."""
        return False

    @property
    def log_path(self) -> Path:
        return self.tmp / f"{self.name}.log"

    def start(self, data_dir: Path | None = None) -> None:
        """Start on a free port. `data_dir`: a prepared database for a server that keeps
        history (others ignore it); it may take long to open (its pages are checked)."""
        self.port = free_port()
        began = time.monotonic()
        with open(self.log_path, "wb") as log:  # the child keeps its copy
            self.proc = subprocess.Popen(self.command(self.port, data_dir), stdout=log,
                                         stderr=log, stdin=subprocess.DEVNULL,
                                         preexec_fn=_raise_limits,
                                         env=self.environment(), cwd=self.folder())
        wait_listening(self.port, self.proc, timeout=600.0 if data_dir else 15.0)
        self.started_in = time.monotonic() - began

    def figures_after_stop(self) -> dict[str, float]:
        """Figures the server itself reported in its log (read after `stop`)."""
        return {}

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _raise_limits() -> None:
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# The line Archive.report() logs at stop (ircish/server/archive.py).
WRITER_LINE = re.compile(
    r"history writer: (?P<queued>\d+) queued, (?P<committed>\d+) committed, "
    r"(?P<dropped>\d+) dropped, (?P<batches>\d+) batches, largest (?P<largest>\d+), "
    r"deepest queue (?P<deepest>\d+), median of the last \d+ batches (?P<median>\d+)")


class Ircish(Peer):
    history = True           # the default; IrcishNoHistory turns it off
    _scratch: Path | None = None  # this run's own data dir, removed at stop

    @property
    def keeps_history(self) -> bool:
        return self.history

    def command(self, port: int, data_dir: Path | None = None) -> list[str]:
        if not self.keeps_history:
            store = ["--no-history"] if self.history_flags() else []
        else:
            if data_dir is None:
                data_dir = self._scratch = Path(tempfile.mkdtemp(prefix="data-", dir=self.tmp))
            store = ["--data-dir", str(data_dir)]
        # INFO: the history writer's figures are logged at that level (nothing per line)
        return [sys.executable, "-m", "ircish.server", "--port", str(port), "--no-motd",
                "--rooms", str(self._rooms()), "--log-level", "INFO",
                "--sendq", str(1 << 20), "--ping-interval", "600", "--no-flood-control",
                "--max-per-ip", "0", "--max-clients", "19000", *store]

    def history_flags(self) -> bool:
        """Whether this ircish knows --data-dir and --no-history (the current one does)."""
        return True

    def stop(self) -> None:
        super().stop()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def figures_after_stop(self) -> dict[str, float]:
        """The history writer's last report: did writes keep up with the run?"""
        if not self.keeps_history or not self.log_path.exists():
            return {}
        found = WRITER_LINE.findall(self.log_path.read_text(errors="replace"))
        if not found:
            return {}
        queued, _committed, dropped, _batches, largest, deepest, median = map(int, found[-1])
        return {"writer queued": queued, "writer dropped": dropped,
                "writer deepest queue": deepest, "writer batch median": median,
                "writer batch max": largest}

    def _rooms(self) -> Path:
        path = self.tmp / "rooms.yaml"
        path.write_text("rooms: []\n")
        return path


class IrcishNoHistory(Ircish):
    """ircish with --no-history: the baseline history's cost is measured against."""

    history = False


REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class IrcishAt(Ircish):
    """ircish as of `ref` (a commit, a tag, `HEAD~3`), run from a detached worktree in
    the peer's temporary folder, with this environment's dependencies."""

    ref: str = "HEAD"
    knows_history: bool = False  # found out by `install`: commits before it have none

    @property
    def checkout(self) -> Path:
        return self.tmp / "src"

    @property
    def keeps_history(self) -> bool:
        return self.history and self.knows_history

    def history_flags(self) -> bool:
        return self.knows_history

    def install(self) -> None:
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(self.checkout),
                        self.ref], check=True, cwd=REPOSITORY)
        # Folders pyproject installs under another name (commands/ as a package).
        project = tomllib.loads((self.checkout / "pyproject.toml").read_text())
        renamed = project.get("tool", {}).get("setuptools", {}).get("package-dir", {})
        for package, folder in renamed.items():
            link = self.checkout.joinpath(*package.split("."))
            if package and not link.exists():
                link.symlink_to(self.checkout / folder, target_is_directory=True)
        # Compiled as `make` compiles it, where that commit has compiled modules.
        if (self.checkout / "build_native.py").exists():
            subprocess.run([sys.executable, "build_native.py"], cwd=self.checkout,
                           check=True, capture_output=True)
        # `python -m` puts its working directory first on sys.path: run from the
        # checkout, and make sure that is the code that runs.
        found = subprocess.run([sys.executable, "-c", "import ircish; print(ircish.__file__)"],
                               env=self.environment(), cwd=self.folder(), check=True,
                               capture_output=True, text=True).stdout.strip()
        if not found.startswith(str(self.checkout)):
            raise RuntimeError(f"{self.name}: would run {found}, not the checkout")
        usage = subprocess.run([sys.executable, "-m", "ircish.server", "--help"],
                               env=self.environment(), cwd=self.folder(), check=True,
                               capture_output=True, text=True).stdout
        self.knows_history = "--no-history" in usage and "--data-dir" in usage

    def cleanup(self) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.checkout)],
                       check=False, cwd=REPOSITORY, capture_output=True)

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.checkout)}  # ahead of the installed one

    def folder(self) -> Path:
        return self.checkout


class Ngircd(Peer):
    binary = "/usr/sbin/ngircd"

    def available(self) -> bool:
        return Path(self.binary).exists()

    def install(self) -> None:
        if self.available():
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "ngircd"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        # The package starts a system service on 6667; the benchmark runs its own.
        subprocess.run(["service", "ngircd", "stop"], check=False, capture_output=True)

    def command(self, port: int, data_dir: Path | None = None) -> list[str]:
        conf = self.tmp / "ngircd.conf"
        conf.write_text(f"""[Global]
Name = ngircd.bench
Info = bench
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = bench
PidFile = {self.tmp}/ngircd.pid
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
""")
        return [self.binary, "--nodaemon", "--config", str(conf)]


class Miniircd(Peer):
    def available(self) -> bool:
        return shutil.which("miniircd", path=str(Path(sys.executable).parent)) is not None

    def install(self) -> None:
        if not self.available():
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "miniircd==2.3"],
                           check=True, stdout=subprocess.DEVNULL)

    def command(self, port: int, data_dir: Path | None = None) -> list[str]:
        binary = str(Path(sys.executable).parent / "miniircd")
        root = ["--setuid", "root"] if os.geteuid() == 0 else []  # it refuses root otherwise
        return [binary, "--ports", str(port), "--listen", "127.0.0.1", *root]


PEERS: dict[str, type[Peer]] = {"ircish": Ircish, "ircish-nohist": IrcishNoHistory,
                                 "ngircd": Ngircd, "miniircd": Miniircd}
