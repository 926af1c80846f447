"""Background tasks of the syncs app: thin wrappers that call services.

A task delivered twice is harmless: a second real run of a stream is refused while the
first runs, and the engines are idempotent once it has finished.
"""

import logging

from syncs.apicheck import apis_check_run
from syncs.freshness import throttling_check, watchdog_check
from syncs.orders.advanced_csv import advanced_csv_config, advanced_csv_write
from syncs.runner import StreamBusy, sync_run_stream
from syncs.services import external_calls_prune

logger = logging.getLogger(__name__)


def run_stream(stream: str, full: bool = False) -> str:
    try:
        run = sync_run_stream(stream=stream, full=full)
    except StreamBusy as error:
        return f"skipped: {error}"
    return f"{stream}: {run.status}: {run.summary}"


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
