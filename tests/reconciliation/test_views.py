"""The finance screens: who may see and do what, the CSV equals the screen, and the number
of queries does not grow with the ledger."""

import csv
import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reconciliation.models import Discrepancy, DiscrepancyEvent, ReconciliationSettings
from reconciliation.services import reconciliation_compute
from tests.reconciliation.conftest import at

OTHERS = ("operations", "ecommerce", "merchandising", "fulfilment")


@pytest.fixture
def month(ledger):
    """March 2026: a balanced day, a day with an unmapped line, a SEK order, a return."""
    ledger.order(21, at("2026-03-03 10:00"), ledger.line("a", qty=2, price="10.00", cancelled=1))
    ledger.order(22, at("2026-03-04 10:00"), ledger.line("zz", qty=1, price="9.00"))
    ledger.order(
        23, at("2026-03-04 11:00"), ledger.line("b", qty=1, price="100.00"), currency="SEK"
    )
    order = ledger.order(
        24, at("2026-03-30 11:00"), ledger.line("c", qty=1, price="5.00", returned=1)
    )
    ledger.return_row(order, "SKU-C", units=1, price="5.00", when=at("2026-04-01 09:00"))
    ledger.ip_takes_everything()
    reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 4, 30))


class _Tables(HTMLParser):
    """The text of every ``<table id="table-...">`` on a page, cell by cell."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id", "").startswith("table-"):
            self.current = self.tables.setdefault(attrs["id"][6:], [])
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def screen_tables(response) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/reconciliation/",
        "/reconciliation/?month=2026-03&export=month",
        "/reconciliation/day/2026-03-04/",
        "/reconciliation/day/2026-03-04/?export=discrepancies",
        "/reconciliation/day/2026-03-04/sku/SKU-A/",
        "/reconciliation/configuration/",
    ],
)
def test_finance_and_admin_see_every_screen_others_get_403(month, client_for, url):
    assert client_for("finance").get(url).status_code == 200
    assert client_for("admin").get(url).status_code == 200
    for team in OTHERS:
        assert client_for(team).get(url).status_code == 403


def test_finance_cannot_change_the_configuration(ledger, client_for):
    response = client_for("finance").post(
        "/reconciliation/configuration/",
        {
            "base_currency": "SEK",
            "time_zone": "",
            "unit_tolerance": 5,
            "value_tolerance": "1",
            "grace_hours": 1,
            "window_days": 1,
        },
    )
    assert response.status_code == 403
    config = ReconciliationSettings.objects.get()
    assert (config.base_currency, config.unit_tolerance) == ("EUR", 0)
    response = client_for("finance").post(
        "/reconciliation/configuration/",
        {"add_rate": "1", "currency": "USD", "valid_from": "2026-01-01", "rate": "0.9"},
    )
    assert response.status_code == 403
    from reconciliation.models import CurrencyRate

    assert list(CurrencyRate.objects.values_list("currency", flat=True)) == ["SEK", "SEK"]


def test_admins_change_the_configuration(ledger, client_for):
    response = client_for("admin").post(
        "/reconciliation/configuration/",
        {
            "base_currency": "sek",
            "time_zone": "Europe/Stockholm",
            "unit_tolerance": 2,
            "value_tolerance": "1.50",
            "grace_hours": 12,
            "window_days": 40,
        },
    )
    assert response.status_code == 302
    config = ReconciliationSettings.objects.get()
    assert (config.base_currency, config.unit_tolerance, config.value_tolerance) == (
        "SEK",
        2,
        Decimal("1.50"),
    )


def test_admins_add_a_rate(ledger, client_for):
    from reconciliation.models import CurrencyRate

    response = client_for("admin").post(
        "/reconciliation/configuration/",
        {"add_rate": "1", "currency": "usd", "valid_from": "2026-02-01", "rate": "0.92"},
    )
    assert response.status_code == 302
    rate = CurrencyRate.objects.get(currency="USD")
    assert (rate.valid_from, rate.rate) == (date(2026, 2, 1), Decimal("0.92"))


def test_a_bad_time_zone_is_refused(ledger, client_for):
    response = client_for("admin").post(
        "/reconciliation/configuration/",
        {
            "base_currency": "EUR",
            "time_zone": "Mars/Olympus",
            "unit_tolerance": 0,
            "value_tolerance": "0",
            "grace_hours": 24,
            "window_days": 62,
        },
    )
    assert response.status_code == 200
    assert ReconciliationSettings.objects.get().time_zone == "Europe/Stockholm"


def test_finance_explains_a_discrepancy_others_cannot(month, client_for):
    d = Discrepancy.objects.get(order_number="22")
    for team in OTHERS:
        response = client_for(team).post(
            f"/reconciliation/discrepancies/{d.pk}/explain/", {"note": "x"}
        )
        assert response.status_code == 403
    assert Discrepancy.objects.get(pk=d.pk).status == "open"
    assert not DiscrepancyEvent.objects.filter(kind="explained").exists()
    response = client_for("finance").post(
        f"/reconciliation/discrepancies/{d.pk}/explain/", {"note": "Gift card, no stock."}
    )
    assert response.status_code == 302
    assert response["Location"] == "/reconciliation/day/2026-03-04/"
    assert Discrepancy.objects.get(pk=d.pk).status == "explained"


def test_explaining_is_post_only(month, client_for):
    d = Discrepancy.objects.get(order_number="22")
    assert (
        client_for("finance").get(f"/reconciliation/discrepancies/{d.pk}/explain/").status_code
        == 405
    )


# --- The CSV is the screen --------------------------------------------------------------------


def test_the_month_csv_equals_the_month_on_screen(month, client_for):
    client = client_for("finance")
    screen = screen_tables(client.get("/reconciliation/?month=2026-03"))["month"]
    exported = csv_rows(client.get("/reconciliation/?month=2026-03&export=month"))
    assert exported == screen
    assert [row[0] for row in exported] == ["Day", "2026-03-03", "2026-03-04", "2026-03-30"]
    status = exported[0].index("Status")
    assert [row[status] for row in exported[1:]] == ["ok", "mismatch", "ok"]


def test_the_day_csvs_equal_the_day_on_screen(month, client_for):
    client = client_for("finance")
    screen = screen_tables(client.get("/reconciliation/day/2026-03-04/"))
    for name in ("skus", "discrepancies", "orders"):
        exported = csv_rows(client.get(f"/reconciliation/day/2026-03-04/?export={name}"))
        assert exported == screen[name]
    skus = csv_rows(client.get("/reconciliation/day/2026-03-04/?export=skus"))
    assert [row[0] for row in skus] == ["SKU", "c-sku-zz"]  # only differences by default
    every = screen_tables(client.get("/reconciliation/day/2026-03-04/?all=1"))["skus"]
    exported = csv_rows(client.get("/reconciliation/day/2026-03-04/?all=1&export=skus"))
    assert exported == every
    assert [row[0] for row in exported] == ["SKU", "c-sku-zz", "SKU-B"]  # differences first


def test_the_sku_csv_equals_the_screen_and_names_the_orders(month, client_for):
    client = client_for("finance")
    screen = screen_tables(client.get("/reconciliation/day/2026-03-03/sku/SKU-A/"))["orders"]
    exported = csv_rows(client.get("/reconciliation/day/2026-03-03/sku/SKU-A/?export=orders"))
    assert exported == screen
    header = exported[0]
    row = dict(zip(header, exported[1], strict=True))
    assert (row["Order"], row["Centra units sold"], row["Centra units cancelled"]) == (
        "21",
        "2",
        "1",
    )
    assert (row["IP units taken"], row["Centra net"], row["IP net taken"]) == (
        "2",
        "20.00",
        "20.00",
    )


def test_filters_narrow_the_month_and_its_csv(month, client_for):
    exported = csv_rows(
        client_for("finance").get("/reconciliation/?month=2026-03&currency=SEK&export=month")
    )
    assert [row[0] for row in exported] == ["Day", "2026-03-04"]


def test_an_unknown_export_is_404(month, client_for):
    assert client_for("finance").get("/reconciliation/?export=nope").status_code == 404


# --- Queries ----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/reconciliation/?month=2026-03",
        "/reconciliation/day/2026-03-04/",
        "/reconciliation/day/2026-03-04/sku/SKU-B/",
    ],
)
def test_queries_do_not_grow_with_the_ledger(ledger, client_for, url):
    ledger.order(31, at("2026-03-04 10:00"), ledger.line("b", qty=1, price="1.00"))
    ledger.order(32, at("2026-03-05 10:00"), ledger.line("zz", qty=1, price="1.00"))
    reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31))
    client = client_for("finance")
    few = _queries(client, url)
    for n in range(40, 70):
        ledger.order(
            n,
            at(f"2026-03-{(n % 27) + 1:02d} 10:00"),
            ledger.line("b", qty=1, price="1.00"),
            ledger.line("zz", qty=2, price="1.00"),
            currency="SEK" if n % 2 else "EUR",
        )
    ledger.order(99, at("2026-03-04 12:00"), ledger.line("b", qty=1, price="1.00"))
    reconciliation_compute(start_day=date(2026, 3, 1), end_day=date(2026, 3, 31))
    assert _queries(client, url) == few


def test_a_day_whose_differences_are_explained_says_so(month, client_for):
    client = client_for("finance")
    d = Discrepancy.objects.get(order_number="22")
    client.post(f"/reconciliation/discrepancies/{d.pk}/explain/", {"note": "Gift card."})
    exported = csv_rows(client.get("/reconciliation/?month=2026-03&export=month"))
    status = exported[0].index("Status")
    assert [(row[0], row[status]) for row in exported[1:]] == [
        ("2026-03-03", "ok"),
        ("2026-03-04", "explained"),
        ("2026-03-30", "ok"),
    ]
    discrepancies = csv_rows(client.get("/reconciliation/day/2026-03-04/?export=discrepancies"))
    row = dict(zip(discrepancies[0], discrepancies[1], strict=True))
    assert (row["Status"], row["Explanation"]) == ("explained", "finance-persona: Gift card.")
