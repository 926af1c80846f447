"""Run the whole app for development: web server, task cluster and (when used) the sandbox.

Each child runs under a keeper (``centra_ip/keeper.py``) in a session of its own, so
Ctrl-C reaches only this supervisor, which then stops every child exactly once. Sending
the terminal's SIGINT to django-q's cluster *and* a second signal from a shell trap makes
its signal handler recurse; one signal, once, does not. The keeper stops the child's whole
process group (SIGTERM, then SIGKILL after the grace period) when told to, and by itself
when this supervisor dies in any way, SIGKILL included (the kernel's parent-death signal):
nothing is ever left running.

Every child gets ``PORT`` and ``SANDBOX_PORT`` in its environment, so the app's sandbox
address and the feed the IP twin fetches follow the ports (``centra_ip/local_urls.py``).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Command(BaseCommand):
    help = "Run the web server, the task cluster and the sandbox twins together; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.LOCAL_URLS.port)
        parser.add_argument("--sandbox-port", type=int, default=settings.LOCAL_URLS.sandbox_port)
        parser.add_argument(
            "--grace",
            type=float,
            default=15.0,
            help="seconds a child has to stop after SIGTERM before it is killed",
        )

    def handle(self, *args, **options):
        manage = [sys.executable, "manage.py"]
        commands = []
        if settings.CENTRA_USES_SANDBOX or settings.INVENTORY_PLANNER_USES_SANDBOX:
            commands.append([*manage, "sandbox", "--port", str(options["sandbox_port"])])
        commands.append([*manage, "qcluster"])
        commands.append([*manage, "runserver", f"{options['host']}:{options['port']}"])
        env = {
            **os.environ,
            "PORT": str(options["port"]),
            "SANDBOX_PORT": str(options["sandbox_port"]),
        }
        hub_story = []
        if len(commands) == 3:  # the sandbox runs, and with it the demo's scripted story
            # the story belongs to the sandbox: loaded only when the sandbox runs
            from syncs.sandbox.story import HUB_STORY, STORY_SETTINGS

            env = {**STORY_SETTINGS, **env}
            hub_story = list(HUB_STORY)
        keeper = [sys.executable, "-m", "centra_ip.keeper", "--parent", str(os.getpid())]
        keeper += ["--grace", str(options["grace"]), "--"]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        for signum in STOP_SIGNALS:
            signal.signal(signum, stop)
        children = {
            command[2]: subprocess.Popen([*keeper, *command], env=env, start_new_session=True)
            for command in commands
        }
        started = time.monotonic()
        while not stopping and all(child.poll() is None for child in children.values()):
            hub_story = self._play_hub_story(hub_story, time.monotonic() - started)
            time.sleep(0.5)
        self._stop(list(children.values()), grace=options["grace"])
        failed = [name for name, child in children.items() if child.returncode != 0]
        if failed and not stopping:
            self.stderr.write(f"stopped because {', '.join(failed)} exited")
            sys.exit(1)

    def _play_hub_story(self, beats: list, elapsed: float) -> list:
        """Play the story's hub beats now due (what people in the hub do); the rest."""
        while beats and beats[0][0].total_seconds() <= elapsed:
            _at, says, func = beats.pop(0)
            try:
                self.stdout.write(f"story: {says}: {import_string(func)()}")
            except Exception as error:  # a demo step must never stop the app
                self.stderr.write(f"story: {says}: failed: {error}")
        return beats

    def _stop(self, children, *, grace: float) -> None:
        self.stdout.write("stopping the web server, the task cluster and the sandbox...")
        for child in children:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGTERM)
        # The keepers kill what outlives the grace; this is for a keeper that is stuck.
        deadline = time.monotonic() + grace + 5
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
