"""Real servers the end-to-end tests start on loopback: a throwaway Postgres cluster
(Debian package `postgresql`) and `redis-server` (package `redis-server`). A missing
server fails the test that needs it, saying how to install it, unless
`SWITCHYARD_TEST_POSTGRES=skip` / `SWITCHYARD_TEST_REDIS=skip` is set."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A throwaway `redis-server` on loopback that can be stopped and started again on
    the same port."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("SWITCHYARD_TEST_REDIS") == "skip":
                pytest.skip("redis-server is not installed (SWITCHYARD_TEST_REDIS=skip)")
            pytest.fail("redis-server is not installed: apt-get install redis-server")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with open(self.workdir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while not self.answers():
            assert time.monotonic() < deadline, (self.workdir / "redis.log").read_text()
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class Postgres:
    """A throwaway Postgres cluster on a free loopback port, run by the `postgres` OS
    user when the tests run as root (Postgres refuses root); one database per test."""

    def __init__(self) -> None:
        bins = os.environ.get("SWITCHYARD_TEST_PG_BIN") or next(
            iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None
        )
        if bins is None or not Path(bins, "initdb").exists():
            if os.environ.get("SWITCHYARD_TEST_POSTGRES") == "skip":
                pytest.skip("Postgres is not installed (SWITCHYARD_TEST_POSTGRES=skip)")
            pytest.fail("Postgres is not installed: apt-get install postgresql")
        self.bin = Path(bins)
        self.dir = Path(tempfile.mkdtemp(prefix="switchyard-e2e-pg-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        atexit.register(self.stop)

    def _run(self, *args: str) -> str:
        run = subprocess.run([*self.as_owner, *args], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"{args[0]} failed:\n{run.stdout}\n{run.stderr}"
        return run.stdout

    def psql(self, database: str, sql: str) -> str:
        return self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-At", "-F", "|", "-c", sql)

    def new_database(self) -> str:
        """A fresh database's URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.dir.exists():
            subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                            "-m", "immediate", "stop"], capture_output=True, timeout=60)
            shutil.rmtree(self.dir, ignore_errors=True)


_CLUSTER: Postgres | None = None


def postgres() -> Postgres:
    """The test session's Postgres cluster, started on first use."""
    global _CLUSTER
    if _CLUSTER is None:
        _CLUSTER = Postgres()
    return _CLUSTER


def rows(database_url: str, sql: str) -> list[tuple[str, ...]]:
    """The rows `sql` returns from a gateway's database (SQLite or Postgres), each
    column as text (NULL as ''), for tests that check what was stored."""
    if database_url.startswith("sqlite://"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite://"))
        try:
            return [tuple("" if v is None else str(v) for v in row) for row in connection.execute(sql)]
        finally:
            connection.close()
    database = database_url.rsplit("/", 1)[1]
    text = postgres().psql(database, sql)
    return [tuple(line.split("|")) for line in text.splitlines() if line]
