"""The soak's set-up before Django starts: options, the environment of every process, and
the processes themselves (each under ``centra_ip.keeper``). Imports nothing of Django."""

import argparse
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from centra_ip.keeper import KeptService
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.soak.postgres import PrivatePostgres

ROOT = Path(__file__).resolve().parents[2]
GRACE = 10


def log(message: str) -> None:
    print(f"soak: {message}", flush=True)


def options(argv=None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m syncs.soak",
        description="The soak: faults, kills and a database restart, then the truth.",
    )
    parser.add_argument("--runs", type=int, default=int(env("SOAK_RUNS", 1000)))
    parser.add_argument("--kills", type=int, default=int(env("SOAK_KILLS", 50)))
    parser.add_argument("--fault-rate", type=float, default=float(env("SOAK_FAULT_RATE", 0.2)))
    parser.add_argument("--nodes", type=int, default=int(env("SOAK_NODES", 2)))
    parser.add_argument("--workers", type=int, default=int(env("SOAK_WORKERS", 2)))
    parser.add_argument("--db-restarts", type=int, default=int(env("SOAK_DB_RESTARTS", 1)))
    parser.add_argument("--cycles", type=int, default=int(env("SOAK_CYCLES", 5)))
    parser.add_argument("--seed", type=int, default=int(env("SOAK_SEED", 14)))
    parser.add_argument("--products", type=int, default=int(env("SOAK_PRODUCTS", 60)))
    parser.add_argument("--pg-port", type=int, default=int(env("SOAK_PG_PORT", 8149)))
    parser.add_argument("--twins-port", type=int, default=int(env("SOAK_TWINS_PORT", 8141)))
    parser.add_argument("--redis-url", default=env("SOAK_REDIS_URL", "redis://127.0.0.1:6379/4"))
    parser.add_argument("--log-dir", default=env("SOAK_LOG_DIR", ""))
    return parser.parse_args(argv)


def environment(opts: argparse.Namespace) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SOAK_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=PrivatePostgres(port=opts.pg_port).url("centra_ip_soak"),
        REDIS_URL=opts.redis_url,
        SANDBOX_URL=f"http://127.0.0.1:{opts.twins_port}",
        SECURE_SSL_REDIRECT="false",
        Q_WORKERS=str(opts.workers),
        API_TIMEOUT_SECONDS="5",  # the twins hold an injected timeout for 6 s
        RETURNS_IP_WAREHOUSE=IP_WAREHOUSE,
        RETURNS_STOCK_IN_INLINE="false",
        DJANGO_SETTINGS_MODULE="centra_ip.settings",
    )
    return env


@dataclass
class Process(KeptService):
    """One service under ``centra_ip.keeper`` (its own session: the keeper's pid is the
    session id of everything it starts, which is how a worker is known to be ours)."""

    grace: float = GRACE

    def owns(self, pid: int) -> bool:
        try:
            return self.running() and os.getsid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def tasks_taken(self) -> int:
        return self.log_text().count(" processing ")
