"""How the IP twin takes the hub's legacy sales-order CSV, as IP's CSV connector does.

IP pulls the file from a permanent URL (optionally with HTTP basic auth) on its own
schedule; the file always holds the full data set (reference §4.2). Columns: required
``order_number, product_id, sku, date, price, quantity``; optional ``currency, canceled``.
Cancelled lines carry the flag; returned units are rows with a negative quantity.

Parsing is separate from folding so a fetch that fails anywhere folds nothing.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from syncs.sandbox.inventory_planner.entities import SalesLine

REQUIRED_COLUMNS = ("order_number", "product_id", "sku", "date", "price", "quantity")
TRUE_WORDS = ("1", "true", "yes", "y")
FALSE_WORDS = ("", "0", "false", "no", "n")


@dataclass(frozen=True)
class RejectedRow:
    line: int  # line number in the file, the header being line 1
    reason: str


@dataclass(frozen=True)
class FeedFetch:
    """The twin's receipt for one fetch: what IP took from the file, and what not."""

    fetched_at: datetime
    url: str
    ok: bool
    status_code: int | None = None
    rows_taken: int = 0
    rows_removed: int = 0  # history rows deleted because the full file no longer had them
    rejected: tuple[RejectedRow, ...] = ()
    error: str = ""


def parse_sales_csv(
    text: str, known_skus: set[str] | frozenset[str]
) -> tuple[list[SalesLine], list[RejectedRow]]:
    """Rows of the file as ``SalesLine``; a missing required column rejects the file.

    Header names are matched case-insensitively; unknown columns are ignored (assumption).
    Both spellings ``canceled`` (the spec's) and ``cancelled`` are read.
    """
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    index = {name: position for position, name in enumerate(header)}
    cancel_column = index.get("canceled", index.get("cancelled"))
    lines: list[SalesLine] = []
    rejected: list[RejectedRow] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            rejected.append(RejectedRow(number, f"{len(row)} cells, {len(header)} columns"))
            continue

        def cell(name: str, row=row) -> str:
            return row[index[name]].strip()

        try:
            line = SalesLine(
                order_number=_required(cell("order_number"), "order_number"),
                sku=_required(cell("sku"), "sku"),
                product_id=cell("product_id"),
                date=_date(cell("date")),
                quantity=_float(cell("quantity"), "quantity"),
                price=_float(cell("price"), "price"),
                currency=cell("currency") if "currency" in index else "",
                cancelled=_flag(row[cancel_column].strip() if cancel_column is not None else ""),
            )
        except ValueError as exc:
            rejected.append(RejectedRow(number, str(exc)))
            continue
        if line.sku not in known_skus:
            rejected.append(RejectedRow(number, f"unknown sku {line.sku}"))
            continue
        lines.append(line)
    return lines, rejected


def _required(value: str, name: str) -> str:
    if not value:
        raise ValueError(f"{name} is empty")
    return value


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} is not a number: {value!r}") from None


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"date is not a date: {value!r}") from None


def _flag(value: str) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"canceled is not a flag: {value!r}")
