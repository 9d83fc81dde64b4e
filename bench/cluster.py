"""A PostgreSQL cluster of a script's or test's own: initdb'd on a free port in a directory
it is given, never the machine's shared cluster; and a streaming replica of one
(pg_basebackup -R). Run as the postgres user when this process is root (initdb refuses root).
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """initdb (or a base backup of `primary`, which makes a hot standby that streams from
    it), start, stop, start again, remove. `workdir`'s parent must be open to postgres."""

    def __init__(self, workdir: Path, primary: "Cluster | None" = None):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = Path(found[-1]).parent
        self.dir = workdir / "pgdata"
        self.socket = workdir / "pgsock"
        self.port = _free_port()
        self.log = workdir / "pg.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        workdir.mkdir(exist_ok=True)
        self.socket.mkdir()
        if self.as_postgres:
            shutil.chown(workdir, "postgres")
            shutil.chown(self.socket, "postgres")
        if primary is None:
            self._run("initdb", "-D", str(self.dir), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        else:  # -R writes standby.signal and primary_conninfo: it replays the primary's WAL as it comes
            self._run("pg_basebackup", "-D", str(self.dir), "-h", "127.0.0.1", "-p", str(primary.port),
                      "-U", "postgres", "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        self.start()

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_postgres, str(self.bin / program), *args], capture_output=True, text=True)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, program, done.stdout, done.stderr)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self.dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """One statement through psql; its output, unaligned."""
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                               "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              check=True, capture_output=True, text=True)  # fmt: skip
        return done.stdout.strip()

    def url(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"
