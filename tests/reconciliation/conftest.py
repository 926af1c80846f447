"""Hand-built ledgers: orders stored through the real ledger service (so their feed rows are
what the orders engine would write), return rows as the returns flow writes them, and feed
receipts saying how far IP has taken the file."""

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from reconciliation.day_skus import day_sku_rows
from reconciliation.models import CurrencyRate, ReconciliationSettings
from syncs.catalog.selectors import SkuIndex
from syncs.connectors.centra.types import Order as CentraOrder
from syncs.connectors.centra.types import OrderLine as CentraLine
from syncs.models import FeedDelivery, Order, SalesFeedRow
from syncs.orders.store import orders_store

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAPPED = ("SKU-A", "SKU-B", "SKU-C")  # Centra SKU "c-sku-a" maps to IP "SKU-A", etc.


def at(text: str) -> datetime:
    """A brand-local (Stockholm) instant from ``"2026-03-31 23:30"``."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def day_sku(day, sku=None) -> SimpleNamespace:
    """The one row of a day (and SKU) per SKU and slice, as the day's page computes them:
    fails unless exactly one matches."""
    [row] = [r for r in day_sku_rows(day) if sku is None or r["sku"] == sku]
    return SimpleNamespace(**row)


class Ledger:
    """Builds orders line by line: ``line("a", qty=2, price="10.00", cancelled=1)``."""

    def __init__(self):
        self.index = SkuIndex(
            SimpleNamespace(
                sku=sku, ip_variant_id=f"v-{sku}", centra_size_id=n, centra_sku=f"c-{sku.lower()}"
            )
            for n, sku in enumerate(MAPPED, start=1)
        )
        self._line_id = 1000

    def line(self, sku, *, qty, price, cancelled=0, returned=0):
        self._line_id += 1
        size = {"a": 1, "b": 2, "c": 3}.get(sku)
        return CentraLine(
            id=self._line_id,
            product_size_id=size,
            sku=f"c-sku-{sku}",
            ean="",
            product_name=f"Product {sku}",
            quantity=qty,
            cancelled_quantity=cancelled,
            returned_quantity=returned,
            unit_price=Decimal(price),
        )

    def order(
        self,
        number,
        when,
        *lines,
        currency="EUR",
        status="CONFIRMED",
        store="DTC",
        market="",
        store_name="",
        rate=None,
    ):
        """Store the order as the orders stream does; ``market``, ``store_name`` and
        ``rate`` are its finance fields as the finance read writes them."""
        fetched = CentraOrder(
            id=f"{number:032x}",
            number=number,
            status=status,
            store_type=store,
            order_date=when,
            created_at=when,
            currency=currency,
            grand_total=sum((line.unit_price * line.quantity for line in lines), Decimal(0)),
            lines=tuple(lines),
        )
        orders_store(orders=[fetched], skus=self.index)
        if market or store_name or rate is not None:
            Order.objects.filter(number=number).update(
                market=market,
                store_name=store_name,
                currency_base_rate=None if rate is None else Decimal(rate),
                finance_read_at=timezone.now(),
            )
        return Order.objects.get(number=number)

    def return_row(self, order, sku, *, units, price, when):
        """What the returns flow writes: a negative row on the order, dated ``when``."""
        return SalesFeedRow.objects.create(
            source=SalesFeedRow.Source.RETURN_LINE,
            source_ref=f"r-{order.number}-{sku}",
            order=order,
            order_number=str(order.number),
            sku=sku,
            date=when,
            quantity=-units,
            price=Decimal(price),
            currency=order.currency,
            changed_at=timezone.now(),
        )

    def ip_takes_everything(self):
        """A completed fetch of the feed covering every row written so far."""
        now = timezone.now()
        return FeedDelivery.objects.create(
            status=FeedDelivery.Status.COMPLETE,
            started_at=now,
            finished_at=now,
            served_through=now,
            horizon_start=datetime(2000, 1, 1, tzinfo=STOCKHOLM),
        )


@pytest.fixture
def ledger(db):
    ReconciliationSettings.objects.update_or_create(
        pk=1,
        defaults={
            "base_currency": "EUR",
            "time_zone": "Europe/Stockholm",
            "grace_hours": 24,
            "unit_tolerance": 0,
            "value_tolerance": Decimal("0.00"),
        },
    )
    CurrencyRate.objects.create(currency="SEK", valid_from="2026-01-01", rate=Decimal("0.09"))
    CurrencyRate.objects.create(currency="SEK", valid_from="2026-04-01", rate=Decimal("0.10"))
    return Ledger()


def returns_flow(order, *, sku, expected, passed, stocked_in, when):
    """What the returns app holds for one Centra return of one line of ``order``: the
    expected return (dated by Centra), its line after QC, and a confirmed stock-in."""
    from returns.models import ExpectedReturn, ReturnLine, StockIn

    sold = order.lines.get(ip_sku=sku)
    ret = ExpectedReturn.objects.create(
        centra_id=order.number * 10,
        centra_status="COMPLETED",
        centra_created_at=when,
        order_number=str(order.number),
        centra_order_id=order.centra_id,
        shipment_id=1,
        ip_warehouse="main",
        state="complete",
        first_seen_at=when,
        state_changed_at=when,
    )
    line = ReturnLine.objects.create(
        expected_return=ret,
        centra_line_id=order.number * 100,
        centra_order_line_id=sold.centra_line_id,
        centra_sku=sold.centra_sku,
        ip_sku=sku,
        quantity=expected,
        state="complete",
        received_quantity=expected,
        qc_passed=passed,
        qc_failed=expected - passed,
        qc_at=when,
    )
    if stocked_in:
        StockIn.objects.create(
            line=line,
            sink=StockIn.Sink.IP_STOCK_ORDER,
            confirm_mode="receipt",
            idempotency_key=f"stock-in-{line.pk}",
            sku=sku,
            ip_variant_id=f"v-{sku}",
            ip_warehouse="main",
            quantity=stocked_in,
            state=StockIn.State.CONFIRMED,
            step=StockIn.Step.DONE,
            created_at=when,
            confirmed_at=when,
        )
    return line
