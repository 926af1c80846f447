"""The development supervisor (``manage.py devstack``) and its keeper leave nothing running.

Real processes on ports the OS picks: the supervisor is killed with SIGKILL (or stopped
with SIGTERM) and every process it started, grandchildren included, must be gone. The
addresses its children use follow ``--port`` and ``--sandbox-port``.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.centra_ip.test_settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
KEEPER = (sys.executable, "-m", "centra_ip.keeper")
DEVSTACK = (sys.executable, "manage.py", "devstack")
_THEIRS = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL", "SANDBOX_URL", "PORT")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    """Running, not a zombie: a dead child whose parent is gone may stay a zombie here."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def wait_until(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.2)


def test_the_keeper_kills_a_command_that_ignores_sigterm_once_the_grace_is_over():
    stubborn = (
        "import os, signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"  # ignored dispositions are inherited
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
        "print(os.getpid(), grandchild.pid, flush=True); time.sleep(600)"
    )
    keeper = subprocess.Popen(
        [
            *KEEPER,
            "--parent",
            str(os.getpid()),
            "--grace",
            "1",
            "--",
            sys.executable,
            "-c",
            stubborn,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    command, grandchild = map(int, keeper.stdout.readline().split())

    started = time.monotonic()
    keeper.send_signal(signal.SIGTERM)
    keeper.wait(timeout=10)

    assert 1 <= time.monotonic() - started < 5
    assert "2 process(es) still running 1 s after SIGTERM: killed" in keeper.stderr.read()
    assert not alive(command)
    assert not alive(grandchild)


@pytest.fixture(scope="module")
def devstack_env():
    data_dir = tempfile.mkdtemp(prefix="centra-ip-devstack-")
    env = {k: v for k, v in os.environ.items() if k not in _THEIRS}
    env.update(DEBUG="true", CENTRA_IP_DATA_DIR=data_dir, SANDBOX_PORT="9")
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, timeout=120
    )
    assert migrated.returncode == 0
    return env


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_devstack_takes_every_child_with_it_and_its_children_use_its_ports(
    devstack_env, tmp_path, signum
):
    port, sandbox_port = free_port(), free_port()
    log = tmp_path / "devstack.log"
    with log.open("w") as out:
        supervisor = subprocess.Popen(
            [*DEVSTACK, "--port", str(port), "--sandbox-port", str(sandbox_port), "--grace", "5"],
            cwd=ROOT,
            env=devstack_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: "IP twin fetches" in log.read_text() and _answers(port),
            seconds=60,
            what=f"the app and the sandbox up\n{log.read_text()}",
        )
        started = descendants(supervisor.pid)
        runserver = next(p for p in started if b"runserver" in _cmdline(p))
        runserver_env = Path(f"/proc/{runserver}/environ").read_bytes().split(b"\0")
        qcluster = [p for p in started if b"qcluster" in _cmdline(p)]
    finally:
        supervisor.send_signal(signum)
    supervisor.wait(timeout=30)

    wait_until(
        lambda: not any(alive(pid) for pid in started),
        seconds=20,
        what=f"every child gone; left: {[p for p in started if alive(p)]}",
    )
    assert len(qcluster) >= 3  # the cluster, its sentinel and workers: all gone too
    output = log.read_text()
    assert f"Centra at http://127.0.0.1:{sandbox_port}/graphql" in output
    assert (
        f"IP twin fetches http://127.0.0.1:{port}/feeds/inventory-planner/sales-orders.csv"
        in output
    )
    assert f"PORT={port}".encode() in runserver_env
    assert f"SANDBOX_PORT={sandbox_port}".encode() in runserver_env
    # the demo's scripted story: its settings reach the app, its first beats are played
    assert b"ORDERS_CANCELLATION_SLA_HOURS=0.05" in runserver_env
    assert "sandbox story: Centra: a size was added without a SKU" in output


def test_settings_derive_the_sandbox_address_from_the_ports():
    derived = load_settings(DEBUG="true", PORT="8100", SANDBOX_PORT="8101")
    explicit = load_settings(
        DEBUG="true", SANDBOX_PORT="8101", SANDBOX_URL="http://twins.internal:9000"
    )

    assert derived.returncode == 0, derived.stderr
    assert json.loads(derived.stdout)["sandbox_url"] == "http://127.0.0.1:8101"
    assert json.loads(explicit.stdout)["sandbox_url"] == "http://twins.internal:9000"


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""
