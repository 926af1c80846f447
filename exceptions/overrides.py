"""The exception types as they apply now: the registry's declarations with the admin's
overrides (``TypeOverride``: team, SLA) applied.

Apart from ``exceptions.registry`` so the registry stays pure declarations that the models
can import, and this module can import the models.
"""

from dataclasses import replace
from datetime import timedelta

from exceptions.models import TypeOverride
from exceptions.registry import ExceptionType, get_type


def effective_type(code: str, overrides: dict | None = None) -> ExceptionType:
    """The type with the admin's override (team, SLA) applied.

    ``overrides`` maps type code to ``TypeOverride``; callers raising many tickets load them
    once (``overrides_load()``), a single lookup loads the one row it needs.
    """
    declared = get_type(code)
    if overrides is None:
        overrides = overrides_load([code])
    override = overrides.get(code)
    if override is None:
        return declared
    changes = {}
    if override.team:
        changes["team"] = override.team
    if override.acknowledge_within_minutes:
        changes["acknowledge_within"] = timedelta(minutes=override.acknowledge_within_minutes)
    if override.resolve_within_minutes:
        changes["resolve_within"] = timedelta(minutes=override.resolve_within_minutes)
    return replace(declared, **changes)


def overrides_load(codes=None) -> dict:
    """The admin's overrides by type code (all, or those of ``codes``)."""
    rows = TypeOverride.objects.all()
    if codes is not None:
        rows = rows.filter(type__in=list(codes))
    return {row.type: row for row in rows}
