"""The reconciliation's report tables: each declared once (``ReportTable``: columns and
rows) and rendered three ways, as HTML, CSV and an XLSX sheet, so every export is the
screen by construction; and the slices (``Filters``) every table is filtered by.

Why not django-tables2, which the other screens use: these tables are aggregates built
in Python (a month's days, a day's SKUs, both sides summed and their differences
derived), not querysets to sort and page; each must also export as CSV and XLSX with
numbers as numbers, and a summary view of its columns. django-tables2 would page and
sort querysets and render HTML; the exports and the summary would still be ours.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from centra_ip.exports import csv_text

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Filters:
    """The slices finance filters by: Centra's market and store (from the order ledger's
    finance fields), the order currency and the channel (store type). Every computed table
    carries all four, so a filter applies the same on every screen and export."""

    market: str = ""
    store: str = ""
    currency: str = ""
    channel: str = ""

    def q(self, prefix: str = "") -> Q:
        q = Q()
        for name, value in vars(self).items():
            if value:
                q &= Q(**{f"{prefix}{name}": value})
        return q

    def order_q(self) -> Q:
        """The same filter on order lines (through their order)."""
        fields = {
            "market": "market",
            "store": "store_name",
            "currency": "currency",
            "channel": "store_type",
        }
        q = Q()
        for name, value in vars(self).items():
            if value:
                q &= Q(**{f"order__{fields[name]}": value})
        return q

    @property
    def active(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    numeric: bool = True
    badge: bool = False  # a status word, shown as a badge


@dataclass
class ReportTable:
    """Columns and rows (dicts keyed by column key); ``links`` maps a column to a row's URL."""

    name: str
    columns: list[Column]
    rows: list[dict]
    links: dict[str, Callable[[dict], str]] = field(default_factory=dict)
    title: str = ""  # the XLSX sheet's name ("" = ``name``)
    # The columns of the summary view (the page shows these until "all columns" is ticked;
    # exports always carry every column); empty: no summary, every column shows.
    summary: frozenset = frozenset()

    def is_extra(self, column: Column) -> bool:
        return bool(self.summary) and column.key not in self.summary

    def header(self):
        """(column, css class) for the template's header row."""
        for c in self.columns:
            yield c, " ".join(x for x in ("num" if c.numeric else "", self._extra(c)) if x)

    def _extra(self, column: Column) -> str:
        return "extra" if self.is_extra(column) else ""

    def cells(self):
        """Rows as (row, [(text, url, css class, badge)]) for the template, decided here once
        so the template does no per-cell logic (a day can have thousands of rows)."""
        header = list(self.header())
        for row in self.rows:
            yield (
                row,
                [
                    (
                        _text(row.get(c.key)),
                        self.links[c.key](row) if c.key in self.links else "",
                        css,
                        c.badge,
                    )
                    for c, css in header
                ],
            )

    def csv_rows(self):
        yield [c.title for c in self.columns]
        for row in self.rows:
            yield [_csv_text(row.get(c.key)) for c in self.columns]

    def xlsx_sheet(self) -> tuple[str, list[str], list[list]]:
        """The table as typed cells: numbers (Decimal, int), dates and text as they are."""
        return (
            self.title or self.name,
            [c.title for c in self.columns],
            [[_typed(row.get(c.key)) for c in self.columns] for row in self.rows],
        )


def _csv_text(value) -> str:
    """As on screen, but text from outside (a SKU) cannot run as a spreadsheet formula."""
    return csv_text(value) if isinstance(value, str) else _text(value)


def _typed(value):
    """An XLSX cell value: money rounded to cents, other numbers and dates unchanged."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return "" if value is None else value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    return str(value)
