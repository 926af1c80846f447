"""The discrepancies: orders whose two sides differ beyond tolerance, kept as
``Discrepancy`` rows with their history and raised as finance tickets; and finance's
audited explanation of one.

A computation finds the mismatching order balances (``compute.mismatches``) and
``discrepancies_settle`` makes the rows and the tickets match: new ones raised, changed
ones updated, those that now agree cleared. An explained discrepancy stays explained while
its numbers stay the same.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from centra_ip.teams import actor_name
from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    ticket_resolve_for,
    tickets_clear_many,
    tickets_raise_many,
)
from reconciliation.compute import SKU
from reconciliation.models import Discrepancy, DiscrepancyEvent
from syncs.models import OrderLine

TICKET_TYPE = TicketType.RECONCILIATION_MISMATCH
SOURCE = "reconciliation"
# What can be wrong with an order, in the order a person should check them.
KINDS = {
    "unpublished": "Units in Centra not in the feed (line parked or unmapped)",
    "untaken": "Units in the feed that IP has not taken yet",
    "returns_unpublished": "Returned units in Centra not in the feed",
    "returns_untaken": "Returned units in the feed that IP has not taken yet",
    "value": "Units agree but the value differs (price)",
}


def balance_kinds(balance) -> list[str]:
    """What is wrong with one order's balance, most basic first."""
    c_live = balance.c_units_ordered - balance.c_units_cancelled
    kinds = []
    if c_live != balance.h_units_published:
        kinds.append("unpublished")
    if balance.h_units_published != balance.h_units_taken:
        kinds.append("untaken")
    if balance.c_units_returned != balance.h_units_returned_published:
        kinds.append("returns_unpublished")
    if balance.h_units_returned_published != balance.h_units_returned:
        kinds.append("returns_untaken")
    if not kinds:
        kinds.append("value")
    return kinds


def _line_skus(order_ids: list[int]) -> dict[int, list[str]]:
    skus: dict[int, list[str]] = {}
    lines = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .annotate(key=SKU)
        .values_list("order_id", "key")
        .order_by("order_id", "key")
        .distinct()
    )
    for order_id, key in lines:
        skus.setdefault(order_id, []).append(key)
    return skus


def _numbers(balance) -> dict:
    return {
        "c_units": balance.c_units_ordered - balance.c_units_cancelled,
        "h_units": balance.h_units_taken,
        "c_units_returned": balance.c_units_returned,
        "h_units_returned": balance.h_units_returned,
        "c_value": balance.c_gross - balance.c_cancelled_value - balance.c_returned_value,
        "h_value": balance.h_value_taken - balance.h_returned_value,
        "value_diff_base": (
            None
            if balance.value_diff_base is None
            else Decimal(balance.value_diff_base).quantize(Decimal("0.01"))
        ),
    }


def _condition(discrepancy: Discrepancy) -> Condition:
    return Condition(
        type_code=TICKET_TYPE,
        order_number=discrepancy.order_number,
        summary=f"Order {discrepancy.order_number} of {discrepancy.day}: "
        + ", ".join(KINDS[k].lower() for k in discrepancy.kinds.split(",")),
        context={
            "day": discrepancy.day.isoformat(),
            "currency": discrepancy.currency,
            "kinds": discrepancy.kinds.split(","),
            "skus": discrepancy.skus,
            "centra": {
                "units": discrepancy.c_units,
                "units_returned": discrepancy.c_units_returned,
                "net_value": str(discrepancy.c_value),
            },
            "hub_ip": {
                "units_taken": discrepancy.h_units,
                "units_returned_taken": discrepancy.h_units_returned,
                "net_value_taken": str(discrepancy.h_value),
            },
            "value_diff_base": (
                None if discrepancy.value_diff_base is None else str(discrepancy.value_diff_base)
            ),
        },
    )


def discrepancies_settle(*, found, start_day: date, end_day: date, settled_before, now):
    """Make ``Discrepancy`` rows and tickets match what the computation found."""
    existing = {
        d.order_number: d
        for d in Discrepancy.objects.filter(
            Q(order_number__in=[b.order_number for b in found])
            | Q(day__gte=start_day, day__lte=end_day)
        )
    }
    skus = _line_skus([b.order_id for b in found])
    events, to_raise, new, seen = [], [], [], []
    found_numbers = set()
    for balance in found:
        found_numbers.add(balance.order_number)
        numbers = _numbers(balance)
        values = {
            "day": balance.day,
            "currency": balance.currency,
            "channel": balance.channel,
            "market": balance.market,
            "store": balance.store,
            "kinds": ",".join(balance_kinds(balance)),
            "skus": skus.get(balance.order_id, []),
            **numbers,
        }
        discrepancy = existing.get(balance.order_number)
        if discrepancy is None:
            discrepancy = Discrepancy(
                order_number=balance.order_number, first_seen_at=now, last_seen_at=now, **values
            )
            new.append((discrepancy, numbers))
            continue
        same_numbers = all(getattr(discrepancy, k) == v for k, v in numbers.items())
        if discrepancy.status == Discrepancy.Status.EXPLAINED and same_numbers:
            seen.append(discrepancy.pk)
            continue
        if discrepancy.status == Discrepancy.Status.OPEN and all(
            getattr(discrepancy, k) == v for k, v in values.items()
        ):  # found again as it was: only seen again (its ticket too)
            seen.append(discrepancy.pk)
            to_raise.append(discrepancy)
            continue
        kind = None
        if discrepancy.status != Discrepancy.Status.OPEN:
            kind = DiscrepancyEvent.Kind.REOPENED
        elif not same_numbers:
            kind = DiscrepancyEvent.Kind.CHANGED
        for key, value in values.items():
            setattr(discrepancy, key, value)
        if discrepancy.status == Discrepancy.Status.CLEARED:
            discrepancy.first_seen_at = now
        discrepancy.status = Discrepancy.Status.OPEN
        discrepancy.last_seen_at = now
        discrepancy.cleared_at = None
        discrepancy.save()
        if kind:
            events.append(_event(discrepancy, kind, now, numbers))
        to_raise.append(discrepancy)
    # In bulk: a first computation can find thousands, and a rerun the same again.
    Discrepancy.objects.filter(pk__in=seen).update(last_seen_at=now)
    Discrepancy.objects.bulk_create([discrepancy for discrepancy, _ in new], batch_size=1000)
    for discrepancy, numbers in new:
        events.append(_event(discrepancy, DiscrepancyEvent.Kind.RAISED, now, numbers))
        to_raise.append(discrepancy)
    to_clear = [
        d
        for number, d in existing.items()
        if number not in found_numbers
        and d.status != Discrepancy.Status.CLEARED
        and start_day <= d.day <= end_day
        and d.day < settled_before
    ]
    for discrepancy in to_clear:
        events.append(_event(discrepancy, DiscrepancyEvent.Kind.CLEARED, now, {}))
    Discrepancy.objects.filter(pk__in=[d.pk for d in to_clear]).update(
        status=Discrepancy.Status.CLEARED, cleared_at=now
    )
    DiscrepancyEvent.objects.bulk_create(events)
    if to_raise:
        tickets_raise_many([_condition(d) for d in to_raise], source=SOURCE)
    if to_clear:
        tickets_clear_many(
            [Condition(type_code=TICKET_TYPE, order_number=d.order_number) for d in to_clear],
            source=SOURCE,
        )
    return to_raise, to_clear


def _event(discrepancy, kind, now, data, *, actor=None, note="") -> DiscrepancyEvent:
    return DiscrepancyEvent(
        discrepancy=discrepancy,
        kind=kind,
        at=now,
        actor=actor,
        actor_name=actor_name(actor, SOURCE),
        note=note,
        data={k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()},
    )


class ExplainError(Exception):
    """The discrepancy cannot be explained as asked (no note, or not open)."""


def discrepancy_explain(*, discrepancy: Discrepancy, actor, note: str) -> bool:
    """Finance says the difference is understood: audited, and its ticket is resolved.

    Compare-and-set on the status, so a double submit explains once (returns False).
    The discrepancy stays explained while its numbers stay the same.
    """

    note = note.strip()
    if not note:
        raise ExplainError("Say why the difference is fine.")
    now = timezone.now()
    with transaction.atomic():
        changed = Discrepancy.objects.filter(
            pk=discrepancy.pk, status=Discrepancy.Status.OPEN
        ).update(
            status=Discrepancy.Status.EXPLAINED,
            explained_at=now,
            explained_by=actor,
            explained_note=note,
        )
        if not changed:
            return False
        DiscrepancyEvent.objects.create(
            discrepancy=discrepancy,
            kind=DiscrepancyEvent.Kind.EXPLAINED,
            at=now,
            actor=actor,
            actor_name=actor.get_username(),
            note=note,
        )
        ticket_resolve_for(
            condition=Condition(type_code=TICKET_TYPE, order_number=discrepancy.order_number),
            actor=actor,
            note=f"Explained by finance: {note}",
        )
    return True
