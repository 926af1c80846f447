"""The sync streams, each declared once: its engine, its schedule and when it is late.

Everything else is derived from ``STREAMS``: the django-q2 schedules
(``centra_ip.schedules.SCHEDULES``), the freshness banner, ``/healthz``, ``/metrics``, the
watchdog's "stream late" tickets, the ``sync`` command's choices and the run history's
stream choices. A stream that has not succeeded within ``late_after`` is late.

An engine is a function ``engine(*, run, dry_run, full) -> EngineResult``
(``syncs.engines``), named by dotted path so importing this module stays cheap. It may raise
a ``ConnectorError`` (the runner turns it into an API ticket) and must never leave a batch
half-stored: it writes in transactions and advances cursors only after a batch is stored.

Reconciliation is deliberately not a stream: it reads no external cursor and sends
nothing; it recomputes a window of our own ledger against IP's figures, keeps its own run
record (``ReconciliationRun``, with the window and the figures a stream run has no place
for) and its own lock, and is scheduled in ``centra_ip.schedules``. docs/architecture.md
says what making it one would take.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Stream:
    code: str
    title: str
    engine: str  # "module.function", imported by the runner when the stream runs
    cadence: timedelta  # how often it is scheduled, and how often it is expected to succeed
    late_after: timedelta
    # On a fresh install every schedule is due at once; a stream that needs another's first
    # run (returns needs the warehouse map the stock engine makes) starts this much later.
    first_run_after: timedelta = timedelta(0)

    @property
    def every(self) -> str:
        """The cadence for people: "2 min", "1 h"."""
        minutes = int(self.cadence.total_seconds() // 60)
        return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


CATALOG = "catalog"
ORDERS = "orders"
STOCK = "stock"
RETURNS = "returns"

STREAMS: tuple[Stream, ...] = (
    # catalog: a new Centra size missing in IP shows within minutes; order lines on it are
    # parked and ticketed at once
    Stream(
        CATALOG,
        "Catalog and SKU map",
        engine="syncs.catalog.engine.catalog_engine",
        cadence=timedelta(minutes=15),
        late_after=timedelta(hours=1),
    ),
    Stream(
        ORDERS,
        "Orders from Centra",
        engine="syncs.orders.engine.orders_engine",
        cadence=timedelta(minutes=2),
        late_after=timedelta(minutes=15),
    ),
    # every 5 min: zero, low and high-velocity lanes each cycle; the rest per rest_lane_minutes
    # (on a fresh install a minute after the catalog, whose SKU map it pushes)
    Stream(
        STOCK,
        "Stock to Centra",
        engine="syncs.stock.engine.stock_engine",
        cadence=timedelta(minutes=5),
        late_after=timedelta(minutes=30),
        first_run_after=timedelta(minutes=1),
    ),
    Stream(
        RETURNS,
        "Returns from Centra",
        engine="returns.engine.returns_engine",
        cadence=timedelta(minutes=15),
        late_after=timedelta(hours=1),
        first_run_after=timedelta(minutes=3),
    ),
)
STREAM_CODES = tuple(stream.code for stream in STREAMS)
STREAM_CHOICES = [(stream.code, stream.title) for stream in STREAMS]


def stream_get(code: str) -> Stream:
    """The stream declared under ``code``; an unknown code is a caller's bug, said plainly."""
    for stream in STREAMS:
        if stream.code == code:
            return stream
    raise LookupError(f"no stream {code!r}: the streams are {', '.join(STREAM_CODES)}")
