"""Retrying a rejected SKU: a ``stock_push_rejected`` ticket is retried by re-deriving that
SKU's ATS from IP *now* and pushing it alone, never by replaying the quantity stored when
it failed. Declared on the type (``retry=`` in ``exceptions.registry``).
"""

from exceptions.registry import RetryResult
from syncs.clients import centra_client, inventory_planner_client
from syncs.models import StockPush, StockPushLine
from syncs.stock import push, reads, store
from syncs.stock.config import warehouse_map_load
from syncs.stock.plan import positions_compute
from syncs.stock.rules import rulebook_load


def stock_sku_push(*, sku: str) -> push.PushOutcome:
    """Recompute one SKU from IP's current figures and push it to every mapped warehouse."""
    book = rulebook_load()
    with inventory_planner_client() as ip, centra_client() as centra:
        variants = list(ip.iter_variants(fields=reads.IP_FIELDS, filters={"sku": sku}))
        variants = [v for v in variants if v.sku == sku]
        catalog = reads.catalog_load(warehouse_map_load())
        fresh, unreadable = positions_compute(variants=variants, book=book, catalog=catalog)
        if unreadable:
            raise ValueError(
                f"{sku}: its stock in IP cannot be read ({next(iter(unreadable.values()))})"
            )
        if not fresh:
            raise ValueError(f"{sku} is not a mapped IP SKU any more")
        previous = reads.positions_known(sku=sku)
        store.positions_store(fresh, previous)
        lines = []
        for index, (key, item) in enumerate(sorted(fresh.items()), start=1):
            before = previous.get(key)
            lines.append(
                StockPushLine(
                    sku=sku,
                    centra_warehouse_id=key[1],
                    product_size_id=item.product_size_id,
                    quantity=item.ats,
                    previous_pushed=before.last_pushed if before else None,
                    centra_before=before.centra_physical if before else None,
                    lane=StockPushLine.Lane.REST,
                    why="retry from ticket",
                    position=index,
                )
            )
        stock_push = store.push_store(
            run=None, status=StockPush.Status.SENT, lines=lines, reasons=[], counts={}
        )
        return push.push_send(push=stock_push, lines=lines, centra=centra, batch_size=len(lines))


def retry_push_rejected(ticket) -> RetryResult:
    outcome = stock_sku_push(sku=ticket.sku)
    if outcome.rejected:
        return RetryResult(ok=False, message=f"Centra rejected {ticket.sku} again")
    return RetryResult(ok=True, message=f"{ticket.sku} recomputed and pushed")
