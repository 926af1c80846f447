"""Run the whole app for development: web server, task cluster and (when used) the sandbox.

Each child runs in its own session so Ctrl-C reaches only this supervisor, which then
stops every child's process group exactly once (SIGTERM, then SIGKILL after a grace
period). Sending the
terminal's SIGINT to django-q's cluster *and* a second signal from a shell trap makes its
signal handler recurse; one signal, once, does not.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, the task cluster and the sandbox twins together; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8001)

    def handle(self, *args, **options):
        manage = [sys.executable, "manage.py"]
        commands = []
        if settings.CENTRA_USES_SANDBOX or settings.INVENTORY_PLANNER_USES_SANDBOX:
            commands.append([*manage, "sandbox", "--port", str(options["sandbox_port"])])
        commands.append([*manage, "qcluster"])
        commands.append([*manage, "runserver", f"{options['host']}:{options['port']}"])
        children = [subprocess.Popen(command, start_new_session=True) for command in commands]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        self._stop(children)
        failed = [c.args[2] for c in children if c.returncode not in (0, -signal.SIGTERM)]
        if failed and not stopping:
            self.stderr.write(f"stopped because {', '.join(failed)} exited")
            sys.exit(1)

    def _stop(self, children, grace: float = 15.0) -> None:
        self.stdout.write("stopping the web server, the task cluster and the sandbox...")
        for child in children:
            if child.poll() is None:
                # The whole group: runserver's autoreloader runs the server in a child.
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
