"""The stock cycle's own conditions: a held push (``push_held``) and the positions whose
IP figure cannot be read (``stock_unreadable``). Rejected lines are ticketed as they are
sent (``push``), drift as it is read back (``drift``)."""

from exceptions.registry import TicketType
from exceptions.services import (
    Condition,
    ticket_clear,
    ticket_raise,
    tickets_active_subjects,
    tickets_clear_many,
    tickets_raise_many,
)
from syncs.stock.push import SOURCE

STREAM = "stock"


def push_held_raise(*, summary: str, context: dict) -> None:
    """Nothing was sent this cycle, and why (the guard held the plan, or IP's read failed)."""
    ticket_raise(
        type_code=TicketType.PUSH_HELD,
        source=SOURCE,
        stream=STREAM,
        summary=summary[:300],
        context=context,
    )


def push_held_clear(*, note: str = "") -> None:
    """A push went out (a cycle passed the guard, or a person released the held one)."""
    ticket_clear(type_code=TicketType.PUSH_HELD, source=SOURCE, stream=STREAM, note=note)


def unreadable_settle(*, fresh, unreadable: dict[tuple[str, int], str]) -> None:
    """One ``stock_unreadable`` ticket per skipped SKU and warehouse; cleared once read."""
    tickets_raise_many(
        [
            Condition(
                type_code=TicketType.STOCK_UNREADABLE,
                sku=sku,
                warehouse=str(warehouse),
                summary=f"{sku}: skipped, its stock in IP cannot be read ({reason}); "
                "Centra keeps what it has"[:300],
                context={"reason": reason, "centra_warehouse_id": warehouse},
            )
            for (sku, warehouse), reason in unreadable.items()
        ],
        source=SOURCE,
    )
    readable_again = [
        Condition(type_code=TicketType.STOCK_UNREADABLE, sku=sku, warehouse=warehouse)
        for sku, warehouse in tickets_active_subjects(
            TicketType.STOCK_UNREADABLE, "sku", "warehouse"
        )
        if (sku, int(warehouse)) in fresh
    ]
    tickets_clear_many(readable_again, source=SOURCE, note="IP's stock figure is readable again.")
