"""The sync streams: what runs, and how often it is expected to succeed.

The expected cadence is what the watchdog (a "stream late" ticket) and ``/healthz``
measure a stream against: a stream that has not succeeded within ``late_after`` is late.
"""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Stream:
    code: str
    title: str
    cadence: timedelta
    late_after: timedelta

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
    Stream(CATALOG, "Catalog and SKU map", timedelta(minutes=15), timedelta(hours=1)),
    Stream(ORDERS, "Orders from Centra", timedelta(minutes=2), timedelta(minutes=15)),
    Stream(STOCK, "Stock to Centra", timedelta(minutes=5), timedelta(minutes=30)),
    Stream(RETURNS, "Returns from Centra", timedelta(minutes=15), timedelta(hours=1)),
)
STREAM_CODES = tuple(stream.code for stream in STREAMS)
STREAM_CHOICES = [(stream.code, stream.title) for stream in STREAMS]
