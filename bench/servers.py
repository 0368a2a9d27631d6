"""The servers under test, each started on its own loopback port with flood limits off.

Peers are installed when missing: ngircd from Debian's packages, miniircd from PyPI
into the running interpreter's environment. `--against REF` adds ircish as of an
earlier commit, checked out beside this one, so that a change's cost is measured in
the same run as the change.
"""
from __future__ import annotations

import os
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

    def command(self, port: int) -> list[str]:
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

    def start(self) -> None:
        self.port = free_port()
        with open(self.tmp / f"{self.name}.log", "wb") as log:  # the child keeps its copy
            self.proc = subprocess.Popen(self.command(self.port), stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, preexec_fn=_raise_limits,
                                         env=self.environment(), cwd=self.folder())
        wait_listening(self.port, self.proc)

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


class Ircish(Peer):
    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "ircish.server", "--port", str(port), "--no-motd",
                "--rooms", str(self._rooms()), "--log-level", "WARNING",
                "--sendq", str(1 << 20), "--ping-interval", "600", "--no-flood-control",
                "--max-per-ip", "0", "--max-clients", "19000"]

    def _rooms(self) -> Path:
        path = self.tmp / "rooms.yaml"
        path.write_text("rooms: []\n")
        return path


REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class IrcishAt(Ircish):
    """ircish as of `ref` (a commit, a tag, `HEAD~3`), run from a detached worktree in
    the peer's temporary folder, with this environment's dependencies."""

    ref: str = "HEAD"

    @property
    def checkout(self) -> Path:
        return self.tmp / "src"

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
        # `python -m` puts its working directory first on sys.path: run from the
        # checkout, and make sure that is the code that runs.
        found = subprocess.run([sys.executable, "-c", "import ircish; print(ircish.__file__)"],
                               env=self.environment(), cwd=self.folder(), check=True,
                               capture_output=True, text=True).stdout.strip()
        if not found.startswith(str(self.checkout)):
            raise RuntimeError(f"{self.name}: would run {found}, not the checkout")

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

    def command(self, port: int) -> list[str]:
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

    def command(self, port: int) -> list[str]:
        binary = str(Path(sys.executable).parent / "miniircd")
        root = ["--setuid", "root"] if os.geteuid() == 0 else []  # it refuses root otherwise
        return [binary, "--ports", str(port), "--listen", "127.0.0.1", *root]


PEERS: dict[str, type[Peer]] = {"ircish": Ircish, "ngircd": Ngircd, "miniircd": Miniircd}
