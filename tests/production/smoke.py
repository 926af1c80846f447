"""Production smoke test: the app run as docs/deploy.md runs it, proven in a real browser.

``make smoke`` (and so ``.ci/run``, after the suite) runs it:

1. production settings: DEBUG off, a fresh random SECRET_KEY, ALLOWED_HOSTS; its own fresh
   PostgreSQL database; Redis as the task broker (its database emptied first); the
   sandbox twins instead of credentials;
2. the deployment steps: migrate, collectstatic, sync_schedules, ``check --deploy`` (no
   error; the only warnings are the twins' own), one real login per team (``team_user``);
3. the sandbox twins, gunicorn serving the app (static files through WhiteNoise), and two
   ``qcluster`` task nodes against the same PostgreSQL and Redis; ``check_apis`` against
   the twins;
4. ``/healthz`` ok, both task nodes registered with the broker, each stream's scheduled run
   succeeded, taken by the nodes from the shared queue, ``/metrics`` answering;
5. Chromium logs in as each team and opens every page of the navigation, the pages each
   links to, and every stream's run page: 200, or 403 where the team lacks the permission
   (``EXPECTED_403``), and no console error;
6. everything stops as systemd stops it (SIGTERM, SIGKILL after the grace), nothing is
   left running, and the server's log holds no 500.

Prints one summary line; exits 1 on any failure, with the logs' tails. Every process runs
under ``centra_ip.keeper``, so nothing outlives this script, whatever happens to it.

Settings: SMOKE_DATABASE_URL, SMOKE_REDIS_URL, SMOKE_PORT and SMOKE_SANDBOX_PORT (defaults
below), SMOKE_LOG_DIR (default: a new temporary folder).
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from centra_ip.keeper import KeptService
from syncs.streams import STOCK, STREAM_CODES

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get(
    "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/centra_ip_smoke"
)
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/8")
PORT = int(os.environ.get("SMOKE_PORT", "8180"))
SANDBOX_PORT = int(os.environ.get("SMOKE_SANDBOX_PORT", "8181"))
BASE = f"http://127.0.0.1:{PORT}"
GRACE = 20  # seconds a service has to stop after SIGTERM (systemd's TimeoutStopSec)
STREAM_DEADLINE = 240.0  # seconds for every stream's first scheduled run to succeed
# As docs/deploy.md runs it, with two workers on a shared CI machine.
GUNICORN = [sys.executable, "-m", "gunicorn", "centra_ip.wsgi", "--workers", "2"]
GUNICORN += ["--access-logfile", "-", "--error-logfile", "-"]
CHROMIUM = "/usr/bin/chromium"
SANDBOX_OPTIONS = ("--feed-every", "20", "--no-story")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Pages a team may not open (403 by design: centra_ip/teams.py). Everything else is 200.
EXPECTED_403 = {
    "/reconciliation/": "centra_ip.view_reconciliation",
    "/syncs/sandbox/": "centra_ip.control_sandbox",
    "/syncs/config/": "centra_ip.change_configuration",
    "/returns/receive/": "centra_ip.handle_returns",
}
# Variables of the calling environment that must not leak into the production one.
_NOT_INHERITED = re.compile(
    r"^(DEBUG|SECRET_KEY|DATABASE_URL|REDIS_URL|SANDBOX_URL|CENTRA_.*|INVENTORY_PLANNER_.*"
    r"|IP_FEED_.*|DJANGO_.*|PORT|SANDBOX_PORT|STATIC_ROOT|SECURE_.*|EMAIL_.*|METRICS_TOKEN)$"
)


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"smoke: {message}", flush=True)


@dataclass
class Smoke:
    log_dir: Path
    env: dict = field(default_factory=dict)
    services: list[KeptService] = field(default_factory=list)
    pages_opened: int = 0
    forbidden_seen: int = 0
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)

    # --- set-up ---------------------------------------------------------------------------
    def production_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not _NOT_INHERITED.match(k)}
        env.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            PORT=str(PORT),
            SANDBOX_PORT=str(SANDBOX_PORT),
            STATIC_ROOT=str(self.log_dir / "static"),
            IP_FEED_PASSWORD=secrets.token_urlsafe(24),
            METRICS_TOKEN=secrets.token_urlsafe(24),
            # Plain HTTP on the loopback: TLS is the reverse proxy's (docs/deploy.md).
            SECURE_SSL_REDIRECT="false",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            Q_WORKERS="2",
        )
        return env

    def fresh_database(self) -> None:
        import psycopg

        parts = urlsplit(DATABASE_URL)
        name = parts.path.lstrip("/")
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise SmokeFailure(f"refusing an odd database name {name!r}")
        maintenance = parts._replace(path="/postgres").geturl()
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")

    def fresh_redis(self) -> None:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()

    def manage(
        self, *args: str, timeout: float = 300, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise SmokeFailure(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result

    def deploy_steps(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("sync_schedules")
        # As deployed: HTTPS redirects on (the smoke's own plain HTTP is its only exception).
        deployed = {k: v for k, v in self.env.items() if k != "SECURE_SSL_REDIRECT"}
        checked = self.manage("check", "--deploy", env=deployed)
        report = checked.stdout + checked.stderr
        issued = set(re.findall(r"\(([a-z_]+\.[EWCI]\d+)\)", report))
        if issued - {"centra_ip.W001", "centra_ip.W002"}:  # the twins' own warnings only
            raise SmokeFailure(f"check --deploy is not clean:\n{report}")
        from centra_ip.teams import TEAM_CODES

        for team in TEAM_CODES:
            username = f"smoke-{team}"
            password = self.manage("team_user", username, "--team", team).stdout.strip()
            self.logins[team] = (username, password)

    def start_services(self) -> None:
        python = sys.executable
        self.services = [
            KeptService(
                "sandbox",
                # without the demo's scripted story, which breaks the APIs on purpose
                [python, "manage.py", "sandbox", "--port", str(SANDBOX_PORT), *SANDBOX_OPTIONS],
                self.log_dir / "sandbox.log",
            ),
            KeptService(
                "gunicorn",
                [*GUNICORN, "--bind", f"127.0.0.1:{PORT}", "--graceful-timeout", str(GRACE - 5)],
                self.log_dir / "gunicorn.log",
            ),
            KeptService("node-1", [python, "manage.py", "qcluster"], self.log_dir / "node-1.log"),
            KeptService("node-2", [python, "manage.py", "qcluster"], self.log_dir / "node-2.log"),
        ]
        for service in self.services:
            service.start(self.env)

    # --- checks ---------------------------------------------------------------------------
    def wait_healthy(self) -> dict:
        deadline = time.monotonic() + 90
        body = {}
        while time.monotonic() < deadline:
            self.services_alive()
            try:
                response = httpx.get(f"{BASE}/healthz", timeout=5)
                body = response.json()
                if response.status_code == 200 and body["status"] == "ok":
                    if body["database"]["vendor"] != "postgresql":
                        raise SmokeFailure(f"/healthz: not on PostgreSQL: {body}")
                    if body["task_queue"]["broker"] != "redis":
                        raise SmokeFailure(f"/healthz: not on Redis: {body}")
                    return body
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        raise SmokeFailure(f"/healthz did not answer ok within 90 s: {body}")

    def services_alive(self) -> None:
        for service in self.services:
            if not service.running():
                raise SmokeFailure(f"{service.name} exited early:\n{tail(service.log_text())}")

    def wait_two_nodes(self) -> None:
        from django_q.status import Stat

        deadline, nodes = time.monotonic() + 60, set()
        while time.monotonic() < deadline:
            nodes = {stat.cluster_id for stat in Stat.get_all() if stat.status != "Stopped"}
            if len(nodes) >= 2:
                return
            time.sleep(1)
        raise SmokeFailure(f"expected two task nodes on the broker, found {len(nodes)}")

    def wait_streams(self) -> dict[str, str]:
        """Every stream's first scheduled run succeeds; none fails. The returns schedule
        waits three minutes on a fresh install for the stock run's warehouse map; once that
        run has succeeded the smoke test brings the returns run forward."""
        from django.db import close_old_connections
        from django.utils import timezone
        from django_q.models import Schedule

        from centra_ip.schedules import NAME_PREFIX
        from syncs.models import SyncRun

        deadline = time.monotonic() + STREAM_DEADLINE
        brought_forward = False
        while True:
            close_old_connections()
            self.services_alive()
            failed = SyncRun.objects.filter(status=SyncRun.Status.FAILED)
            if failed.exists():
                details = [f"{run.stream}: {run.error}" for run in failed]
                raise SmokeFailure(f"a stream run failed: {details}")
            done = dict(
                SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
                .order_by("stream", "finished_at")
                .values_list("stream", "summary")
            )
            if not brought_forward and STOCK in done:
                Schedule.objects.filter(name=f"{NAME_PREFIX}returns").update(
                    next_run=timezone.now()
                )
                brought_forward = True
            if set(STREAM_CODES) <= set(done):
                return done
            if time.monotonic() > deadline:
                missing = sorted(set(STREAM_CODES) - set(done))
                raise SmokeFailure(f"no successful run within {STREAM_DEADLINE:g} s: {missing}")
            time.sleep(2)

    def nodes_shared_the_work(self) -> dict[str, int]:
        taken = {
            service.name: service.log_text().count(" processing ")
            for service in self.services
            if service.name.startswith("node-")
        }
        if not all(taken.values()):
            raise SmokeFailure(f"a task node took no task from the shared queue: {taken}")
        return taken

    def metrics_answer(self) -> None:
        token = self.env["METRICS_TOKEN"]
        response = httpx.get(
            f"{BASE}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        if response.status_code != 200 or "centra_ip_" not in response.text:
            raise SmokeFailure(f"/metrics: {response.status_code} {response.text[:200]}")

    # --- the browser ----------------------------------------------------------------------
    def browse_as_every_team(self) -> None:
        from playwright.sync_api import sync_playwright

        from centra_ip.teams import TEAM_CODES

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            try:
                for team in TEAM_CODES:
                    self.browse_as(browser, team)
            finally:
                browser.close()

    def browse_as(self, browser, team: str) -> None:
        context = browser.new_context(base_url=BASE, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("console", lambda message: _console_error(errors, page, team, message))
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        try:
            username, password = self.logins[team]
            page.goto("/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login/" not in url)  # each team lands on its work
            navigation = list(dict.fromkeys(_links(page, "header.topbar a")))
            if len(navigation) < 5:
                raise SmokeFailure(f"{team}: the navigation has only {navigation}")
            linked = []
            for path in navigation:
                if self.open(page, team, path):
                    linked += _links(page, "main nav a, .subnav a")
            linked += [f"/syncs/runs/{code}/" for code in STREAM_CODES]
            for path in dict.fromkeys(linked):  # each once, in order
                if path not in navigation:
                    self.open(page, team, path)
        finally:
            context.close()
        if errors:
            raise SmokeFailure(f"{team}: console errors:\n" + "\n".join(errors))

    def open(self, page, team: str, path: str) -> bool:
        """Open ``path`` as ``team``; True when the page was allowed (200)."""
        response = page.goto(path)
        status = response.status if response else None
        expected = expected_status(team, path)
        if status != expected:
            raise SmokeFailure(f"{team}: {path} answered {status}, expected {expected}")
        self.pages_opened += 1
        self.forbidden_seen += status == 403
        return status == 200

    # --- stop -----------------------------------------------------------------------------
    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.stop()

    def nothing_left_running(self) -> None:
        from centra_ip.keeper import group_members

        left = {s.name: group_members(s.process.pid) for s in self.services if s.process}
        left = {name: pids for name, pids in left.items() if pids}
        if left:
            raise SmokeFailure(f"processes left running: {left}")
        for port in (PORT, SANDBOX_PORT):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    raise SmokeFailure(f"port {port} still answers")
        slow = {
            s.name: round(s.stop_seconds, 1) for s in self.services if (s.stop_seconds or 0) > GRACE
        }
        if slow:
            raise SmokeFailure(f"not stopped within {GRACE:g} s of SIGTERM (killed): {slow}")

    def server_log_clean(self) -> None:
        text = "".join(s.log_text() for s in self.services if s.name == "gunicorn")
        served_500 = [line for line in text.splitlines() if re.search(r'" 5\d\d ', line)]
        if served_500 or "Internal Server Error" in text:
            raise SmokeFailure("the server logged errors:\n" + tail(text))


def _links(page, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "links => links.map(a => a.href)")
    paths = [urlsplit(urljoin(page.url, href)).path for href in hrefs]
    return [path for path in paths if path.startswith("/") and not path.startswith("/admin/")]


def _console_error(errors: list[str], page, team: str, message) -> None:
    """Every console error counts, except Chromium's note on a page's expected 403."""
    forbidden = "the server responded with a status of 403"
    path = urlsplit(page.url).path
    if message.type != "error":
        return
    if forbidden in message.text and expected_status(team, path) == 403:
        return
    errors.append(f"{page.url}: {message.text}")


def expected_status(team: str, path: str) -> int:
    from centra_ip.teams import TEAM_PERMISSIONS

    for prefix, permission in EXPECTED_403.items():
        if path.startswith(prefix) and permission not in TEAM_PERMISSIONS[team]:
            return 403
    return 200


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def main() -> int:
    started = time.monotonic()
    log_dir = Path(os.environ.get("SMOKE_LOG_DIR") or tempfile.mkdtemp(prefix="centra-ip-smoke-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    smoke = Smoke(log_dir=log_dir)
    smoke.env = smoke.production_env()
    # This process reads the same database as the services (the streams' runs, the nodes).
    os.environ.update(smoke.env, DJANGO_SETTINGS_MODULE="centra_ip.settings")
    import django

    django.setup()
    failure = None
    try:
        smoke.fresh_database()
        smoke.fresh_redis()
        smoke.deploy_steps()
        users = ", ".join(username for username, _ in smoke.logins.values())
        log(f"deployed: migrate, collectstatic, sync_schedules, check --deploy; logins {users}")
        smoke.start_services()
        smoke.wait_healthy()
        smoke.wait_two_nodes()
        log("gunicorn, the sandbox twins and two task nodes are up; /healthz ok")
        smoke.manage("check_apis")  # here against the twins, as against the real APIs
        log("check_apis: the APIs answer as the clients expect")
        done = smoke.wait_streams()
        taken = smoke.nodes_shared_the_work()
        smoke.metrics_answer()
        log(f"every stream succeeded ({', '.join(sorted(done))}); tasks per node: {taken}")
        smoke.browse_as_every_team()
        log(f"{smoke.pages_opened} pages opened by {len(smoke.logins)} teams in Chromium")
    except SmokeFailure as error:
        failure = str(error)
    finally:
        smoke.stop_all()
    try:
        smoke.nothing_left_running()
        smoke.server_log_clean()
    except SmokeFailure as error:
        failure = failure or str(error)
    seconds = time.monotonic() - started
    if failure:
        print(f"smoke: FAILED: {failure}", flush=True)
        for service in smoke.services:
            print(f"--- {service.name} ({service.log_path}) ---\n{tail(service.log_text())}")
        print(f"SMOKE FAILED after {seconds:.0f} s (logs in {log_dir})", flush=True)
        return 1
    print(
        f"SMOKE PASSED in {seconds:.0f} s: production settings on PostgreSQL and Redis, "
        f"gunicorn + 2 task nodes; {len(STREAM_CODES)} streams succeeded; "
        f"{smoke.pages_opened} pages in Chromium for {len(smoke.logins)} teams "
        f"({smoke.forbidden_seen} expected 403); everything stopped within "
        f"{max(s.stop_seconds for s in smoke.services):.1f} s of SIGTERM, nothing left running",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
