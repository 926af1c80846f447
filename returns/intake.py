"""Centra returns into expected returns: the returns stream's ledger writes and checks.

Each run stores the returns Centra created within its horizon, idempotently by Centra's ids,
keeps Centra's refund figures for reconciliation, maps lines parked on an unmapped SKU, and
lists the returns overdue. A line parked here is also mapped at once when the SKU gets its
mapping (``return_lines_redrive``, one of the catalog's "mapping created" hooks).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from exceptions.services import Condition, tickets_clear_many, tickets_raise_many
from returns.config import returns_config
from returns.models import ExpectedReturn, ReturnEvent, ReturnLine
from returns.timeline import SOURCE, return_event_add, return_state_refresh
from syncs.models import OrderLine, SkuMapping
from syncs.orders.services import SkuIndex


@dataclass
class StoreCounts:
    returns_new: int = 0
    lines_new: int = 0
    lines_parked: int = 0
    lines_mapped: int = 0
    completed_in_centra: int = 0
    parked: list[Condition] = field(default_factory=list)
    mapped: list[Condition] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "returns_new": self.returns_new,
            "lines_new": self.lines_new,
            "lines_parked": self.lines_parked,
            "lines_mapped": self.lines_mapped,
            "completed_in_centra": self.completed_in_centra,
        }


def _parked_condition(ret: ExpectedReturn, line: ReturnLine) -> Condition:
    return Condition(
        type_code="sku_missing_in_ip",
        sku=line.centra_sku,
        return_id=str(ret.centra_id),
        order_number=ret.order_number,
        context={"return_line_id": line.centra_line_id, "parked": True},
        summary=f"Return {ret.centra_id}: line with Centra SKU {line.centra_sku!r} is parked, "
        "no Inventory Planner variant is mapped",
    )


def _settled_returns(centra_ids: list[int]) -> dict[int, str]:
    """Known returns with every line mapped, and the Centra status noted for each (one query
    per thousand returns), so a run re-reading its window skips what has not changed."""
    settled: dict[int, str] = {}
    for start in range(0, len(centra_ids), 1000):
        rows = (
            ExpectedReturn.objects.filter(centra_id__in=centra_ids[start : start + 1000])
            .exclude(lines__ip_sku="")
            .exclude(centra_grand_total__isnull=True)  # Centra's refund figures not read yet
            .values_list("centra_id", "centra_status", "centra_completed_at")
        )
        for centra_id, status, completed_at in rows:
            settled[centra_id] = "COMPLETED" if completed_at else status
    return settled


def returns_store(*, returns, skus: SkuIndex, ip_warehouse: str) -> StoreCounts:
    """Store Centra returns (typed ``Return`` results), idempotently by Centra's ids.

    A line whose SKU is not mapped is stored parked (with a ticket condition in the counts)
    and mapped on a later run; Centra's completion is noted once, on the timeline.
    """
    counts = StoreCounts()
    now = timezone.now()
    returns = list(returns)
    settled = _settled_returns([r.id for r in returns])
    for centra in returns:
        if settled.get(centra.id) == centra.status:
            continue  # known, nothing parked, Centra's status already noted: nothing to do
        with transaction.atomic():
            ret, created = ExpectedReturn.objects.select_for_update().get_or_create(
                centra_id=centra.id,
                defaults={
                    "centra_status": centra.status,
                    "centra_created_at": centra.created_at,
                    "order_number": str(centra.order_number),
                    "centra_order_id": centra.order_id,
                    "shipment_id": centra.shipment_id,
                    "centra_returned_to_stock": centra.returned_to_stock,
                    "centra_comment": centra.comment[:500],
                    "ip_warehouse": ip_warehouse,
                    "first_seen_at": now,
                    "state_changed_at": now,
                },
            )
            if created:
                counts.returns_new += 1
                return_event_add(
                    ret,
                    ReturnEvent.Kind.CENTRA_CREATED,
                    actor_label="Centra",
                    at=centra.created_at,
                    note=f"order {centra.order_number}",
                )
            _refund_figures_note(ret, centra)
            known = set(ret.lines.values_list("centra_line_id", flat=True))
            for centra_line in centra.lines:
                if centra_line.id in known:
                    continue
                mapped = skus.find(None, centra_line.sku)
                line = ReturnLine.objects.create(
                    expected_return=ret,
                    centra_line_id=centra_line.id,
                    centra_order_line_id=centra_line.order_line_id,
                    centra_sku=centra_line.sku,
                    ip_sku=mapped.sku if mapped else "",
                    ip_variant_id=mapped.ip_variant_id if mapped else "",
                    quantity=centra_line.quantity,
                    centra_line_value=centra_line.line_value,
                    reason=centra.comment[:200],  # Centra keeps one comment per return
                )
                counts.lines_new += 1
                if mapped is None:
                    counts.lines_parked += 1
                    counts.parked.append(_parked_condition(ret, line))
                    return_event_add(
                        ret,
                        ReturnEvent.Kind.PARKED,
                        line=line,
                        actor_label=SOURCE,
                        note=f"Centra SKU {line.centra_sku} has no IP variant mapped",
                    )
            _parked_lines_map(ret, ret.lines.filter(ip_sku=""), skus, counts)
            order_lines_refunds_note(
                ret.lines.filter(centra_line_value__isnull=False).values_list(
                    "centra_order_line_id", flat=True
                )
            )
            if centra.status == "COMPLETED" and ret.centra_completed_at is None:
                ret.centra_status, ret.centra_completed_at = centra.status, now
                ret.save(update_fields=["centra_status", "centra_completed_at"])
                counts.completed_in_centra += 1
                return_event_add(ret, ReturnEvent.Kind.CENTRA_COMPLETED, actor_label="Centra")
            return_state_refresh(ret=ret)
    return counts


def _parked_lines_map(ret: ExpectedReturn, lines, skus: SkuIndex, counts: StoreCounts) -> None:
    """Map the return's parked lines that ``skus`` knows now (a condition each in
    ``counts.mapped``, to clear its ticket); the rest stay parked (in ``counts.parked``)."""
    for line in lines:
        mapped = skus.find(None, line.centra_sku)
        if mapped is None:
            counts.parked.append(_parked_condition(ret, line))
            continue
        line.ip_sku, line.ip_variant_id = mapped.sku, mapped.ip_variant_id
        line.save(update_fields=["ip_sku", "ip_variant_id"])
        counts.lines_mapped += 1
        counts.mapped.append(_parked_condition(ret, line))
        return_event_add(
            ret,
            ReturnEvent.Kind.MAPPED,
            line=line,
            actor_label=SOURCE,
            note=f"mapped to IP SKU {mapped.sku}",
        )


def return_lines_redrive(*, mappings: Iterable[SkuMapping]) -> int:
    """Map the return lines parked on these new mappings at once; returns how many.

    One of the catalog's "mapping created" hooks (``syncs/catalog/hooks.py``), called inside
    the transaction that creates the mappings, so a mapped SKU unblocks its returns at the
    desk without waiting for the next returns run, and their tickets clear with it.
    """
    if not ReturnLine.objects.filter(ip_sku="").exists():
        return 0  # the usual case, and a catalog run may bring 100,000s of new mappings
    skus = SkuIndex(mappings)
    parked = ReturnLine.objects.filter(ip_sku="", centra_sku__in=list(skus.by_sku))
    counts = StoreCounts()
    with transaction.atomic():
        returns = ExpectedReturn.objects.select_for_update().filter(
            pk__in=parked.values("expected_return_id")
        )
        for ret in returns.order_by("pk"):
            _parked_lines_map(ret, parked.filter(expected_return=ret), skus, counts)
            return_state_refresh(ret=ret)
        tickets_clear_many(counts.mapped, source=SOURCE, note="The SKU is mapped now.")
    return counts.lines_mapped


def _refund_figures_note(ret: ExpectedReturn, centra) -> None:
    """Keep Centra's booked figures of the return (reconciliation's refunds), once read.

    Figures already read are kept when a later read sends none (a field Centra stopped
    sending must not erase what finance reconciled against)."""
    if centra.grand_total is not None and (
        ret.centra_grand_total != centra.grand_total
        or ret.centra_currency != centra.currency
        or ret.centra_currency_base_rate != centra.currency_base_rate
    ):
        ret.centra_grand_total = centra.grand_total
        ret.centra_currency = centra.currency
        ret.centra_currency_base_rate = centra.currency_base_rate
        ret.centra_figures_at = timezone.now()
        ret.save(
            update_fields=[
                "centra_grand_total",
                "centra_currency",
                "centra_currency_base_rate",
                "centra_figures_at",
            ]
        )
    values = {line.id: line.line_value for line in centra.lines if line.line_value is not None}
    if values:
        noted = False
        for line in ret.lines.filter(centra_line_id__in=list(values), centra_line_value=None):
            line.centra_line_value = values[line.centra_line_id]
            line.save(update_fields=["centra_line_value"])
            noted = True
        if noted:
            ret.centra_figures_at = timezone.now()
            ret.save(update_fields=["centra_figures_at"])


def order_lines_refunds_note(order_line_ids) -> None:
    """Copy Centra's figures of the returned units onto their order lines (what
    reconciliation reads): per order line, the units its read return lines cover and
    their ``lineValue`` sum."""
    ids = set(order_line_ids)
    if not ids:
        return
    known = (
        ReturnLine.objects.filter(centra_order_line_id__in=ids, centra_line_value__isnull=False)
        .order_by()
        .values("centra_order_line_id")
        .annotate(units=Sum("quantity"), value=Sum("centra_line_value"))
    )
    figures = {row["centra_order_line_id"]: (row["units"], row["value"]) for row in known}
    lines = list(OrderLine.objects.filter(centra_line_id__in=ids))
    changed = []
    for line in lines:
        units, value = figures.get(line.centra_line_id, (0, Decimal(0)))
        if (line.refunded_units, line.refunded_value) != (units, value):
            line.refunded_units, line.refunded_value = units, value
            changed.append(line)
    OrderLine.objects.bulk_update(changed, ["refunded_units", "refunded_value"], batch_size=1000)


def returns_overdue_check(*, now=None) -> list[Condition]:
    """Conditions for returns expected longer than the configured days with nothing received
    (the receipt itself clears the ticket, see ``return_line_receive``)."""
    config = returns_config()
    cutoff = (now or timezone.now()) - config.overdue_after
    overdue = ExpectedReturn.objects.filter(received_at__isnull=True, centra_created_at__lt=cutoff)
    return [
        Condition(
            type_code="return_overdue",
            return_id=str(ret.centra_id),
            order_number=ret.order_number,
            context={"created_in_centra": ret.centra_created_at.isoformat()},
            summary=f"Return {ret.centra_id} (order {ret.order_number}) not received after "
            f"{config.overdue_after.days} days",
        )
        for ret in overdue.only("centra_id", "order_number", "centra_created_at")
    ]


def returns_raise_many(conditions: list[Condition]) -> None:
    if conditions:
        tickets_raise_many(conditions, source=SOURCE)
