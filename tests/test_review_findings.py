"""The security review's findings and defects (shared/reviews/security-review.md), one test
(or a few) each, written to fail while the flaw is there. Findings 1 (receipts), 5 and 6
(webhooks) live beside their flows in tests/returns/test_flow.py and
tests/exceptions/test_notifications.py; 3 (demo logins) belongs to the production checks.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exceptions.models import Ticket, TypeOverride
from exceptions.services import ticket_raise
from reconciliation.models import CurrencyRate, ReconciliationSettings
from returns.sinks import StockInOrder, WmsWebhook
from syncs.connectors.base import AuthError, PermanentError
from syncs.connectors.http import transports_install
from syncs.models import ConfigChange, StockStatus, StockStatusBalance, StockStatusMovement
from syncs.models.config import SafetyStockRule, StockSettings
from syncs.stock import config_io, ledger
from tests.clocks import FakeClock
from tests.syncs.centra.helpers import TOKEN, make_client

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# -- finding 2: the Centra token never reaches an error message --------------------------------


def test_centra_errors_that_quote_the_token_are_redacted():
    token = TOKEN

    def echo(request):
        text = f"token {token} has no Order:read permission"
        return httpx.Response(401, json={"errors": [{"message": text}]})

    client = make_client(httpx.MockTransport(echo), FakeClock())
    with pytest.raises(AuthError) as caught:
        list(client.iter_warehouses())
    assert token not in str(caught.value) and "***" in caught.value.message


def test_graphql_error_details_are_redacted_too():
    token = TOKEN
    answer = {"errors": [{"message": f"bad {token}", "extensions": {"category": "graphql"}}]}
    client = make_client(
        httpx.MockTransport(lambda r: httpx.Response(200, json=answer)), FakeClock()
    )
    with pytest.raises(PermanentError) as caught:
        list(client.iter_warehouses())
    assert token not in json.dumps(caught.value.details) + caught.value.message


# -- finding 4: a non-ASCII basic-auth header is a 401, not a 500 ------------------------------


def test_the_feed_answers_401_to_a_non_ascii_authorization_header(client, settings):
    settings.IP_FEED_PASSWORD = "feed-password"
    response = client.get(
        reverse("feeds:ip_sales_orders"), HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz\u00e9"
    )
    assert response.status_code == 401


# -- finding 7: out-of-range numbers and dates -------------------------------------------------


def test_bulk_with_a_ticket_id_past_bigint_is_a_form_error(client_for):
    response = client_for("operations").post(
        reverse("exceptions:bulk"), {"action": "acknowledge", "tickets": [str(2**63)], "key": "k"}
    )
    assert response.status_code == 302
    assert any("valid choice" in m for m in _messages(response))


def test_snooze_wake_after_a_huge_number_of_occurrences_is_refused(client_for):
    ticket = ticket_raise(type_code="stock_push_rejected", source="t", sku="S-1", summary="x")
    client = client_for(ticket.team)
    url = reverse("exceptions:ticket_action", args=[ticket.pk, "snooze"])

    def snooze(wake: str, key: str):
        data = {"snooze-hours": "24", "snooze-wake_after_occurrences": wake, "snooze-key": key}
        return client.post(url, data)

    response = snooze(str(2**63), "k1")
    assert response.status_code == 302
    assert _messages(response) == ["Please correct the form."]
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN
    snooze("3", "k2")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.SNOOZED


def test_a_huge_balance_is_a_form_error(client_for):
    response = client_for("admin").post(
        reverse("syncs:config_balance"),
        {"sku": "A", "ip_warehouse": "main", "status": "damaged", "quantity": str(2**63)},
    )
    assert response.status_code == 302
    assert not StockStatusBalance.objects.exists()


@pytest.mark.parametrize("month", ["1-1", "9999-12", "0-1", f"{2**63}-1"])
def test_reconciliation_months_outside_the_known_years_show_the_current_month(client_for, month):
    response = client_for("finance").get(reverse("reconciliation:index"), {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == timezone.now().date().replace(day=1)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_reconciliation_days_outside_the_known_years_are_404(client_for, day):
    client = client_for("finance")
    assert client.get(reverse("reconciliation:day", args=[day])).status_code == 404
    assert client.get(reverse("reconciliation:sku", args=[day, "A"])).status_code == 404


@pytest.mark.parametrize("per_page", ["-1", "0", str(2**63), "x"])
@pytest.mark.parametrize(
    "name", ["exceptions:index", "syncs:orders", "returns:index", "syncs:stock"]
)
def test_per_page_is_bounded_on_every_list(client_for, name, per_page):
    response = client_for("admin").get(reverse(name), {"per_page": per_page, "page": "-3"})
    assert response.status_code == 200


# -- finding 8: malformed uploads ---------------------------------------------------------------


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize(
    "content",
    [
        b"quantity,status,sku,ip_warehouse\n1,damaged\n",  # short row, reordered header
        b"sku,ip_warehouse,status,quantity\n" + b"A" * 140_000 + b",main,damaged,1\n",
        b"sku,ip_warehouse,status,quantity\n" + b"S" * 101 + b",main,damaged,1\n",
        b"sku,ip_warehouse,status,quantity\nA\x00B,main,damaged,1\n",
    ],
)
def test_a_malformed_status_csv_is_a_clear_error_and_changes_nothing(client_for, content):
    response = client_for("admin").post(
        reverse("syncs:config_status_import"), {"file": _upload("s.csv", content)}
    )
    assert response.status_code == 302
    assert any(m.startswith("Nothing was changed") for m in _messages(response))
    assert not StockStatusBalance.objects.exists()


def test_a_malformed_mapping_csv_is_a_clear_error(client_for):
    content = b"centra_sku,ip_sku\n" + b"A" * 140_000 + b",B\n"
    response = client_for("merchandising").post(
        reverse("syncs:catalog_import"), {"file": _upload("m.csv", content)}
    )
    assert response.status_code == 302
    assert any("not a readable CSV" in m for m in _messages(response))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            {
                "version": 1,
                "safety_stock": [
                    {"scope": "global", "key": None, "kind": "units", "value": "1", "note": None}
                ],
            },
            "must not be null",
        ),
        ({"version": True}, "version must be 1"),  # D3
        (
            {
                "version": 1,
                "warehouse_map": [
                    {"ip_warehouse": "w", "centra_warehouse_id": 3.7, "centra_warehouse_name": ""}
                ],
            },
            "must be a whole number",
        ),  # D3
    ],
)
def test_config_json_that_would_crash_is_refused(data, error):
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(config_io.ConfigImportError) as caught:
        config_io.config_import_text(text=text, actor=None)
    assert error in "; ".join(caught.value.errors)
    assert not ConfigChange.objects.exists()


def test_a_status_with_ledger_history_cannot_be_deleted(client_for):
    status = StockStatus.objects.create(code="held", name="Held")
    ledger.stock_status_move(sku="A", ip_warehouse="w", status="held", delta=1, reason="t")
    ledger.stock_status_move(sku="A", ip_warehouse="w", status="held", delta=-1, reason="t")
    url = reverse("syncs:config_delete", args=["status", status.pk])
    response = client_for("admin").post(url, {"step": "confirm"})
    assert response.status_code == 302
    assert any("ledger history" in m for m in _messages(response))
    assert StockStatus.objects.filter(code="held").exists()
    data = config_io.config_export()
    data["stock_statuses"] = [s for s in data["stock_statuses"] if s["code"] != "held"]
    with pytest.raises(config_io.ConfigImportError, match="held has ledger history"):
        config_io.config_import(data=data, actor=None)
    assert StockStatusMovement.objects.count() == 2


# -- finding 9: settings that would save and then break a page or a task -----------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ReconciliationSettings(grace_hours=99_999_999), "grace_hours"),
        (lambda: ReconciliationSettings(window_days=99_999_999), "window_days"),
        (lambda: ReconciliationSettings(value_tolerance=-1), "value_tolerance"),
        (lambda: CurrencyRate(currency="USD", valid_from="2026-01-01", rate=0), "rate"),
        (lambda: CurrencyRate(currency="USD", valid_from="2026-01-01", rate=-2), "rate"),
        (lambda: StockSettings(pk=1, high_velocity_per_day=-5), "high_velocity_per_day"),
        (
            lambda: SafetyStockRule(scope="global", key="", kind="percent", value=500),
            "value",
        ),
        (
            lambda: TypeOverride(type="stock_push_rejected", acknowledge_within_minutes=10**12),
            "acknowledge_within_minutes",
        ),
    ],
)
def test_out_of_range_settings_do_not_validate(make, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        make().full_clean()
    assert field in caught.value.message_dict


def test_the_reconciliation_settings_screen_refuses_a_grace_that_breaks_the_page(client_for):
    client = client_for("admin")
    response = client.post(
        reverse("reconciliation:configuration"),
        {
            "base_currency": "EUR",
            "unit_tolerance": 0,
            "value_tolerance": 0,
            "grace_hours": 99_999_999,
            "window_days": 62,
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["grace_hours"]
    assert client_for("finance").get(reverse("reconciliation:index")).status_code == 200


# -- finding 10: the built-in in_qc status ------------------------------------------------------


def test_in_qc_can_be_neither_renamed_nor_made_sellable(client_for):
    in_qc = StockStatus.objects.get(code="in_qc")
    response = client_for("admin").post(
        reverse("syncs:config_edit", args=["status", in_qc.pk]),
        {"code": "renamed", "name": "In QC", "sellable": "on", "description": "", "action": "save"},
    )
    assert response.status_code == 200
    assert "sellable" in response.context["form"].errors
    in_qc.refresh_from_db()
    assert (in_qc.code, in_qc.sellable) == ("in_qc", False)
    response = client_for("admin").post(
        reverse("syncs:config_edit", args=["status", in_qc.pk]),
        {"code": "renamed", "name": "QC", "description": "", "action": "save"},
    )
    assert StockStatus.objects.get(pk=in_qc.pk).code == "in_qc"  # the code field is fixed


# -- finding 12 and issue point 6: safe download names ------------------------------------------


@pytest.mark.parametrize(
    "sku", ["a\"; filename*=UTF-8''report.html; x=\"", "ÅÄÖ-日本", "../../etc/passwd", "x" * 400]
)
def test_reconciliation_export_names_are_safe_for_any_sku(client_for, sku):
    url = reverse("reconciliation:sku", args=["2026-03-02", sku])
    response = client_for("finance").get(url, {"export": "orders"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="reconciliation-2026-03-02-')
    assert disposition.count('"') == 2 and "filename*" not in disposition
    assert "/" not in disposition.split("filename=")[1] and len(disposition) < 200


# -- finding 13: the sandbox page when something else answers on SANDBOX_URL -------------------


@pytest.fixture
def not_the_sandbox(settings):
    class Html(BaseHTTPRequestHandler):
        def _answer(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>another service</html>")

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SANDBOX_URL = f"http://127.0.0.1:{server.server_port}"
    yield
    server.shutdown()


def test_the_sandbox_page_survives_a_non_json_answer(client_for, not_the_sandbox):
    client = client_for("admin")
    response = client.get(reverse("syncs:sandbox"))
    assert response.status_code == 200 and response.context["unreachable"]
    response = client.post(reverse("syncs:sandbox"), {"twin": "centra", "fail_next": "1"})
    assert response.status_code == 302
    assert any("something else" in m for m in _messages(response))


# -- finding 14: the WMS read-back trusts no shape ----------------------------------------------


@pytest.mark.parametrize("body", [[1, 2], 7, {"status": "received", "quantity": "5"}])
def test_an_odd_wms_read_back_is_a_permanent_error(body):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    order = StockInOrder(
        key="k", sku="A", variant_id="1", warehouse="w", quantity=5, return_id=1, order_number="1"
    )
    with transports_install(wms_webhook=transport):
        sink = WmsWebhook("https://wms.example/in", "s", timeout=1.0)
        with pytest.raises(PermanentError, match="unexpected shape"):
            sink.confirmed(order)


# -- finding 15: the bulk action's return address keeps HTTPS ----------------------------------


def test_bulk_next_cannot_downgrade_to_http(client_for):
    response = client_for("operations").post(
        reverse("exceptions:bulk"),
        {"action": "acknowledge", "tickets": [], "key": "k", "next": "http://testserver/x"},
        secure=True,
    )
    assert response["Location"] == reverse("exceptions:index")


# -- finding 16: finance settings are audited ---------------------------------------------------


def test_reconciliation_settings_and_rates_are_audited(client_for, personas):
    client = client_for("admin")
    client.post(
        reverse("reconciliation:configuration"),
        {
            "base_currency": "EUR",
            "unit_tolerance": 2,
            "value_tolerance": "1.50",
            "grace_hours": 24,
            "window_days": 62,
        },
    )
    client.post(
        reverse("reconciliation:configuration"),
        {"add_rate": "1", "currency": "usd", "valid_from": "2026-01-01", "rate": "0.9"},
    )
    changes = list(
        ConfigChange.objects.filter(area__in=["reconciliation_settings", "currency_rate"]).order_by(
            "pk"
        )
    )
    assert [c.area for c in changes] == ["reconciliation_settings", "currency_rate"]
    assert changes[0].actor_name == personas["admin"].username
    assert changes[0].after["unit_tolerance"] == "2"
    assert changes[1].object_key == "USD/2026-01-01"


# -- finding 17 and issue point 6: nothing signed-in is cached ----------------------------------


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("home", {}),
        ("exceptions:types", {}),
        ("exceptions:export", {}),
        ("syncs:config_export", {}),
        ("reconciliation:index", {"export": "month"}),
    ],
)
def test_signed_in_answers_are_private_and_not_stored(client_for, name, query):
    response = client_for("admin").get(reverse(name), query)
    assert response.status_code == 200
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache


# -- D2: a status CSV with a BOM (Excel's "CSV UTF-8") -------------------------------------------


def test_a_status_csv_with_a_bom_imports(client_for):
    content = "\ufeffsku,ip_warehouse,status,quantity\nA,main,damaged,2\n".encode()
    client_for("admin").post(
        reverse("syncs:config_status_import"), {"file": _upload("s.csv", content)}
    )
    assert StockStatusBalance.objects.get(sku="A").quantity == 2


def test_a_latin1_status_csv_is_refused_clearly(client_for):
    content = "sku,ip_warehouse,status,quantity\nÅ,main,damaged,2\n".encode("latin-1")
    response = client_for("admin").post(
        reverse("syncs:config_status_import"), {"file": _upload("s.csv", content)}
    )
    assert any("not UTF-8" in m for m in _messages(response))
    assert not StockStatusBalance.objects.exists()


# -- D4: filter values are URL-encoded in the reconciliation links ------------------------------


def test_reconciliation_links_encode_the_channel(client_for):
    response = client_for("finance").get(reverse("reconciliation:index"), {"channel": "a&b#c"})
    assert response.context["query"] == "channel=a%26b%23c"


# -- the feed still works with the documented sandbox password ----------------------------------


def test_the_feed_still_accepts_the_right_credentials(client, settings):
    settings.IP_FEED_PASSWORD = "feed-password"
    pair = base64.b64encode(f"{settings.IP_FEED_USERNAME}:feed-password".encode())
    response = client.head(
        reverse("feeds:ip_sales_orders"), HTTP_AUTHORIZATION=f"Basic {pair.decode()}"
    )
    assert response.status_code == 200
