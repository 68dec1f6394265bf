"""Private PostgreSQL and Redis servers that their owner may stop and start at will: the fault
tests (tests/test_faults.py) and the load test's fault mode (bench/load.py --fault) use them,
so the machine's shared servers are never touched.
"""

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg


class ServerError(RuntimeError):
    """A private server could not be had: its programs are missing, or it did not come up."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise ServerError(f"Gave up after {seconds} s waiting for {what}")


class PrivatePostgres:
    """A throwaway cluster (initdb) with one database, `database`."""

    def __init__(
        self, root: Path, database: str = "faults", settings: dict[str, str] | None = None
    ) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        initdb = found[-1] if found else Path(shutil.which("initdb") or "/missing/initdb")
        if not initdb.exists():
            raise ServerError(
                "A private PostgreSQL needs its server binaries (initdb, pg_ctl):"
                " apt-get install postgresql"
            )
        self.bin = initdb.parent
        self.root = root
        self.port = free_port()
        self.database = database
        # Server settings (`-c name=value`) on top of the defaults, e.g. production's.
        self.settings = dict(settings or {})
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        # PostgreSQL refuses to run as root: then its files belong to, and it runs as, postgres.
        self.as_owner: list[str] = []
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(root, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _pg(self, program: str, *args: str, check: bool = True) -> None:
        command = [*self.as_owner, str(self.bin / program), *args]
        subprocess.run(command, check=check, capture_output=True, timeout=60)

    def init(self) -> None:
        data = str(self.root / "data")
        self._pg("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()
        admin = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as db:
            if not db.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.database]
            ).fetchone():
                db.execute(f'CREATE DATABASE "{self.database}"')

    def ensure(self) -> None:
        """Starts the cluster in `root`, made with its database on first use: a cluster kept
        between runs (the benchmark's, whose template databases take minutes to build)."""
        if (self.root / "data" / "PG_VERSION").exists():
            self.start()
        else:
            self.init()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log = str(self.root / "log")
        self._pg("pg_ctl", "-D", str(self.root / "data"), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        # `fast`: the clients are disconnected mid-session, as in a restart.
        self._pg("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def discard(self) -> None:
        """Stops it whatever state a failure left it in (a stopped one just says so)."""
        self._pg("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop", check=False)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as db:
            return db.execute(sql, params).fetchall()


class PrivateRedis:
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise ServerError("A private Redis needs redis-server: apt-get install redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.is_up, 10, "the private Redis")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False
