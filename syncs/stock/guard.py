"""The guard: hold the whole push when its input looks wrong, rather than zero a storefront.

Pure: it gets the plan and what was known before and answers with the reasons to hold (an
empty list means "send"). The engine holds the push, raises one ``push_held`` ticket with
these reasons, and an admin or operations releases or discards it on the held-push page.

Triggers (thresholds on ``StockSettings``, defaults in docs/stock-engine.md):
- a partial read: IP answered fewer SKUs than known before (below ``guard_min_read_share``),
  or more than the rest of that share came back without a readable ``in_stock`` (a few
  such positions are only skipped, each with a ``stock_unreadable`` ticket; this many
  mean the read itself is wrong, e.g. ``fields=`` answered stubs);
- a large share of SKUs that had stock would go to zero (``guard_zero_share``);
- total ATS would drop by more than ``guard_total_drop``.
The share checks apply only from ``guard_min_skus`` known SKUs, so a tiny catalog is not
held for one SKU selling out. A *failed* IP read never reaches the guard: the engine stops
before planning (fail closed) and sends nothing.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class GuardInput:
    known: int  # positions known before this cycle
    read: int  # positions this read produced
    unreadable: int  # positions read whose in_stock could not be read (skipped)
    had_stock: int  # known positions whose last pushed quantity was > 0
    to_zero: int  # of those, how many this plan sets to 0
    total_before: int  # Σ last pushed over known positions
    total_after: int  # Σ new ATS over the same positions


@dataclass(frozen=True)
class GuardThresholds:
    min_skus: int
    zero_share: float
    total_drop: float
    min_read_share: float


def guard_reasons(data: GuardInput, limits: GuardThresholds) -> list[str]:
    reasons = []
    readable = data.read - data.unreadable
    if data.read >= limits.min_skus and readable < data.read * limits.min_read_share:
        reasons.append(
            f"partial read: {data.unreadable} of {data.read} SKU x warehouse positions came "
            f"back without a readable in_stock (at most {1 - limits.min_read_share:.0%})"
        )
    if data.known >= limits.min_skus and data.read < data.known * limits.min_read_share:
        reasons.append(
            f"partial read: IP returned {data.read} SKU x warehouse positions, "
            f"{data.known} were known (minimum {limits.min_read_share:.0%})"
        )
    if data.had_stock >= limits.min_skus and data.to_zero > data.had_stock * limits.zero_share:
        reasons.append(
            f"{data.to_zero} of {data.had_stock} SKUs with stock would go to zero "
            f"({data.to_zero / data.had_stock:.0%}, limit {limits.zero_share:.0%})"
        )
    if (
        data.known >= limits.min_skus
        and data.total_before > 0
        and data.total_after < data.total_before * (1 - limits.total_drop)
    ):
        drop = 1 - data.total_after / data.total_before
        reasons.append(
            f"total ATS would drop from {data.total_before} to {data.total_after} "
            f"({drop:.0%}, limit {limits.total_drop:.0%})"
        )
    return reasons


def thresholds(settings) -> GuardThresholds:
    """The thresholds as configured on ``StockSettings``."""
    return GuardThresholds(
        min_skus=settings.guard_min_skus,
        zero_share=float(settings.guard_zero_share),
        total_drop=float(settings.guard_total_drop),
        min_read_share=float(settings.guard_min_read_share),
    )
