"""Background tasks of the syncs app: thin wrappers that call services.

A task delivered twice is harmless: a second real run of a stream is refused while the
first runs, and the engines are idempotent once it has finished.
"""

import logging

from django.core.cache import cache

from syncs.apicheck import apis_check_run
from syncs.freshness import throttling_check, watchdog_check
from syncs.orders.advanced_csv import advanced_csv_config, advanced_csv_write
from syncs.runner import StreamBusy, sync_run_stream
from syncs.services import external_calls_prune

logger = logging.getLogger(__name__)


TICK_SKIPPED = "syncs:tick-skipped:{stream}"
CATCH_UPS = 3  # at most this many runs in a row for skipped ticks


def run_stream(stream: str, full: bool = False) -> str:
    """A scheduled cycle; then, at once, another for a tick skipped while it ran."""
    said = []
    for catch_up in range(1 + CATCH_UPS):
        cache.delete(TICK_SKIPPED.format(stream=stream))  # this run serves earlier ticks
        try:
            run = sync_run_stream(stream=stream, full=full and not catch_up)
        except StreamBusy as error:
            tick_skipped(stream)
            return "; ".join([*said, f"skipped: {error}"])
        said.append(f"{stream}: {run.status}: {run.summary}")
        if not cache.get(TICK_SKIPPED.format(stream=stream)):
            break
    return "; ".join(said)


def tick_skipped(stream: str) -> None:
    """Note a tick that found the stream busy, so the running cycle runs again as it ends.

    Without this, a cycle that overruns its cadence by seconds (a full stock push of
    100,000 SKUs takes minutes) leaves the stream idle until the next tick: the tick that
    fired meanwhile is refused and never taken up, and a SKU sold out in IP after the
    cycle's read waits a whole cadence more (docs/stock-engine.md "Schedule")."""
    cache.set(TICK_SKIPPED.format(stream=stream), True, timeout=3600)


def prune_external_calls() -> str:
    deleted = external_calls_prune(keep_days=30)
    return f"deleted {deleted} external call records older than 30 days"


def watchdog() -> str:

    verdicts = watchdog_check()
    throttled = throttling_check()
    late = sorted(code for code, verdict in verdicts.items() if verdict == "late")
    said = f"late: {', '.join(late)}" if late else "every stream is on time"
    if throttled:
        said += "; throttled: " + ", ".join(f"{k} {v}" for k, v in sorted(throttled.items()))
    return said


def write_advanced_csv() -> str:
    """The Advanced CSV drop-folder files; does nothing while ``IP_ADVANCED_CSV_DIR`` is empty."""

    if advanced_csv_config().folder is None:
        return "off: IP_ADVANCED_CSV_DIR is empty"
    files = advanced_csv_write()
    if not files:
        return "nothing new or changed: no file written"
    return "; ".join(f"{record.name}: {record.rows} rows" for record in files)


def check_apis() -> str:
    """The daily API check (``manage.py check_apis``); a failure is an admin ticket."""

    report = apis_check_run()
    return "APIs OK" if report.ok else f"{len(report.problems)} problem(s): {report.problems[0]}"
