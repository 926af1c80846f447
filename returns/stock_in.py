"""The stock-in state machine: QC-passed units registered with the inventory side and read back.

A stock-in is claimed before it runs (compare-and-set on ``running_since``, renewed by a
heartbeat) and remembers the next step to take, so a double-delivered task, a double retry
or a crash resumes at the step that did not finish and never registers the units twice.
Passed units leave "in QC" only in the transaction that records the confirmation.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exceptions.registry import RetryResult
from exceptions.services import ticket_clear, ticket_raise
from returns import sinks
from returns.config import returns_config
from returns.models import ReturnEvent, StockIn, StockInAttempt
from returns.timeline import IN_QC, SOURCE, return_event_add, return_state_refresh
from syncs.clients import inventory_planner_client
from syncs.connectors.base import ConnectorError
from syncs.runner import Heartbeat, worker_name
from syncs.stock.ledger import stock_status_move

# A stock-in's claim (``running_since``) is renewed every CLAIM_RENEW while its worker runs
# it; one not renewed for CLAIM_EXPIRES belongs to a dead worker and may be taken over. It
# outlasts the IP client's 60 s timeout plus one renewal, so a create that a dead worker
# sent can no longer land when the next runner looks the reference up and creates.
CLAIM_RENEW = timedelta(seconds=10)
CLAIM_EXPIRES = timedelta(seconds=90)


def stock_in_enqueue(*, stock_in_id: int) -> None:
    from django_q.tasks import async_task

    async_task("returns.tasks.stock_in", stock_in_id)


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
        return_event_add(
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
        return_event_add(
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


def stock_ins_not_yet_due():
    """Unconfirmed stock-ins the engine may not take over yet: claimed within CLAIM_EXPIRES
    (a worker at it, or a dead worker's claim not expired), or pending and younger than
    that (its task may still come). What waits on them waits at most CLAIM_EXPIRES."""
    stale = timezone.now() - CLAIM_EXPIRES
    return StockIn.objects.exclude(state=StockIn.State.CONFIRMED).filter(
        Q(running_since__gte=stale) | Q(state=StockIn.State.PENDING, created_at__gte=stale)
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
