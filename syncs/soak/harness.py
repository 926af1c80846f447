"""The soak: the real system under faults, kills and a database restart, then the truth.

``make soak`` (``python -m syncs.soak``) runs, each process under ``centra_ip.keeper``:

- a private PostgreSQL instance (``syncs.soak.postgres``), Redis as the broker (its own
  database, emptied first), migrated as deployed;
- the twins over HTTP in their own process (``manage.py soak_twins``): the world simulator
  places orders, cancels, ships and returns, IP's stock moves, and every call to either
  twin gets a fault with the configured probability;
- ``--nodes`` ``qcluster`` task nodes taking the stream runs this driver enqueues (the
  schedule, faster), and the stock-ins that QC enqueues: the driver plays the warehouse and
  receives and passes every return line it finds;
- ``--kills`` SIGKILLs of a task worker in the middle of a stock push, an order ingestion,
  a return stock-in or a catalog store (in turn), spread over the run; each killed stream
  is asked to run again every few seconds and the time until its next run starts is its
  recovery time;
- one restart of PostgreSQL half-way (``--db-restarts``).

After ``--runs`` stream runs the faults stop and the world freezes; clean cycles (every
stream once, in order, with the open stock-in tickets retried as the fulfilment team
would) run until the invariants hold, at most ``--cycles``. Each invariant is printed with
its count; the exit status is 1 if any fails. The figures also go to ``soak.json`` in the
log folder. Every option has an environment variable (``SOAK_RUNS`` ...).
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import redis
from django.contrib.auth import get_user_model
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.tasks import async_task

from exceptions.models import Ticket
from exceptions.services import ticket_retry
from returns.models import ReturnLine, StockIn
from returns.services import ReturnsError, return_line_qc, return_line_receive
from returns.stock_in import stock_ins_not_yet_due
from syncs.models import StockPush, StockSettings, SyncRun
from syncs.soak.invariants import invariants_check
from syncs.soak.postgres import PrivatePostgres
from syncs.soak.report import Figures, report, runs_by_outcome
from syncs.soak.setup import ROOT, Process, log

STREAM_WEIGHTS = {"orders": 3, "stock": 3, "returns": 2, "catalog": 1}
KILL_TARGETS = ("stock", "orders", "stock-in", "catalog")
KILL_WAIT = 120.0  # seconds to catch the wanted kind running before any run will do
FREEZE_SECONDS = 180.0  # a node that took no task this long while work waits is restarted
WAREHOUSE_EVERY = 3.0  # seconds between the warehouse's rounds (five lines at most each)


class Soak:
    def __init__(self, opts: argparse.Namespace):
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.log_dir = Path(opts.log_dir or tempfile.mkdtemp(prefix="centra-ip-soak-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.postgres = PrivatePostgres(port=opts.pg_port)
        self.twins_url = f"http://127.0.0.1:{opts.twins_port}"
        self.env: dict = {}
        self.twins: Process | None = None
        self.nodes: list[Process] = []
        self.figures = Figures()
        self.started_at = 0.0
        self._taken: dict[str, tuple[int, float]] = {}
        self._operator = None
        self.kill_wanted: tuple[str, float] | None = None
        self.kills_asked = 0
        self.recovering: list[tuple[str, float]] = []  # (stream, killed at)
        self.asked: dict[str, float] = {}

    # -- set-up -----------------------------------------------------------------------------
    def set_up(self) -> None:
        self.postgres.start()
        self.postgres.create_database("centra_ip_soak")
        redis.Redis.from_url(self.opts.redis_url).flushdb()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.configure()
        python = sys.executable
        self.twins = Process(
            "twins",
            [
                python,
                "manage.py",
                "soak_twins",
                "--port",
                str(self.opts.twins_port),
                "--seed",
                str(self.opts.seed),
                "--products",
                str(self.opts.products),
                "--fault-rate",
                str(self.opts.fault_rate),
            ],
            self.log_dir / "twins.log",
        )
        self.twins.start(self.env)
        self.nodes = [
            Process(f"node-{n}", [python, "manage.py", "qcluster"], self.log_dir / f"node-{n}.log")
            for n in range(1, self.opts.nodes + 1)
        ]
        for node in self.nodes:
            node.start(self.env)
        self._wait_twins()

    def configure(self) -> None:
        """The rest lane (SKUs far from zero and slow) pushes at most every 30 minutes by
        default: a soak of minutes would compare Centra with ATS it is meant to defer. At 0
        every lane pushes every cycle, so the incremental plan itself must converge."""
        settings = StockSettings.load()
        settings.rest_lane_minutes = 0
        settings.save()

    def _wait_twins(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.post(f"{self.twins_url}/soak/faults", json={"rate": 0.0}, timeout=5)
                return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError("the soak twins did not start within 60 s")

    def faults(self, rate: float, *, tick: bool = True) -> None:
        body = {"rate": rate, "tick": tick}
        httpx.post(f"{self.twins_url}/soak/faults", json=body, timeout=30).raise_for_status()

    def truth(self) -> dict:
        return httpx.get(f"{self.twins_url}/soak/state", timeout=60).json()

    # -- the run ----------------------------------------------------------------------------
    def stream_runs(self) -> int:
        return SyncRun.objects.filter(dry_run=False).count()

    def enqueue(self, stream: str) -> None:
        async_task("syncs.tasks.run_stream", stream, task_name=f"soak {stream}")

    def queue_size(self) -> int:
        return get_broker().queue_size() or 0

    def first_cycle(self) -> None:
        """Catalog, then stock (it maps the warehouses), then the rest, once each, clean."""
        for stream in ("catalog", "stock", "orders", "returns"):
            self.run_and_wait(stream, timeout=300)

    def run(self) -> None:
        """Keep the nodes busy until ``--runs`` stream runs exist; kill and restart on the way.

        Nothing here blocks: a wanted kill waits for its target across iterations (the
        warehouse keeps working, so stock-ins keep coming), and a killed stream's recovery
        is watched while the other streams go on."""
        target = self.opts.runs
        kills_at = [round((k + 1) * target / (self.opts.kills + 1)) for k in range(self.opts.kills)]
        restarts = self.opts.db_restarts
        restart_at = [round((k + 1) * target / (restarts + 1)) for k in range(restarts)]
        self.faults(self.opts.fault_rate)
        streams = [s for s, weight in STREAM_WEIGHTS.items() for _ in range(weight)]
        last_report = last_check = last_shift = 0.0
        while True:
            close_old_connections()
            done = self._guarded(self.stream_runs, default=0)
            if done >= target and self.kill_wanted is None:
                break
            if self._guarded(self.queue_size, default=1) < self.opts.nodes * self.opts.workers:
                self._guarded(lambda: self.enqueue(self.rng.choice(streams)))
            if time.monotonic() - last_shift > WAREHOUSE_EVERY:
                last_shift = time.monotonic()
                self._guarded(self.warehouse_work)
            if kills_at and done >= kills_at[0] and self.kill_wanted is None:
                kills_at.pop(0)
                kind = KILL_TARGETS[self.kills_asked % len(KILL_TARGETS)]
                self.kills_asked += 1
                self.kill_wanted = (kind, time.monotonic() + KILL_WAIT)
            if self.kill_wanted is not None:
                self._guarded(self.kill_try)
            self._guarded(self.recoveries_watch)
            if restart_at and done >= restart_at[0]:
                restart_at.pop(0)
                self.restart_database()
            if time.monotonic() - last_check > 10:
                last_check = time.monotonic()
                self.unfreeze_nodes()
            if time.monotonic() - last_report > 15:
                last_report = time.monotonic()
                self.report_progress(done)
            time.sleep(0.05 if self.kill_wanted else 0.3)
        self.report_progress(self._guarded(self.stream_runs, default=target))
        deadline = time.monotonic() + 180
        while self.recovering and time.monotonic() < deadline:
            self._guarded(self.recoveries_watch)
            time.sleep(1)
        self.figures.recoveries += [float("inf")] * len(self.recovering)

    def figures_kills(self) -> int:
        return sum(self.figures.kills.values())

    def _guarded(self, action, default=None):
        """The driver outlives the database restart: an error is logged and the loop goes on."""
        try:
            return action()
        except (DatabaseError, httpx.HTTPError, OSError) as error:
            log(f"(driver) {type(error).__name__}: {str(error)[:120]}")
            close_old_connections()
            time.sleep(1)
            return default

    def report_progress(self, done: int) -> None:
        elapsed = time.monotonic() - self.started_at
        counts = self._guarded(
            lambda: httpx.get(f"{self.twins_url}/soak/faults", timeout=30).json(), default={}
        )
        faults = sum((counts or {}).get("faults", {}).values())
        log(
            f"{done}/{self.opts.runs} stream runs, {self.figures_kills()}/{self.opts.kills} kills, "
            f"{self.figures.db_restarts} db restarts, {faults} faults injected, "
            f"{self.figures.stock_ins} lines stocked in, {elapsed:.0f} s"
        )

    # -- the warehouse ----------------------------------------------------------------------
    def warehouse_work(self) -> None:
        """Receive and pass QC on every mapped return line waiting (QC enqueues the stock-in)."""
        waiting = ReturnLine.objects.filter(received_quantity__isnull=True).exclude(ip_sku="")
        for line in waiting.select_related("expected_return")[:5]:
            try:
                return_line_receive(line=line, quantity=line.quantity, actor=self.operator())
                line.refresh_from_db()
                if return_line_qc(line=line, passed=line.quantity, actor=self.operator()):
                    self.figures.stock_ins += 1
            except ReturnsError as error:
                log(f"(warehouse) line {line.pk}: {error}")

    def operator(self):
        if self._operator is None:
            self._operator, _ = get_user_model().objects.get_or_create(username="soak-operator")
        return self._operator

    # -- faults of our own: kills, the database restart, frozen nodes ------------------------
    def kill_try(self) -> None:
        """SIGKILL the worker running the wanted kind (a stream, or "stock-in") if one is
        running now; after KILL_WAIT, the worker of any running stream run. A stock kill
        waits half of KILL_WAIT for a run that is sending its push, then takes the run at
        any moment (a push of a few changed lines lasts a fraction of a second)."""
        kind, deadline = self.kill_wanted
        left = deadline - time.monotonic()
        if kind == "stock" and left > KILL_WAIT / 2:
            kinds = ["stock push"]  # first wait for the push itself, then any moment of the run
        else:
            kinds = [kind] if left > 0 else list(STREAM_WEIGHTS)
        for candidate in kinds:
            victim = self._running(candidate)
            if victim is not None and self._kill_pid(victim, candidate):
                self.kill_wanted = None
                self.figures.kills[candidate] += 1
                if candidate != "stock-in":
                    self.recovering.append((candidate.split()[0], time.time()))
                return
        if kind != "stock-in" and self.queue_size() == 0:
            self.enqueue(kind)

    def _running(self, kind: str) -> int | None:
        """The pid of the worker running ``kind`` now, if any."""
        if kind == "stock-in":
            owners = StockIn.objects.filter(running_since__isnull=False).exclude(running_on="")
            owner = owners.values_list("running_on", flat=True).first()
        else:  # a live lease: the run's worker is at it now (not a run a restart orphaned)
            runs = SyncRun.objects.filter(
                stream=kind.split()[0],
                status=SyncRun.Status.RUNNING,
                lease_expires_at__gt=timezone.now(),
            )
            if kind == "stock push":  # the run has planned its push and is sending it
                runs = runs.filter(pushes__status=StockPush.Status.SENT)
            owner = runs.order_by("-started_at").values_list("worker", flat=True).first()
        if not owner or ":" not in owner:
            return None
        return int(owner.rsplit(":", 1)[1])

    def _kill_pid(self, pid: int, kind: str) -> bool:
        """Only a worker of one of our nodes is ever killed."""
        if not any(node.owns(pid) for node in self.nodes):
            return False
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        log(f"killed worker {pid} during a {kind} run")
        return True

    def recoveries_watch(self) -> None:
        """For each killed stream: the next run's start, or ask for one when none waits."""
        for stream, killed_at in list(self.recovering):
            since = datetime.fromtimestamp(killed_at, UTC)
            started = (
                SyncRun.objects.filter(stream=stream, started_at__gt=since)
                .order_by("started_at")
                .values_list("started_at", flat=True)
                .first()
            )
            if started is not None:
                self.recovering.remove((stream, killed_at))
                seconds = started.timestamp() - killed_at
                self.figures.recoveries.append(seconds)
                log(f"{stream}: the next run started {seconds:.1f} s after the kill")
            elif time.time() - self.asked.get(stream, 0) > 3:
                self.asked[stream] = time.time()
                self.enqueue(stream)  # the schedule's next tick, sooner

    def restart_database(self) -> None:
        log("restarting PostgreSQL (every connection cut)")
        self.postgres.restart()
        self.figures.db_restarts += 1

    def unfreeze_nodes(self) -> None:
        """A node whose workers took nothing for FREEZE_SECONDS while tasks wait is stuck
        (django-q's queue lock held by a killed worker): restart it, and count it."""
        now = time.monotonic()
        waiting = self._guarded(self.queue_size, default=0) > 0
        for node in self.nodes:
            taken = node.tasks_taken()
            seen, since = self._taken.get(node.name, (-1, now))
            if taken != seen or not waiting:
                self._taken[node.name] = (taken, now)
            elif now - since > FREEZE_SECONDS or not node.running():
                log(f"{node.name} took no task for {now - since:.0f} s: restarting it")
                node.stop()
                node.start(self.env)
                self.figures.node_restarts += 1
                self._taken[node.name] = (taken, now)

    # -- convergence ------------------------------------------------------------------------
    def run_and_wait(self, stream: str, *, timeout: float = 240) -> str:
        close_old_connections()
        before = (
            SyncRun.objects.filter(stream=stream)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )
        deadline = time.monotonic() + timeout
        self.enqueue(stream)
        while time.monotonic() < deadline:
            close_old_connections()
            run = (
                SyncRun.objects.filter(stream=stream, pk__gt=before)
                .exclude(status="running")
                .first()
            )
            if run is not None:
                return run.status
            if (
                not SyncRun.objects.filter(stream=stream, pk__gt=before).exists()
                and self.queue_size() == 0
            ):
                time.sleep(2)
                if not SyncRun.objects.filter(stream=stream, pk__gt=before).exists():
                    self.enqueue(stream)  # refused while an earlier run held the stream
            time.sleep(0.5)
        return "timed out"

    def quiesce(self) -> None:
        """Faults off, the world frozen, every queued and running task finished (a run whose
        lease expired is a killed worker's: the stream's next run takes it over), and every
        stock-in a killed worker held free to take over (its claim expires 90 s after the
        last renewal: the product's own recovery, which the clean cycles must not outrun)."""
        self.faults(0.0, tick=False)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            close_old_connections()
            busy = (
                SyncRun.objects.filter(
                    status="running", lease_expires_at__gt=timezone.now()
                ).exists()
                or self.queue_size() > 0
                or stock_ins_not_yet_due().exists()
            )
            if not busy:
                return
            time.sleep(1)

    def converge(self):
        self.quiesce()
        results = []
        for cycle in range(1, self.opts.cycles + 1):
            for ticket in Ticket.objects.filter(type="stock_in_failed", status__in=Ticket.ACTIVE):
                ticket_retry(ticket=ticket, actor=self.operator())
            statuses = {s: self.run_and_wait(s) for s in ("catalog", "stock", "orders", "returns")}
            self.quiesce()
            results = invariants_check(self.truth(), recoveries=self.figures.recoveries)
            held = sum(1 for r in results if r.ok)
            failing = "; ".join(f"not yet: {r.name}" for r in results if not r.ok)
            log(f"clean cycle {cycle}: {statuses}; {held}/{len(results)} invariants hold {failing}")
            self.figures.cycles = cycle
            if all(r.ok for r in results):
                break
        return results

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        if self.twins is not None:
            self.twins.stop()
        self.postgres.stop()


def soak_run(opts: argparse.Namespace, env: dict) -> int:
    """The whole soak; Django is set up (``python -m syncs.soak``). Exit status: 0 passed."""
    soak = Soak(opts)
    soak.env = env
    log(
        f"{opts.runs} stream runs, {opts.kills} kills, fault rate {opts.fault_rate:g}, "
        f"{opts.nodes} nodes x {opts.workers} workers, {opts.db_restarts} db restart(s); "
        f"logs in {soak.log_dir}"
    )
    soak.started_at = time.monotonic()
    results = []
    try:
        soak.set_up()
        log(
            f"private PostgreSQL on :{opts.pg_port}, twins on :{opts.twins_port}, "
            f"{opts.nodes} nodes up"
        )
        soak.first_cycle()
        soak.run()
        results = soak.converge()
        soak.figures.runs = Counter(runs_by_outcome())
        truth = soak.truth()
    finally:
        soak.stop()
    soak.figures.seconds = time.monotonic() - soak.started_at
    return report(soak, results, truth)
