"""What happens when SKU mappings are created: one list, for every app that parks lines.

Order lines and return lines whose Centra SKU had no Inventory Planner variant are parked;
when the catalog (a run, a manual mapping or an import) creates the mapping, each hook below
maps its parked lines at once, inside the transaction that creates the mappings, so a
mapping and the lines it unblocks commit together. Declared as dotted paths, resolved on
first use, so the catalog imports no app that depends on it (returns imports the catalog).

Each hook is called as ``hook(mappings=[SkuMapping, ...])`` and must return quickly when
nothing is parked (a catalog run may bring 100,000s of new mappings).
"""

from collections.abc import Iterable
from functools import cache

from django.utils.module_loading import import_string

MAPPING_CREATED: tuple[str, ...] = (
    "syncs.orders.store.order_lines_redrive",
    "returns.intake.return_lines_redrive",
)


@cache
def _hooks() -> tuple:
    return tuple(import_string(path) for path in MAPPING_CREATED)


def mappings_created(*, mappings: Iterable) -> None:
    """Run every "mapping created" hook on these new mappings (call inside the transaction
    that created them)."""
    mappings = list(mappings)
    if not mappings:
        return
    for hook in _hooks():
        hook(mappings=mappings)
