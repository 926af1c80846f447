"""The orders stream's knobs, with the defaults documented in docs/catalog-and-orders.md.

Each value can be set in the environment (or Django settings) under the name shown (e.g.
``ORDERS_OVERLAP_MINUTES``); they are read when a run starts, never at import time.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from centra_ip.env import app_setting


@dataclass(frozen=True)
class OrdersConfig:
    use_events: bool  # Centra's events queue as an accelerator; off: polling only
    overlap: timedelta  # each poll starts this much before the last one started
    recovery_every: timedelta  # how often a full recovery pass re-reads the horizon
    recovery_horizon: timedelta  # how far back the recovery pass (and the first run) reads
    event_batches: int  # at most this many batches of 100 events per run
    events_silent_runs: int  # runs in a row with changes but no events: events unavailable
    orphan_grace: timedelta  # an order may take this long to reach the ledger
    taken_sla: timedelta  # IP must take a stored order within this
    cancellation_sla: timedelta  # IP must take a cancellation within this
    feed_horizon: timedelta  # the feed holds orders this far back (a full data set)
    feed_commit_margin: timedelta  # rows changed this close to a fetch count as not taken


DEFAULTS = {
    "ORDERS_USE_EVENTS": True,
    "ORDERS_OVERLAP_MINUTES": 15,
    "ORDERS_RECOVERY_EVERY_HOURS": 6,
    "ORDERS_RECOVERY_HORIZON_DAYS": 14,
    "ORDERS_EVENT_BATCHES": 50,
    "ORDERS_EVENTS_SILENT_RUNS": 3,
    "ORDERS_ORPHAN_GRACE_MINUTES": 30,
    "ORDERS_TAKEN_SLA_HOURS": 26.0,  # IP's CSV connection syncs once a day
    "ORDERS_CANCELLATION_SLA_HOURS": 26.0,  # a fraction is allowed (the demo: 0.05)
    "IP_FEED_HORIZON_DAYS": 730,
    "IP_FEED_COMMIT_MARGIN_SECONDS": 60,
}


def _number(name: str) -> float:
    value = app_setting(name, DEFAULTS[name])
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ImproperlyConfigured(f"{name} must be a non-negative number, not {value!r}")
    return value


def orders_config() -> OrdersConfig:
    use_events = app_setting("ORDERS_USE_EVENTS", DEFAULTS["ORDERS_USE_EVENTS"])
    if not isinstance(use_events, bool):
        raise ImproperlyConfigured(f"ORDERS_USE_EVENTS must be True or False, not {use_events!r}")
    return OrdersConfig(
        use_events=use_events,
        overlap=timedelta(minutes=_number("ORDERS_OVERLAP_MINUTES")),
        recovery_every=timedelta(hours=_number("ORDERS_RECOVERY_EVERY_HOURS")),
        recovery_horizon=timedelta(days=_number("ORDERS_RECOVERY_HORIZON_DAYS")),
        event_batches=max(1, int(_number("ORDERS_EVENT_BATCHES"))),
        events_silent_runs=max(1, int(_number("ORDERS_EVENTS_SILENT_RUNS"))),
        orphan_grace=timedelta(minutes=_number("ORDERS_ORPHAN_GRACE_MINUTES")),
        taken_sla=timedelta(hours=_number("ORDERS_TAKEN_SLA_HOURS")),
        cancellation_sla=timedelta(hours=_number("ORDERS_CANCELLATION_SLA_HOURS")),
        feed_horizon=timedelta(days=_number("IP_FEED_HORIZON_DAYS")),
        feed_commit_margin=timedelta(seconds=_number("IP_FEED_COMMIT_MARGIN_SECONDS")),
    )
