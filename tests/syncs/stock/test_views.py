"""The stock and configuration screens: who may do what, and what they show."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncs.models import (
    ConfigChange,
    SafetyStockRule,
    StockPosition,
    StockPush,
    StockPushLine,
)
from syncs.sandbox.world import IP_WAREHOUSE
from syncs.stock.plan import read_to_write
from tests.syncs.stock.conftest import stock_cycle

pytestmark = pytest.mark.django_db

RULE = {"scope": "global", "key": "", "kind": "units", "value": "2", "note": "", "action": "save"}


def test_everyone_reads_the_configuration(client_for):
    for team in ("operations", "finance", "admin"):
        assert client_for(team).get("/configuration/").status_code == 200


@pytest.mark.parametrize("team", ["operations", "ecommerce", "merchandising"])
def test_only_admins_change_rules(client_for, team):
    client = client_for(team)
    assert client.post("/syncs/config/safety_stock/new/", RULE).status_code == 403
    upload = SimpleUploadedFile("c.json", b'{"version": 1}')
    assert client.post("/syncs/config/import/", {"file": upload}).status_code == 403
    assert client.get("/syncs/config/settings/").status_code == 403
    assert SafetyStockRule.objects.count() == 0
    assert ConfigChange.objects.count() == 0


def test_admin_previews_then_saves_a_rule(client_for):
    StockPosition.objects.create(sku="A", centra_warehouse_id=1, on_hand=10)
    client = client_for("admin")
    preview = client.post("/syncs/config/safety_stock/new/", {**RULE, "action": "preview"})
    assert preview.status_code == 200
    assert "1 change ATS" in preview.content.decode()
    assert SafetyStockRule.objects.count() == 0
    saved = client.post("/syncs/config/safety_stock/new/", RULE)
    assert saved.status_code == 302
    change = ConfigChange.objects.get()
    assert (change.actor_name, change.action) == ("admin-persona", "created")


def test_a_global_rule_with_a_key_is_refused(client_for):
    response = client_for("admin").post("/syncs/config/safety_stock/new/", {**RULE, "key": "oops"})
    assert response.status_code == 200
    assert SafetyStockRule.objects.count() == 0


def test_export_then_bad_import_changes_nothing(client_for):
    client = client_for("admin")
    exported = json.loads(client.get("/syncs/config/export/").content)
    assert exported["version"] == 1
    exported["safety_stock"] = [{"scope": "sku", "key": "", "kind": "units", "value": "1"}]
    upload = SimpleUploadedFile("c.json", json.dumps(exported).encode())
    response = client.post("/syncs/config/import/", {"file": upload}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert SafetyStockRule.objects.count() == 0


def test_held_push_release_is_for_operations_not_finance(mapped, client_for):
    stock_cycle()
    for position in StockPosition.objects.all():
        mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    assert stock_cycle().held
    stock_push = StockPush.objects.get(status="held")
    page = client_for("finance").get(f"/syncs/stock/pushes/{stock_push.pk}/")
    assert "sets" in page.content.decode() and "Release" not in page.content.decode()
    denied = client_for("finance").post(f"/syncs/stock/pushes/{stock_push.pk}/release/")
    assert denied.status_code == 403
    stock_push.refresh_from_db()
    assert stock_push.status == "held"
    url = f"/syncs/stock/pushes/{stock_push.pk}/release/"
    unconfirmed = client_for("operations").post(url, {"confirm": "ok"}, follow=True)
    assert "type " + str(stock_push.lines.count()) in unconfirmed.content.decode()
    stock_push.refresh_from_db()
    assert stock_push.status == "held"
    released = client_for("operations").post(url, {"confirm": str(stock_push.lines.count())})
    assert released.status_code == 302
    stock_push.refresh_from_db()
    assert stock_push.status == "sent"
    assert not stock_push.lines.filter(status=StockPushLine.Status.PLANNED).exists()


def test_dry_run_from_the_screen_shows_the_blast_radius_and_explainer(mapped, client_for):
    client = client_for("operations")
    response = client.post("/syncs/stock/dry-run/")
    assert response.status_code == 302
    preview = StockPush.objects.get(status="preview")
    page = client.get(response.url).content.decode()
    to_zero = preview.lines.filter(quantity=0).count()
    assert f"This push sets {to_zero} SKUs to zero" in page
    line = preview.lines.order_by("position").first()
    explainer = client.get(f"/syncs/stock/sku/{line.sku}/").content.decode()
    assert "= ATS" in explainer and "On hand" in explainer


def test_push_page_queries_do_not_grow_with_lines(mapped, client_for):
    stock_cycle(dry_run=True)
    preview = StockPush.objects.get()
    client = client_for("operations")
    url = f"/syncs/stock/pushes/{preview.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    preview.lines.exclude(pk__in=list(preview.lines.values_list("pk", flat=True)[:3])).delete()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    assert len(many) == len(few)


def test_stock_history_page(mapped, client_for):
    stock_cycle()
    page = client_for("finance").get("/syncs/stock/")
    assert page.status_code == 200
    assert "Run history" in page.content.decode()


def test_the_docs_page_renders(client_for):
    page = client_for("finance").get("/docs/stock-engine/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "The stock engine" in html and "Not clobbering Centra" in html


def test_stock_history_queries_do_not_grow_with_runs(mapped, client_for):
    client = client_for("operations")
    stock_cycle()
    client.get("/syncs/stock/")
    with CaptureQueriesContext(connection) as few:
        client.get("/syncs/stock/")
    for _ in range(3):
        stock_cycle(dry_run=True)
    with CaptureQueriesContext(connection) as many:
        client.get("/syncs/stock/")
    assert len(many) == len(few)


FAT_FINGER = {**RULE, "value": "1000"}


def test_a_rule_the_guard_would_hold_is_saved_only_with_the_typed_size(mapped, client_for):
    stock_cycle()
    client = client_for("admin")
    page = client.post("/syncs/config/safety_stock/new/", FAT_FINGER, follow=True)
    html = page.content.decode()
    changed = StockPosition.objects.filter(ats__gt=0).count()
    assert 'id="guard-warning"' in html and "would go to zero" in html
    assert f"Not saved: the guard would hold the next push. To go ahead, type {changed}" in html
    assert not SafetyStockRule.objects.exists()
    assert not ConfigChange.objects.filter(area="safety_stock").exists()
    client.post("/syncs/config/safety_stock/new/", {**FAT_FINGER, "confirm": str(changed + 1)})
    assert not SafetyStockRule.objects.exists()
    saved = client.post("/syncs/config/safety_stock/new/", {**FAT_FINGER, "confirm": str(changed)})
    assert saved.status_code == 302
    assert SafetyStockRule.objects.get().value == 1000


def test_a_small_rule_is_saved_in_one_step(mapped, client_for):
    stock_cycle()
    response = client_for("admin").post("/syncs/config/safety_stock/new/", RULE)
    assert response.status_code == 302
    assert SafetyStockRule.objects.get().value == 2


def test_deleting_a_rule_shows_its_effect_first_and_deletes_on_confirmation(mapped, client_for):
    stock_cycle()
    client = client_for("admin")
    client.post("/syncs/config/safety_stock/new/", RULE)
    rule = SafetyStockRule.objects.get()
    url = f"/syncs/config/safety_stock/{rule.pk}/delete/"
    first = client.post(url)
    html = first.content.decode()
    assert first.status_code == 200
    assert "What if you delete this" in html and 'name="step" value="confirm"' in html
    assert SafetyStockRule.objects.filter(pk=rule.pk).exists()
    assert client.post(url, {"step": "confirm"}).status_code == 302
    assert not SafetyStockRule.objects.exists()
    assert ConfigChange.objects.filter(area="safety_stock", action="deleted").count() == 1


def test_a_sent_push_shows_ip_read_to_centra_write_per_lane(mapped, client_for):
    result = stock_cycle()
    figures = result.counts["read_to_write"]
    lanes = StockPush.objects.get(status="sent").lines.values_list("lane", flat=True)
    assert {lane: figures[lane]["lines"] for lane in figures} == {
        lane: list(lanes).count(lane) for lane in set(lanes)
    }
    for lane in figures.values():
        assert 0 <= lane["p50"] <= lane["max"]
    stock_push = StockPush.objects.get(status="sent")
    page = client_for("finance").get(f"/syncs/stock/pushes/{stock_push.pk}/").content.decode()
    assert "IP read to Centra write" in page
    for lane in figures:
        assert f"<td>{StockPushLine.Lane(lane).label}</td><td>{figures[lane]['lines']}</td>" in page
    index = client_for("finance").get("/syncs/stock/").content.decode()
    assert "IP read to Centra write, zero lane (slowest s)" in index


def test_the_stock_page_shows_each_lanes_read_to_write_over_the_last_24_hours(mapped, client_for):
    first = stock_cycle().counts["read_to_write"]
    position = StockPosition.objects.filter(ats__gt=0).order_by("sku").first()
    mapped.inventory_planner.set_stock(position.sku, IP_WAREHOUSE, 0)
    latest = stock_cycle().counts["read_to_write"]
    assert list(latest) == ["zero"]
    stock_cycle(dry_run=True)  # a preview sends nothing: not a write
    old = StockPush.objects.create(
        status=StockPush.Status.SENT,
        counts={"read_to_write": {"zero": {"lines": 9, "p50": 500.0, "p95": 900.0, "max": 999.0}}},
    )
    StockPush.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(hours=25))
    page = client_for("finance").get("/syncs/stock/").content.decode()
    assert "IP read to Centra write, last 24 hours" in page
    zero = latest["zero"]
    runs = [figures for figures in (first, latest) if "zero" in figures]
    lines = sum(f["zero"]["lines"] for f in runs)
    worst, slowest = max(f["zero"]["p95"] for f in runs), max(f["zero"]["max"] for f in runs)
    expected = (
        f"<td>To zero</td><td>{len(runs)}</td><td>{lines}</td><td>{zero['p95']}</td>"
        f"<td>{worst}</td><td>{slowest}</td>"
    )
    assert expected in page
    for lane, figure in first.items():
        if lane != "zero":
            label = StockPushLine.Lane(lane).label
            assert (
                f"<td>{label}</td><td>1</td><td>{figure['lines']}</td><td>{figure['p95']}</td>"
                f"<td>{figure['p95']}</td><td>{figure['max']}</td>"
            ) in page
    assert "999.0" not in page  # older than 24 hours


def test_read_to_write_takes_each_line_from_the_start_of_the_read_it_came_from():
    read = timezone.now()
    watched = read + timedelta(seconds=200)
    lines = [
        StockPushLine(pk=n, lane="velocity", status="sent", sent_at=read + timedelta(seconds=n))
        for n in range(1, 21)
    ]
    lines.append(
        StockPushLine(pk=99, lane="zero", status="sent", sent_at=watched + timedelta(seconds=4))
    )
    lines.append(StockPushLine(pk=98, lane="zero", status="rejected", sent_at=read))
    figures = read_to_write(lines, read_started=read, read_by_line={99: watched})
    assert figures == {
        "zero": {"lines": 1, "p50": 4.0, "p95": 4.0, "max": 4.0},
        "velocity": {"lines": 20, "p50": 10.0, "p95": 19.0, "max": 20.0},
    }
