"""The desk's steps: receive a return, QC its lines (the stock-in then runs on its own).

Intake of Centra returns is ``returns/intake.py``; the stock-in state machine is
``returns/stock_in.py``; the timeline and state both share is ``returns/timeline.py``.

Units move through the stock-status ledger (``syncs.stock.services.stock_status_move``), which
the ATS engine subtracts from on-hand: received units go *into* "in QC" (not sellable), failed
units move on to "damaged" or "quarantined", and passed units leave "in QC" only in the
transaction that records the stock-in's confirmation. So returned units become sellable
exactly when the inventory side has confirmed them, never before.

Every step is safe to run twice: receipt and QC act once per line (the line's own fields say
whether the step happened), and a stock-in is claimed before it runs and remembers the next
step to take, so a double-delivered task, a double retry or a double click never registers
the units twice.
"""

from django.db import transaction
from django.utils import timezone

from centra_ip.limits import UNITS_MAX
from centra_ip.permissions import CHANGE_CONFIGURATION
from centra_ip.teams import actor_name
from exceptions.services import ticket_clear
from returns.config import returns_config
from returns.models import ExpectedReturn, QcFailStatus, ReturnEvent, ReturnLine, StockIn
from returns.stock_in import stock_in_enqueue, stock_in_run
from returns.timeline import IN_QC, SOURCE, return_event_add, return_state_refresh
from syncs.models import OrderLine, SalesFeedRow
from syncs.stock.services import LedgerError, stock_status_move


class ReturnsError(ValueError):
    """A step that cannot be done as asked (shown to the person who asked); ``line_id`` names
    the return line it is about, when it is one line's."""

    def __init__(self, message: str, *, line_id: int | None = None):
        super().__init__(message)
        self.line_id = line_id


def _locked_line(line_id: int) -> ReturnLine:
    return ReturnLine.objects.select_for_update().select_related("expected_return").get(pk=line_id)


def _acted(key: str | None) -> bool:
    return bool(key) and ReturnEvent.objects.filter(idempotency_key=key).exists()


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
        return_event_add(
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


def return_receive(*, ret: ExpectedReturn, receipts: dict, actor, key: str = "") -> int:
    """Receive the lines of one return as the desk typed them (``receipts``: line id to
    ``returns.forms.LineReceipt``), the whole return or nothing; returns how many lines were
    received now (lines already received count 0: a double submit acts once).

    An error is raised as a ``ReturnsError`` naming the line it is about (a missing stock
    status too, which is the ledger's ``LedgerError``), after everything is rolled back.
    """
    received = 0
    with transaction.atomic():
        for line in ret.lines.filter(received_quantity__isnull=True, state="expected"):
            receipt = receipts.get(line.pk)
            if receipt is None:
                continue
            try:
                received += return_line_receive(
                    line=line,
                    quantity=receipt.quantity,
                    note=receipt.note,
                    actor=actor,
                    key=f"{key}:r{line.pk}" if key else None,
                    override=receipt.override,
                )
            except (ReturnsError, LedgerError) as error:
                raise ReturnsError(str(error), line_id=line.pk) from error
    return received


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
        return_event_add(ret, ReturnEvent.Kind.QC, line=line, actor=actor, key=key, note=note)
        return_state_refresh(ret=ret)
        if stock_in is not None and not config.stock_in_inline:
            stock_in_id = stock_in.pk
            transaction.on_commit(lambda: stock_in_enqueue(stock_in_id=stock_in_id))
    if stock_in is not None and config.stock_in_inline:
        stock_in = stock_in_run(stock_in_id=stock_in.pk, trigger="qc")
    return stock_in
