"""Start a throwaway PostgreSQL server from Debian's binaries, for the tests.

``python -m tests.services.postgres install`` installs the binaries when they are missing
(``apt-get install postgresql``); ``python -m tests.services.postgres run`` starts a server,
prints its URL and waits for Ctrl-C. The tests use :func:`start` from a session fixture.

The server runs as the ``postgres`` system user when we are root (``initdb`` refuses root),
from a fresh data directory in a temporary folder, on a free 127.0.0.1 port, with fsync off:
it is fast, and nothing in it is meant to survive the test run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "find_binaries", "install", "start"]


def find_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb``, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(found[-1]).parent if found else None


def install() -> Path:
    """Install Debian's ``postgresql`` package if its binaries are missing."""
    binaries = find_binaries()
    if binaries is not None:
        return binaries
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "postgresql"], check=True, env=env)
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("apt-get installed postgresql but no initdb was found")
    return binaries


@dataclass
class PostgresServer:
    url: str
    port: int
    root: Path
    binaries: Path
    as_user: list[str]

    def stop(self) -> None:
        """Stop the server and remove its data directory."""
        try:
            subprocess.run(
                [
                    *self.as_user,
                    str(self.binaries / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                check=False,
                capture_output=True,
                timeout=60,
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(binaries: Path | None = None) -> PostgresServer:
    """Initialise and start a server; the caller must :meth:`PostgresServer.stop` it."""
    binaries = binaries or find_binaries()
    if binaries is None:
        raise FileNotFoundError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="streamgraph-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    os.chmod(root, 0o700)
    data = root / "data"
    try:
        subprocess.run(
            [
                *as_user,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        for attempt in range(5):  # another process may take the free port before we do
            port = _free_port()
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            done = subprocess.run(
                [
                    *as_user,
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                check=False,
                capture_output=True,
                timeout=90,
            )
            if done.returncode == 0:
                url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
                return PostgresServer(url, port, root, binaries, as_user)
            if attempt == 4:
                log = (root / "server.log").read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start: {done.stderr!r}\n{log}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    raise AssertionError("unreachable")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "install":
        print(install())
    elif command == "run":
        server = start(install())
        print(server.url, flush=True)
        try:
            input("PostgreSQL is running; press Enter to stop it\n")
        except (KeyboardInterrupt, EOFError):
            pass
        finally:
            server.stop()
    else:
        raise SystemExit(f"usage: python -m tests.services.postgres [install|run], not {command!r}")
