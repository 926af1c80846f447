"""The zero watch: a SKU whose IP stock reaches zero while a long push is in flight goes
to Centra within seconds, not at the next cycle.

A cycle reads IP once, at its start. A full push of 100,000 SKUs then takes some 240 s of
Centra's mutation quota, and a read of 100 IP pages 100-150 s, so a SKU that sells out in
IP after its page was read would wait for the next cycle: 5 to 10 minutes in which the
storefront sells stock that is gone (``bench/bench_oversell_window.py``). Re-reading the
whole catalog cannot help, as the read alone is longer than the 90 s target.

So, while a push is in flight, every ``ZERO_WATCH_SECONDS`` since IP was last read the
engine reads only the variants IP has at zero (``in_stock=0``, the most recently changed
first, at most ``ZERO_WATCH_MAX`` of them: a few pages), computes their ATS with the
cycle's rules, and sends each SKU whose ATS is now 0 but whose Centra figure will not be
(queued in this push with more, sent earlier with more, or left at more by an earlier
cycle) in the next batch, before everything still queued. A queued line changes to 0 in
place; otherwise a new zero-lane line joins the push. A watch also runs once after the
last batch, so a SKU that sold out during the push's last seconds is not left for the
next cycle.

The watch only ever lowers Centra to zero, so it fails towards selling less: a failed
read sends nothing from it (the push goes on as planned); a watch that would zero more
than the guard's share of the SKUs with stock sends nothing and stops (a wiped IP
warehouse is the guard's business, at the next cycle).

UNCONFIRMED: IP's ``in_stock=0`` filter (the ``<field>=value`` exact match is observed
for ``sku``) and ``updated_at_sort`` (``<field>_sort`` is observed for other fields);
the top-level ``in_stock`` being the sum over warehouses, so a SKU at zero in one of
several IP warehouses waits for the next cycle. See docs/stock-engine.md "Zero watch".
"""

import logging
from itertools import islice

from django.utils import timezone

from centra_ip.bulk import bulk_insert
from syncs.connectors.base import ConnectorError
from syncs.models import StockPushLine

logger = logging.getLogger(__name__)

ZERO_WATCH_SECONDS = 30.0
ZERO_WATCH_MAX = 5000  # variants per watch: 5 pages of 1,000
ZERO_FILTER = {"in_stock": 0}
NEWEST_FIRST = {"updated_at": "desc"}


class ZeroWatch:
    """Between a push's batches: the SKUs gone to zero in IP since it was last read.

    ``read`` reads the zero variants, ``compute`` turns them into fresh positions (the
    cycle's rules and catalog), ``store`` saves the positions' new inputs. ``previous`` is
    what was known before the cycle; ``lines`` the push's lines (the watch appends its own
    to it, so the cycle's counts, read-back and read-to-write figures include them)."""

    def __init__(
        self, *, read, compute, store, clock, push, lines, previous, settings, read_started
    ):
        self.read, self.compute, self.store = read, compute, store
        self.clock, self.push, self.lines = clock, push, lines
        self.previous = previous
        self.last_read = read_started  # on ``clock``: the cycle's own read
        self.read_started: dict[int, object] = {}  # new or changed line pk -> its read's start
        self.reads = self.failed = 0
        self.stopped = False
        self._by_key: dict | None = None
        had_stock = sum((known.last_pushed or 0) > 0 for known in previous.values())
        self.zero_cap = (
            int(had_stock * settings.guard_zero_share)
            if had_stock >= settings.guard_min_skus
            else None
        )

    def due(self, *, last_batch: bool = False) -> bool:
        """Every ``ZERO_WATCH_SECONDS`` since IP was last read; and after the last batch
        of a push long enough to have been watched, so its last seconds are covered too."""
        if self.stopped:
            return False
        since = self.clock.monotonic() - self.last_read
        return since >= ZERO_WATCH_SECONDS or (last_batch and self.reads > 0 and since >= 1.0)

    def lines_to_zero(self) -> list[StockPushLine]:
        """The lines to send before those still queued: queued ones (still planned) set to
        0 in place, and new ones."""
        self.last_read = self.clock.monotonic()
        read_started = timezone.now()
        self.reads += 1
        try:
            zero_first = self.read(filters=ZERO_FILTER, sort=NEWEST_FIRST)
            variants = list(islice(zero_first, ZERO_WATCH_MAX))
        except ConnectorError as error:
            self.failed += 1
            logger.warning("zero watch read failed, the push goes on as planned: %s", error)
            return []
        fresh = self.compute(variants)  # unreadable ones are left to the next cycle
        zero = {key: item for key, item in fresh.items() if item.ats == 0}
        by_key = self.lines_by_key()
        changed, added = [], []
        for key, item in zero.items():
            line = by_key.get(key)
            if line is not None and line.status == StockPushLine.Status.PLANNED:  # queued
                if line.quantity > 0:
                    changed.append(line)
                continue
            shown = self.shown(key, line)
            if shown:
                added.append(self.line_new(key, item, shown, len(self.lines) + len(added) + 1))
        if self.zero_cap is not None and len(changed) + len(added) > self.zero_cap:
            self.stopped = True
            logger.warning(
                "zero watch stopped: %s SKUs at zero in IP, more than the guard allows",
                len(changed) + len(added),
            )
            return []
        self.store({key: zero[key] for key in zero})
        for line in changed:
            line.why = f"IP stock reached 0 during the push (planned {line.quantity})"[:200]
            line.quantity, line.lane = 0, StockPushLine.Lane.ZERO
            line.save(update_fields=["quantity", "lane", "why"])
        if added:
            bulk_insert(StockPushLine, added)
            self.lines.extend(added)
            by_key.update(((line.sku, line.centra_warehouse_id), line) for line in added)
        for line in changed + added:
            self.read_started[line.pk] = read_started
        return changed + added

    def lines_by_key(self) -> dict[tuple[str, int], StockPushLine]:
        """The push's latest line per (SKU, warehouse), built at the first watch only."""
        if self._by_key is None:
            self._by_key = {(line.sku, line.centra_warehouse_id): line for line in self.lines}
        return self._by_key

    def counts(self) -> dict:
        """For the run's counts; nothing when the push was too short to be watched."""
        if not self.reads:
            return {}
        return {
            "zero_watch_reads": self.reads,
            "zero_watch_lines": len(self.read_started),
            "zero_watch_failed": self.failed,
            "zero_watch_stopped": self.stopped,
        }

    def shown(self, key, line) -> int | None:
        """What Centra holds for a SKU not queued: this push's accepted line, or what was
        last pushed before it."""
        if line is not None and line.status != StockPushLine.Status.REJECTED:
            return line.quantity
        known = self.previous.get(key)
        return known.last_pushed if known else None

    def line_new(self, key, item, shown: int, position: int) -> StockPushLine:
        known = self.previous.get(key)
        return StockPushLine(
            push=self.push,
            sku=key[0],
            centra_warehouse_id=key[1],
            product_size_id=item.product_size_id,
            quantity=0,
            previous_pushed=shown,
            centra_before=known.centra_physical if known else None,
            lane=StockPushLine.Lane.ZERO,
            why="IP stock reached 0 during the push",
            position=position,
        )
