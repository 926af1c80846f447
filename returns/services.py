"""The returns flow's steps: store Centra returns, receive, QC, stock in, confirm.

Units move through the stock-status ledger (``syncs.stock.ledger.stock_status_move``), which
the ATS engine subtracts from on-hand: received units go *into* "in QC" (not sellable), failed
units move on to "damaged" or "quarantined", and passed units leave "in QC" only in the
transaction that records the stock-in's confirmation. So returned units become sellable
exactly when the inventory side has confirmed them, never before.

Every step is safe to run twice: receipt and QC act once per line (the line's own fields say
whether the step happened), and a stock-in is claimed before it runs and remembers the next
step to take, so a double-delivered task, a double retry or a double click never registers
the units twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from centra_ip.limits import UNITS_MAX
from centra_ip.permissions import CHANGE_CONFIGURATION
from centra_ip.teams import actor_name
from exceptions.registry import RetryResult
from exceptions.services import Condition, ticket_clear, ticket_raise, tickets_raise_many
from returns import sinks
from returns.config import returns_config
from returns.models import (
    ExpectedReturn,
    LineState,
    QcFailStatus,
    ReturnEvent,
    ReturnLine,
    ReturnState,
    StockIn,
    StockInAttempt,
)
from syncs.catalog.selectors import SkuIndex
from syncs.clients import inventory_planner_client
from syncs.connectors.base import ConnectorError
from syncs.models import OrderLine, SalesFeedRow
from syncs.runner import Heartbeat, worker_name
from syncs.stock.ledger import stock_status_move

logger = logging.getLogger(__name__)

IN_QC = "in_qc"
SOURCE = "returns flow"
# A stock-in's claim (``running_since``) is renewed every CLAIM_RENEW while its worker runs
# it; one not renewed for CLAIM_EXPIRES belongs to a dead worker and may be taken over. It
# outlasts the IP client's 60 s timeout plus one renewal, so a create that a dead worker
# sent can no longer land when the next runner looks the reference up and creates.
CLAIM_RENEW = timedelta(seconds=10)
CLAIM_EXPIRES = timedelta(seconds=90)


class ReturnsError(ValueError):
    """A step that cannot be done as asked (shown to the person who asked)."""


# -- shared helpers ---------------------------------------------------------------------------
def _event(ret, kind, *, line=None, actor=None, actor_label="", note="", key=None, at=None):
    return ReturnEvent.objects.create(
        expected_return=ret,
        line=line,
        kind=kind,
        at=at or timezone.now(),
        actor=actor,
        actor_name=actor_label or actor_name(actor),
        note=note[:500],
        idempotency_key=key or None,
    )


def return_state_refresh(*, ret: ExpectedReturn) -> str:
    """Store each line's state and the return's; call inside the step's transaction."""
    lines = list(ret.lines.all())
    stock_ins = {s.line_id: s for s in StockIn.objects.filter(line__expected_return=ret)}
    for line in lines:
        state = line.state_compute(stock_ins.get(line.pk))
        if state != line.state:
            line.state = state
            line.save(update_fields=["state"])
    states = {line.state for line in lines}
    if states & {LineState.FAILED, LineState.PARKED}:
        new = ReturnState.EXCEPTION
    elif states == {LineState.COMPLETE}:
        new = ReturnState.COMPLETE
    elif states == {LineState.EXPECTED}:
        new = ReturnState.EXPECTED
    elif LineState.EXPECTED in states or all(line.qc_at is None for line in lines):
        new = ReturnState.RECEIVED
    elif LineState.IN_QC in states:
        new = ReturnState.IN_QC
    else:
        new = ReturnState.STOCKING_IN
    if new != ret.state:
        now = timezone.now()
        ret.state, ret.state_changed_at = new, now
        fields = ["state", "state_changed_at"]
        if new == ReturnState.COMPLETE:
            ret.completed_at = now
            fields.append("completed_at")
            _event(ret, ReturnEvent.Kind.COMPLETE, actor_label=SOURCE, at=now)
        ret.save(update_fields=fields)
    return new


def _locked_line(line_id: int) -> ReturnLine:
    return ReturnLine.objects.select_for_update().select_related("expected_return").get(pk=line_id)


def _acted(key: str | None) -> bool:
    return bool(key) and ReturnEvent.objects.filter(idempotency_key=key).exists()


# -- the stream: Centra returns into expected returns -----------------------------------------
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
                _event(
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
                    _event(
                        ret,
                        ReturnEvent.Kind.PARKED,
                        line=line,
                        actor_label=SOURCE,
                        note=f"Centra SKU {line.centra_sku} has no IP variant mapped",
                    )
            for line in ret.lines.filter(ip_sku=""):
                mapped = skus.find(None, line.centra_sku)
                if mapped is None:
                    counts.parked.append(_parked_condition(ret, line))
                    continue
                line.ip_sku, line.ip_variant_id = mapped.sku, mapped.ip_variant_id
                line.save(update_fields=["ip_sku", "ip_variant_id"])
                counts.lines_mapped += 1
                counts.mapped.append(_parked_condition(ret, line))
                _event(
                    ret,
                    ReturnEvent.Kind.MAPPED,
                    line=line,
                    actor_label=SOURCE,
                    note=f"mapped to IP SKU {mapped.sku}",
                )
            order_lines_refunds_note(
                ret.lines.filter(centra_line_value__isnull=False).values_list(
                    "centra_order_line_id", flat=True
                )
            )
            if centra.status == "COMPLETED" and ret.centra_completed_at is None:
                ret.centra_status, ret.centra_completed_at = centra.status, now
                ret.save(update_fields=["centra_status", "centra_completed_at"])
                counts.completed_in_centra += 1
                _event(ret, ReturnEvent.Kind.CENTRA_COMPLETED, actor_label="Centra")
            return_state_refresh(ret=ret)
    return counts


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


# -- step one: receipt ------------------------------------------------------------------------
def _over_receipt_check(line: ReturnLine, quantity: int, actor, override: bool) -> None:
    if not override:
        raise ReturnsError(
            f"Expected {line.quantity} of {line.ip_sku}, received {quantity}: more than "
            "expected needs an admin's override."
        )
    if actor is None or not actor.has_perm(CHANGE_CONFIGURATION):
        raise ReturnsError("Only an admin can accept more units than the return expects.")


def return_line_receive(
    *,
    line: ReturnLine,
    quantity: int,
    note: str = "",
    actor=None,
    key: str | None = None,
    override: bool = False,
) -> bool:
    """Record the physical receipt of one line; the units go into "in QC".

    Fewer units than expected need a note saying why. More need an admin's explicit
    ``override`` as well (recorded on the line and in the timeline): received units flow on
    to IP and the storefront, and a scanned EAN typed into the quantity would otherwise
    become stock. Acts once: a second submit for a line already received changes nothing and
    returns False.
    """
    if quantity < 0:
        raise ReturnsError("A received quantity cannot be negative.")
    if quantity > UNITS_MAX:
        raise ReturnsError(f"A received quantity is at most {UNITS_MAX:,}.")
    with transaction.atomic():
        line = _locked_line(line.pk)
        ret = line.expected_return
        if _acted(key) or line.received_quantity is not None:
            return False
        if line.parked:
            raise ReturnsError(
                f"SKU {line.centra_sku} is not mapped to Inventory Planner yet: map it first."
            )
        if quantity != line.quantity and not note.strip():
            raise ReturnsError(
                f"Expected {line.quantity}, received {quantity}: add a note saying why."
            )
        over = quantity > line.quantity
        if over:
            _over_receipt_check(line, quantity, actor, override)
        now = timezone.now()
        line.received_quantity, line.receipt_note = quantity, note.strip()[:300]
        line.received_at, line.received_by = now, actor_name(actor)
        line.receipt_override_by = actor_name(actor) if over else ""
        line.save(
            update_fields=[
                "received_quantity",
                "receipt_note",
                "received_at",
                "received_by",
                "receipt_override_by",
            ]
        )
        if quantity:
            stock_status_move(
                sku=line.ip_sku,
                ip_warehouse=ret.ip_warehouse,
                status=IN_QC,
                delta=quantity,
                reason=f"return {ret.centra_id} line {line.centra_line_id} received",
                actor=actor,
            )
        if ret.received_at is None:
            ret.received_at = now
            ret.save(update_fields=["received_at"])
        _event(
            ret,
            ReturnEvent.Kind.RECEIVED,
            line=line,
            actor=actor,
            key=key,
            note=f"{line.ip_sku}: received {quantity} of {line.quantity}"
            + (f", more than expected accepted by {line.receipt_override_by}" if over else "")
            + (f" ({line.receipt_note})" if line.receipt_note else ""),
        )
        return_state_refresh(ret=ret)
        ticket_clear(
            type_code="return_overdue",
            source=SOURCE,
            return_id=str(ret.centra_id),
            order_number=ret.order_number,
            note="The return's receipt was recorded.",
        )
    return True


# -- step two: QC -----------------------------------------------------------------------------
def _feed_row_write(ret: ExpectedReturn, line: ReturnLine, units: int, now) -> None:
    """The returned units as a negative row of IP's sales feed (dated like the sale)."""
    sold = (
        OrderLine.objects.select_related("order")
        .filter(centra_line_id=line.centra_order_line_id)
        .first()
    )
    SalesFeedRow.objects.update_or_create(
        source=SalesFeedRow.Source.RETURN_LINE,
        source_ref=str(line.centra_line_id),
        defaults={
            "order": sold.order if sold else None,
            "order_number": ret.order_number,
            "sku": line.ip_sku,
            "product_id": line.ip_variant_id,
            "date": sold.order.order_date if sold else ret.centra_created_at,
            "quantity": -units,
            "price": sold.unit_price if sold else 0,
            "currency": sold.order.currency if sold else "",
            "cancelled": False,
            "changed_at": now,
        },
    )


def return_line_qc(
    *,
    line: ReturnLine,
    passed: int,
    failed: int = 0,
    fail_status: str = "",
    reason: str = "",
    actor=None,
    key: str | None = None,
) -> StockIn | None:
    """Record QC for one received line: pass, fail (damaged or quarantined, with a reason), or
    partial. Failed units move from "in QC" to their status; passed units get a stock-in,
    which runs after the transaction (inline or as a task). Acts once per line."""
    if not (0 <= passed <= UNITS_MAX and 0 <= failed <= UNITS_MAX):
        raise ReturnsError("QC quantities cannot be negative or larger than what was received.")
    with transaction.atomic():
        line = _locked_line(line.pk)
        ret = line.expected_return
        if _acted(key) or line.qc_at is not None:
            return None
        if line.received_quantity is None:
            raise ReturnsError("Record the receipt before QC.")
        if passed + failed != line.received_quantity:
            raise ReturnsError(
                f"Passed and failed must add up to the {line.received_quantity} received."
            )
        if failed and fail_status not in QcFailStatus.values:
            raise ReturnsError("Say whether the failed units are damaged or quarantined.")
        if failed and not reason.strip():
            raise ReturnsError("Give a reason for the failed units.")
        config = returns_config()
        now = timezone.now()
        line.qc_passed, line.qc_failed = passed, failed
        line.qc_fail_status = fail_status if failed else ""
        line.qc_reason, line.qc_at, line.qc_by = reason.strip()[:300], now, actor_name(actor)
        line.save(
            update_fields=[
                "qc_passed",
                "qc_failed",
                "qc_fail_status",
                "qc_reason",
                "qc_at",
                "qc_by",
            ]
        )
        if failed:
            why = f"return {ret.centra_id} line {line.centra_line_id} failed QC: {line.qc_reason}"
            stock_status_move(
                sku=line.ip_sku,
                ip_warehouse=ret.ip_warehouse,
                status=IN_QC,
                delta=-failed,
                reason=why,
                actor=actor,
            )
            stock_status_move(
                sku=line.ip_sku,
                ip_warehouse=ret.ip_warehouse,
                status=fail_status,
                delta=failed,
                reason=why,
                actor=actor,
            )
        if passed + failed:
            _feed_row_write(ret, line, passed + failed, now)
        stock_in = None
        if passed:
            webhook = config.sink == StockIn.Sink.WEBHOOK
            stock_in = StockIn.objects.create(
                line=line,
                sink=config.sink,
                confirm_mode=config.confirm,
                idempotency_key=f"RET-{ret.centra_id}-{line.centra_line_id}",
                sku=line.ip_sku,
                ip_variant_id=line.ip_variant_id,
                ip_warehouse=ret.ip_warehouse,
                quantity=passed,
                step=StockIn.Step.POST if webhook else StockIn.Step.CREATE,
                created_at=now,
            )
        note = f"{line.ip_sku}: {passed} passed"
        if failed:
            note += f", {failed} {fail_status} ({line.qc_reason})"
        _event(ret, ReturnEvent.Kind.QC, line=line, actor=actor, key=key, note=note)
        return_state_refresh(ret=ret)
        if stock_in is not None and not config.stock_in_inline:
            stock_in_id = stock_in.pk
            transaction.on_commit(lambda: stock_in_enqueue(stock_in_id=stock_in_id))
    if stock_in is not None and config.stock_in_inline:
        stock_in = stock_in_run(stock_in_id=stock_in.pk, trigger="qc")
    return stock_in


def stock_in_enqueue(*, stock_in_id: int) -> None:
    from django_q.tasks import async_task

    async_task("returns.tasks.stock_in", stock_in_id)


# -- the stock-in -----------------------------------------------------------------------------
def _order(stock_in: StockIn) -> sinks.StockInOrder:
    ret = stock_in.line.expected_return
    return sinks.StockInOrder(
        key=stock_in.idempotency_key,
        sku=stock_in.sku,
        variant_id=stock_in.ip_variant_id,
        warehouse=stock_in.ip_warehouse,
        quantity=stock_in.quantity,
        return_id=ret.centra_id,
        order_number=ret.order_number,
    )


def _claim(stock_in_id: int) -> bool:
    """Compare-and-set: only one runner per stock-in at a time (a claim not renewed for
    CLAIM_EXPIRES is a dead worker's and expires)."""
    now = timezone.now()
    return (
        StockIn.objects.filter(pk=stock_in_id)
        .exclude(state=StockIn.State.CONFIRMED)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - CLAIM_EXPIRES))
        .update(running_since=now, running_on=worker_name())
        == 1
    )


def _attempt(stock_in: StockIn, step: str, trigger: str, ok: bool, detail: str = "") -> None:
    StockInAttempt.objects.create(
        stock_in=stock_in,
        step=step,
        trigger=trigger,
        ok=ok,
        detail=detail[:500],
        at=timezone.now(),
    )


def _save(stock_in: StockIn, *fields: str) -> None:
    stock_in.save(update_fields=list(fields))


def _step_run(stock_in: StockIn, order: sinks.StockInOrder, clients: dict) -> bool:
    """Run the stock-in's next step; True when it moved on (False: still unconfirmed)."""
    step = stock_in.step
    config = returns_config()

    def ip():
        if "ip" not in clients:
            clients["ip"] = inventory_planner_client()
        return clients["ip"]

    def wms():
        return sinks.WmsWebhook(
            config.webhook_url, config.webhook_secret, timeout=config.webhook_timeout
        )

    if step == StockIn.Step.CREATE:
        stock_in.po_id = sinks.ip_stock_order_find_or_create(ip(), order)
        stock_in.step = StockIn.Step.RECEIVE
        _save(stock_in, "po_id", "step")
        return True
    if step in (StockIn.Step.RECEIVE, StockIn.Step.POST):
        if stock_in.confirm_mode == "on_hand" and stock_in.baseline_on_hand is None:
            stock_in.baseline_on_hand = sinks.ip_on_hand(ip(), order)
            _save(stock_in, "baseline_on_hand")
        if step == StockIn.Step.RECEIVE:
            sinks.ip_stock_order_receive(ip(), stock_in.po_id, order)
        else:
            with wms() as hook:
                hook.post(order)
        stock_in.step, stock_in.state = StockIn.Step.CONFIRM, StockIn.State.AWAITING
        stock_in.registered_at = timezone.now()
        _save(stock_in, "step", "state", "registered_at")
        return True
    if step == StockIn.Step.CONFIRM:
        if stock_in.confirm_mode == "on_hand":
            confirmed = sinks.ip_on_hand(ip(), order) >= stock_in.baseline_on_hand + order.quantity
        elif stock_in.sink == StockIn.Sink.WEBHOOK:
            with wms() as hook:
                confirmed = hook.confirmed(order)
        else:
            confirmed = sinks.ip_receipt_confirmed(ip(), stock_in.po_id, order)
        if confirmed:
            stock_in.step = StockIn.Step.DONE
        return confirmed
    return False


def _ticket_context(stock_in: StockIn) -> dict:
    line = stock_in.line
    return {
        "return_line_id": line.centra_line_id,
        "step": stock_in.step,
        "sink": stock_in.sink,
        "quantity": stock_in.quantity,
        "stock_order": stock_in.po_id,
        "idempotency_key": stock_in.idempotency_key,
        "error": stock_in.last_error,
    }


def _stock_in_failed(stock_in: StockIn, summary: str) -> None:
    """Mark failed and raise the fulfilment ticket with the return, line and SKU."""
    ret = stock_in.line.expected_return
    with transaction.atomic():
        stock_in.state = StockIn.State.FAILED
        _save(stock_in, "state", "last_error", "attempts")
        _event(
            ret,
            ReturnEvent.Kind.STOCK_IN_FAILED,
            line=stock_in.line,
            actor_label=SOURCE,
            note=summary,
        )
        return_state_refresh(ret=ret)
        ticket_raise(
            type_code="stock_in_failed",
            source=SOURCE,
            return_id=str(ret.centra_id),
            sku=stock_in.sku,
            order_number=ret.order_number,
            context=_ticket_context(stock_in),
            summary=summary,
        )


def _stock_in_confirm(stock_in: StockIn) -> None:
    """The read-back confirmed it: the units leave "in QC" and the line is complete."""
    ret = stock_in.line.expected_return
    with transaction.atomic():
        locked = StockIn.objects.select_for_update().get(pk=stock_in.pk)
        if locked.state == StockIn.State.CONFIRMED:
            return
        stock_status_move(
            sku=stock_in.sku,
            ip_warehouse=stock_in.ip_warehouse,
            status=IN_QC,
            delta=-stock_in.quantity,
            reason=f"return {ret.centra_id} line {stock_in.line.centra_line_id} stocked in",
            actor_label=SOURCE,
        )
        stock_in.state, stock_in.step = StockIn.State.CONFIRMED, StockIn.Step.DONE
        stock_in.confirmed_at = timezone.now()
        _save(stock_in, "state", "step", "confirmed_at", "last_error", "attempts")
        where = f"stock order {stock_in.po_id}" if stock_in.po_id else stock_in.get_sink_display()
        _event(
            ret,
            ReturnEvent.Kind.CONFIRMED,
            line=stock_in.line,
            actor_label=SOURCE,
            note=f"{stock_in.quantity} x {stock_in.sku} confirmed ({where})",
        )
        return_state_refresh(ret=ret)
        ticket_clear(
            type_code="stock_in_failed",
            source=SOURCE,
            return_id=str(ret.centra_id),
            sku=stock_in.sku,
            order_number=ret.order_number,
            note="The stock-in was read back as confirmed.",
        )


def stock_in_run(*, stock_in_id: int, trigger: str) -> StockIn:
    """Run a stock-in from the step it is at until confirmed, failed or awaiting.

    Network calls happen outside transactions; each finished step is saved at once, so a
    crash or failure resumes at the step that did not finish. A stock-in already confirmed
    or being run elsewhere is left alone (a double delivery does nothing).
    """
    if not _claim(stock_in_id):
        return StockIn.objects.get(pk=stock_in_id)
    stock_in = StockIn.objects.select_related("line__expected_return").get(pk=stock_in_id)
    order = _order(stock_in)
    clients: dict = {}
    try:
        with _claim_heartbeat(stock_in_id):
            _steps_run(stock_in, order, clients, trigger)
    finally:
        for client in clients.values():
            client.close()
        StockIn.objects.filter(pk=stock_in_id).update(running_since=None, running_on="")
    stock_in.refresh_from_db()
    return stock_in


def _claim_heartbeat(stock_in_id: int):
    def renew() -> int:
        claimed = StockIn.objects.filter(pk=stock_in_id, running_since__isnull=False)
        return claimed.update(running_since=timezone.now())

    return Heartbeat(renew, every=CLAIM_RENEW.total_seconds(), name=f"stock-in {stock_in_id}")


def _steps_run(stock_in: StockIn, order: sinks.StockInOrder, clients: dict, trigger: str) -> None:
    """Each step in turn until done, failed or awaiting the read-back."""
    while stock_in.step != StockIn.Step.DONE:
        step = stock_in.step
        try:
            moved = _step_run(stock_in, order, clients)
        except ConnectorError as error:
            stock_in.attempts += 1
            stock_in.last_error = f"{error.operation}: {error.message}"[:500]
            _attempt(stock_in, step, trigger, False, stock_in.last_error)
            _stock_in_failed(
                stock_in,
                f"Return {order.return_id}, line {stock_in.line.centra_line_id}, "
                f"SKU {order.sku}: step '{StockIn.Step(step).label}' failed: {error.message}",
            )
            break
        _attempt(stock_in, step, trigger, True, "" if moved else "not confirmed yet")
        if not moved:
            _stock_in_awaiting(stock_in)
            break
    if stock_in.step == StockIn.Step.DONE:
        stock_in.last_error = ""
        _stock_in_confirm(stock_in)


def _stock_in_awaiting(stock_in: StockIn) -> None:
    """Registered but not read back yet: fine within the SLA, a ticket after it."""
    sla = returns_config().confirm_sla
    if stock_in.registered_at and timezone.now() - stock_in.registered_at > sla:
        stock_in.last_error = f"not confirmed within {sla}"
        _stock_in_failed(
            stock_in,
            f"Return {stock_in.line.expected_return.centra_id}, line "
            f"{stock_in.line.centra_line_id}, SKU {stock_in.sku}: stock-in registered but not "
            f"confirmed within {sla}",
        )
    elif stock_in.state != StockIn.State.AWAITING:
        stock_in.state = StockIn.State.AWAITING
        _save(stock_in, "state")
        with transaction.atomic():
            return_state_refresh(ret=stock_in.line.expected_return)


def stock_ins_due() -> list[int]:
    """Stock-ins the engine should push on: never started (a lost task), or awaiting the
    read-back, or failed only at the read-back (a later read may confirm them)."""
    stale = timezone.now() - CLAIM_EXPIRES
    return list(
        StockIn.objects.filter(
            Q(state__in=[StockIn.State.PENDING, StockIn.State.AWAITING])
            | Q(state=StockIn.State.FAILED, step=StockIn.Step.CONFIRM)
        )
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=stale))
        .filter(
            Q(state__in=[StockIn.State.AWAITING, StockIn.State.FAILED]) | Q(created_at__lt=stale)
        )
        .values_list("pk", flat=True)
    )


def stock_in_retry(ticket) -> RetryResult:
    """The ticket's retry: re-run exactly the failed step of this return's stock-in(s) for
    the ticket's SKU, re-derived from current state (never from the ticket's context)."""
    if not ticket.return_id.isdigit():
        return RetryResult(ok=False, message=f"{ticket.return_id!r} is not a Centra return id.")
    stock_ins = StockIn.objects.filter(
        line__expected_return__centra_id=int(ticket.return_id), sku=ticket.sku
    )
    if not stock_ins.exists():
        return RetryResult(ok=False, message="This return has no stock-in for this SKU.")
    pending = stock_ins.exclude(state=StockIn.State.CONFIRMED)
    results = [
        stock_in_run(stock_in_id=pk, trigger="ticket retry")
        for pk in pending.values_list("pk", flat=True)
    ]
    if not results:
        return RetryResult(ok=True, message="Nothing left to stock in: already confirmed.")
    failed = [s for s in results if s.state != StockIn.State.CONFIRMED]
    if failed:
        s = failed[0]
        return RetryResult(
            ok=False,
            message=f"Stock-in {s.idempotency_key} is {s.get_state_display().lower()} at step "
            f"'{s.get_step_display()}'" + (f": {s.last_error}" if s.last_error else ""),
        )
    return RetryResult(ok=True, message=f"Stocked in and confirmed ({len(results)} line(s)).")


def returns_raise_many(conditions: list[Condition]) -> None:
    if conditions:
        tickets_raise_many(conditions, source=SOURCE)
