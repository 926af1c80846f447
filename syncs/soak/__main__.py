"""``python -m syncs.soak``: options and environment first, then Django, then the soak."""

import logging
import os
import sys

import django

from syncs.soak.setup import environment, options

opts = options()
env = environment(opts)
os.environ.update(env)
django.setup()
logging.getLogger("django-q").setLevel(logging.WARNING)  # not a line per enqueued task

# After django.setup(): the harness imports the models at module level.
from syncs.soak.harness import soak_run  # noqa: E402

sys.exit(soak_run(opts, env))
