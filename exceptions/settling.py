"""Settling: the step every engine ends with. The engine hands over the conditions that hold
now; every other active ticket of its types is cleared, unless the engine says it still holds
although this run did not see it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exceptions.conditions import SUBJECT_FIELDS, Condition
from exceptions.models import Ticket
from exceptions.raising import RaiseOutcome, tickets_clear_many, tickets_raise_many


@dataclass
class SettleOutcome:
    raised: RaiseOutcome
    cleared: int


def tickets_settle(
    *,
    type_codes: Iterable[str],
    holding: Iterable[Condition],
    source: str,
    keep: Callable[[Condition], bool] | None = None,
    note: str = "",
) -> SettleOutcome:
    """The step every engine ends with: raise what holds, clear what no longer does.

    Every condition in ``holding`` is raised; every other active ticket of ``type_codes``
    is auto-resolved, unless ``keep`` (given the ticket's condition: its type and subject)
    says it still holds although this run did not see it. ``note`` goes to the cleared
    tickets' history (default: the type's "resolves when").
    """
    holding = list(holding)
    raised = tickets_raise_many(holding, source=source)
    still = {condition.fingerprint for condition in holding}
    stale = []
    for type_code, *subject in Ticket.objects.filter(
        type__in=list(type_codes), status__in=Ticket.ACTIVE
    ).values_list("type", *SUBJECT_FIELDS):
        subject = dict(zip(SUBJECT_FIELDS, subject, strict=True))
        condition = Condition(type_code=type_code, **subject)
        if condition.fingerprint in still or (keep is not None and keep(condition)):
            continue
        stale.append(condition)
    return SettleOutcome(raised, tickets_clear_many(stale, source=source, note=note))


def tickets_active_subjects(type_code: str, *fields: str) -> set[tuple[str, ...]]:
    """The subject fields (e.g. SKU and warehouse) of a type's active tickets: an engine
    that clears as it goes clears only these, rather than a condition per row it saw."""
    return set(Ticket.objects.filter(type=type_code, status__in=Ticket.ACTIVE).values_list(*fields))
