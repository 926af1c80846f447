"""Run one command and take everything it starts down with it, whatever happens.

``manage.py devstack`` starts each of its children (web server, task cluster, sandbox)
through a keeper::

    python -m centra_ip.keeper --parent PID --grace 15 -- COMMAND ...

The keeper leads its own process group (the supervisor starts it in a new session) and
runs COMMAND in that group, so whatever COMMAND forks (runserver's autoreloaded server,
django-q's sentinel, workers and pusher) is in the group too. It stops the whole group,
SIGTERM to COMMAND first and SIGKILL to every process left after the grace period, when:

- it gets SIGTERM, SIGINT or SIGHUP (the supervisor stopping it);
- its parent dies in any way, SIGKILL included: ``PR_SET_PDEATHSIG`` makes the kernel send
  it SIGTERM then;
- COMMAND exits by itself (its leftovers must not keep running).

A task cluster whose main process ignores SIGTERM once its workers are gone is thus killed
after the grace period. The keeper imports nothing from Django: it starts in milliseconds
and keeps working whatever the Django code does. Linux only (prctl, /proc), like devstack.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _StopRequested(Exception):
    pass


def parent_death_signal_set(signum: int, parent_pid: int) -> None:
    """Ask the kernel for ``signum`` when the parent dies; if it already has, send it now."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent_pid:  # the parent died before prctl: no signal would come
        os.kill(os.getpid(), signum)


def group_members(pgid: int) -> list[int]:
    """Live processes of the process group ``pgid``, this one excepted (zombies are dead)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat_file:
                stat = stat_file.read()
        except OSError:  # gone meanwhile
            continue
        # "pid (command) state ppid pgrp ...": the command may contain spaces and parentheses.
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry))
    return members


def _signal_each(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # gone meanwhile
            os.kill(pid, signum)


def group_stop(child: subprocess.Popen | None, *, grace: float) -> None:
    """SIGTERM to the command (or, once it is gone, to what it left), SIGKILL after ``grace``.

    The command gets the first signal alone, as from a terminal: it stops its own children
    in order (django-q's cluster stops its workers); only what outlives the grace is killed.
    """
    pgid = os.getpgid(0)
    if child is not None and child.poll() is None:
        _signal_each([child.pid], signal.SIGTERM)
    else:
        _signal_each(group_members(pgid), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:
        if child is not None:
            child.poll()  # reap it, or it lingers as a zombie
        time.sleep(0.1)
    if left := group_members(pgid):
        print(
            f"keeper: {len(left)} process(es) still running {grace:g} s after SIGTERM: killed",
            file=sys.stderr,
            flush=True,
        )
    while left := group_members(pgid):
        _signal_each(left, signal.SIGKILL)
        time.sleep(0.05)
    if child is not None:
        child.wait()


def keep(command: list[str], *, parent_pid: int, grace: float) -> int:
    """Run ``command`` until it exits or a stop comes; stop its whole group; its exit code."""

    def request_stop(signum, frame):
        raise _StopRequested

    if os.getpgid(0) != os.getpid():
        os.setpgid(0, 0)  # lead a group of our own: never stop the caller's group

    for signum in STOP_SIGNALS:
        signal.signal(signum, request_stop)
    child = None
    returncode = 0
    try:
        parent_death_signal_set(signal.SIGTERM, parent_pid)
        child = subprocess.Popen(command)  # exec resets our handlers to the default
        returncode = child.wait()
    except _StopRequested:
        pass
    for signum in STOP_SIGNALS:  # a second signal must not interrupt the stop
        signal.signal(signum, signal.SIG_IGN)
    group_stop(child, grace=grace)
    return 128 - returncode if returncode < 0 else returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m centra_ip.keeper", description=__doc__)
    parser.add_argument("--parent", type=int, required=True, help="the supervisor's pid")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds before SIGKILL")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    return keep(args.command, parent_pid=args.parent, grace=args.grace)


if __name__ == "__main__":
    sys.exit(main())


@dataclass
class KeptService:
    """A service a test harness (the production smoke test, the soak) starts under a keeper.

    The keeper leads the service's own session, so its pid is the session id of everything
    the service starts; stopping it is SIGTERM to the keeper, then SIGKILL to the group if
    the keeper itself is stuck."""

    name: str
    command: list[str]
    log_path: Path
    grace: float = 20  # seconds the service has to stop after SIGTERM
    process: subprocess.Popen | None = None
    stop_seconds: float | None = None

    def start(self, env: dict) -> None:
        keeper = [sys.executable, "-m", "centra_ip.keeper", "--parent", str(os.getpid())]
        with self.log_path.open("a") as out:
            self.process = subprocess.Popen(
                [*keeper, "--grace", str(self.grace), "--", *self.command],
                cwd=Path(__file__).resolve().parents[1],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the keeper leads the service's process group
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=self.grace + 10)
        except subprocess.TimeoutExpired:  # a stuck keeper: the whole group, now
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.stop_seconds = time.monotonic() - started

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
