"""The stock-status ledger: units held in a status (reserved, in QC, damaged, ...) per SKU
and IP warehouse, moved one audited movement at a time; ATS subtracts the non-sellable ones.
"""

import csv
import io
from collections import defaultdict

from django.db import transaction

from centra_ip.limits import UNITS_MAX
from centra_ip.teams import actor_name
from syncs.models import ConfigChange, StockStatus, StockStatusBalance, StockStatusMovement
from syncs.stock.config import config_audit


class LedgerError(ValueError):
    """A move that would take a balance below zero, or an unknown status."""


def stock_status_move(
    *,
    sku: str,
    ip_warehouse: str,
    status: str,
    delta: int,
    reason: str,
    actor=None,
    actor_label: str = "",
) -> StockStatusBalance:
    """Move units into (``delta`` > 0) or out of a status; the returns flow calls this with
    ``status="in_qc"``. The balance never goes below zero: taking out more than is there is
    an error, not a silent clamp, because the caller's own count is then wrong."""
    with transaction.atomic():
        try:
            status_row = StockStatus.objects.get(code=status)
        except StockStatus.DoesNotExist:
            raise LedgerError(f"unknown stock status {status!r}") from None
        balance, _ = StockStatusBalance.objects.select_for_update().get_or_create(
            sku=sku, ip_warehouse=ip_warehouse, status=status_row
        )
        if balance.quantity + delta < 0:
            raise LedgerError(
                f"{sku} has {balance.quantity} in {status} at {ip_warehouse}; cannot take {-delta}"
            )
        balance.quantity += delta
        balance.save(update_fields=["quantity", "updated_at"])
        StockStatusMovement.objects.create(
            sku=sku,
            ip_warehouse=ip_warehouse,
            status=status_row,
            delta=delta,
            balance_after=balance.quantity,
            reason=reason,
            actor_name=actor_label or actor_name(actor),
        )
    return balance


def stock_status_set(
    *, sku, ip_warehouse, status, quantity: int, reason: str, actor=None, via: str = "screen"
):
    """Set a balance to an absolute count (screen edit, CSV import) as one movement, audited
    as a configuration change (the returns flow moves balances through the ledger only)."""
    key = {"sku": sku, "ip_warehouse": ip_warehouse, "status": status}
    row = StockStatusBalance.objects.filter(sku=sku, ip_warehouse=ip_warehouse, status__code=status)
    current = row.values_list("quantity", flat=True).first() or 0
    if quantity < 0:
        raise LedgerError(f"{sku}: a quantity cannot be negative ({quantity})")
    if quantity == current:
        return None
    audit = {"area": "status_balance", "object_key": "/".join(key.values()), "via": via}
    with transaction.atomic():
        movement = stock_status_move(**key, delta=quantity - current, reason=reason, actor=actor)
        action = ConfigChange.Action.UPDATED if current else ConfigChange.Action.CREATED
        before = {"quantity": current} if current else None
        config_audit(
            actor=actor, action=action, before=before, after={"quantity": quantity}, **audit
        )
    return movement


CSV_COLUMNS = ("sku", "ip_warehouse", "status", "quantity")


def _status_row(line: int, row: dict, known: set, errors: list) -> tuple | None:
    """One CSV row as (sku, warehouse, status, quantity), or None with its errors noted.
    A short row leaves cells as None; every cell is text-checked before it is used."""
    sku, warehouse, status, text = ((row.get(k) or "").strip() for k in CSV_COLUMNS)
    before = len(errors)
    try:
        quantity = int(text)
    except ValueError:
        errors.append(f"line {line}: quantity {text[:20]!r} is not a whole number")
        return None
    if quantity < 0:
        errors.append(f"line {line}: quantity cannot be negative")
    elif quantity > UNITS_MAX:
        errors.append(f"line {line}: quantity is more than {UNITS_MAX:,}")
    if status not in known:
        errors.append(f"line {line}: unknown status {status[:40]!r}")
    if not sku or not warehouse:
        errors.append(f"line {line}: sku and ip_warehouse are required")
    if len(sku) > 100 or len(warehouse) > 100 or "\x00" in sku + warehouse:
        errors.append(f"line {line}: sku and ip_warehouse are at most 100 plain characters")
    return None if len(errors) > before else (sku, warehouse, status, quantity)


def stock_status_import_csv(*, text: str, actor) -> int:
    """Import ``sku,ip_warehouse,status,quantity`` rows (absolute counts).

    Every row is checked before any is applied: one bad row imports nothing. Returns the
    number of balances that changed.
    """
    reader = csv.DictReader(io.StringIO(text))
    wanted = set(CSV_COLUMNS)
    known = set(StockStatus.objects.values_list("code", flat=True))
    rows, errors = [], []
    try:
        if not reader.fieldnames or not wanted <= set(reader.fieldnames):
            raise LedgerError(f"the header must name {', '.join(sorted(wanted))}")
        for line, row in enumerate(reader, start=2):
            parsed = _status_row(line, row, known, errors)
            if parsed:
                rows.append(parsed)
    except csv.Error as error:
        raise LedgerError(f"the file is not a readable CSV: {error}") from None
    if errors:
        raise LedgerError("; ".join(errors[:20]))
    changed = 0
    with transaction.atomic():
        for sku, warehouse, status, quantity in rows:
            moved = stock_status_set(
                sku=sku,
                ip_warehouse=warehouse,
                status=status,
                quantity=quantity,
                reason="CSV import",
                actor=actor,
                via="csv",
            )
            changed += moved is not None
    return changed


def status_quantities(ip_to_centra: dict[str, int]) -> dict[tuple[str, int], dict[str, int]]:
    """Ledger balances summed per (SKU, Centra warehouse) through the warehouse map."""
    out: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    balances = StockStatusBalance.objects.filter(quantity__gt=0).values_list(
        "sku", "ip_warehouse", "status__code", "quantity"
    )
    for sku, ip_warehouse, code, quantity in balances:
        centra = ip_to_centra.get(ip_warehouse)
        if centra is None:
            continue
        bucket = out[(sku, centra)]
        bucket[code] = bucket.get(code, 0) + quantity
    return out
