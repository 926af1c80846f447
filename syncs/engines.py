"""Which engine runs each stream, and what an engine hands back.

An engine is a function ``engine(*, run, dry_run, full) -> EngineResult``. It may raise a
``ConnectorError`` (the runner turns it into an API ticket) and must never leave a batch
half-stored: it writes in transactions and advances cursors only after a batch is stored.
Engines register here by dotted path, so importing this module stays cheap.
"""

from dataclasses import dataclass, field

# stream code -> "module.function"; a stream not listed has no engine yet.
ENGINES: dict[str, str] = {
    "catalog": "syncs.catalog.engine.catalog_engine",
    "orders": "syncs.orders.engine.orders_engine",
    "stock": "syncs.stock.engine.stock_engine",
    "returns": "returns.engine.returns_engine",
}


@dataclass
class EngineResult:
    summary: str
    counts: dict = field(default_factory=dict)
    held: bool = False  # the guard held the push: not a failure, not a success
