"""A private PostgreSQL instance for the soak, so that restarting it harms nobody else.

Built with the Debian binaries (``/usr/lib/postgresql/<newest>/bin``) into a folder under
the temporary directory, listening on 127.0.0.1 only, with trust authentication for the
``postgres`` user. As root, the binaries run as the ``postgres`` system user (PostgreSQL
refuses to run as root). ``fsync`` is off: the soak tests crash recovery of the hub, not of
PostgreSQL's disk writes.
"""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class PrivatePostgres:
    def __init__(self, *, port: int):
        self.port = port
        self.data = Path(tempfile.gettempdir()) / f"centra-ip-soak-pg-{port}"
        self.log = self.data.with_suffix(".log")
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)
        if not versions:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(versions[-1])

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """A fresh cluster, started and waited for."""
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )
        self._ctl("start")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data} "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            action,
            *extra,
        )

    def restart(self) -> None:
        """Stop with every connection cut (``-m fast``) and start again."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("stop", "-m", "fast")

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")


def _version(path: str) -> tuple:
    return tuple(int(part) for part in Path(path).parent.name.split(".") if part.isdigit())
