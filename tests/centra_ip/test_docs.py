from decimal import Decimal

from centra_ip import operating_model
from centra_ip.schedules import ScheduleSpec
from exceptions.models import TeamRoute, TypeOverride
from syncs.models.config import (
    ChannelAllocation,
    SafetyStockRule,
    Scope,
    StockStatus,
    WarehouseMapping,
)


def test_docs_index_lists_the_pages_of_the_docs_folder(client_for, settings, tmp_path):
    (tmp_path / "triage.md").write_text("# How to triage\n\nRead [the desk](desk.md#top).\n")
    (tmp_path / "desk.md").write_text("# The desk\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    (tmp_path / "training-finance.md").write_text("# Finance tour\n")
    settings.DOCS_DIR = tmp_path
    client = client_for("finance")
    index = client.get("/docs/").content.decode()
    assert '<a href="/docs/desk/">The desk</a>' in index
    assert '<a href="/docs/triage/">How to triage</a>' in index
    assert (
        '<ul class="doclist" id="training-pages"><li><a href="/docs/training-finance/">'
        "Finance tour</a></li></ul>" in index
    )
    page = client.get("/docs/triage/").content.decode()
    assert '<h1 id="how-to-triage">How to triage</h1>' in page
    assert 'href="/docs/desk/#top"' in page
    assert "<td>1</td>" in client.get("/docs/desk/").content.decode()


def test_an_unknown_docs_page_is_404(client_for):
    client = client_for("finance")
    assert client.get("/docs/no-such-page/").status_code == 404
    assert client.get("/docs/runbooks/no_such_type/").status_code == 404


def test_a_page_has_a_table_of_contents_of_its_headings(client_for, settings, tmp_path):
    (tmp_path / "guide.md").write_text("# Guide\n\n## First step\n\n### Detail\n\n## Second\n")
    settings.DOCS_DIR = tmp_path
    page = client_for("finance").get("/docs/guide/").content.decode()
    assert (
        '<nav class="docs-toc" aria-label="On this page"><h2>On this page</h2><div class="toc">\n'
        '<ul>\n<li><a href="#first-step">First step</a><ul>\n'
        '<li><a href="#detail">Detail</a></li>\n'
        '</ul>\n</li>\n<li><a href="#second">Second</a></li>\n</ul>\n</div>\n</nav>' in page
    )


def test_search_finds_pages_by_every_word_and_shows_a_snippet(client_for, settings, tmp_path):
    (tmp_path / "a.md").write_text("# Alpha\n\nThe stock push is paced to the quota.\n")
    (tmp_path / "b.md").write_text("# Beta\n\nStock only.\n")
    settings.DOCS_DIR = tmp_path
    response = client_for("finance").get("/docs/", {"q": "STOCK quota"})
    results = response.context["results"]
    assert [r["page"].slug for r in results] == ["a"]
    assert results[0]["snippet"] == "Alpha The stock push is paced to the quota.…"
    assert "1 page mention “STOCK quota”" in response.content.decode()


def test_search_reaches_live_sections(client_for, settings, tmp_path):
    (tmp_path / "model.md").write_text("# Model\n\n{{ live:data-ownership }}\n")
    (tmp_path / "other.md").write_text("# Other\n\nOrders.\n")
    settings.DOCS_DIR = tmp_path
    found = client_for("finance").get("/docs/", {"q": "never writes orders"}).context["results"]
    assert [r["page"].slug for r in found] == ["model"]


def _ownership_row(html: str, code: str) -> str:
    start = html.index(f'<tr id="ownership-{code}">')
    return html[start : html.index("</tr>", start)]


def test_the_exception_ownership_table_follows_overrides_and_routes(client_for):
    client = client_for("operations")
    row = _ownership_row(client.get("/docs/operating-model/").content.decode(), "stock_drift")
    assert '<td class="owner">Operations</td>' in row
    assert "acknowledge within 1 h, resolve within 4 h" in row
    assert "E-mail to the team&#x27;s members, as it happens and in the daily digest" in row
    assert "A stock cycle reads Centra availability within tolerance of ATS." in row
    assert '<a href="/docs/runbooks/stock_drift/">Runbook</a>' in row
    no_retry = _ownership_row(
        client.get("/docs/operating-model/").content.decode(), "return_overdue"
    )
    assert "<td>none: fix at the source, it then resolves itself</td>" in no_retry

    TypeOverride.objects.create(type="stock_drift", team="ecommerce", acknowledge_within_minutes=30)
    TeamRoute.objects.create(
        team="ecommerce",
        email="shop@example.com",
        webhook_url="https://hooks.example.com/secret-token",
        immediate=False,
    )
    html = client.get("/docs/operating-model/").content.decode()
    row = _ownership_row(html, "stock_drift")
    assert '<td class="owner">E-commerce <em>(set by an admin)</em></td>' in row
    assert "acknowledge within 30 min, resolve within 4 h" in row
    assert "E-mail to shop@example.com and the team&#x27;s webhook, daily digest" in row
    assert "secret-token" not in html


def test_the_stock_sections_say_the_configuration_in_plain_words(client_for):
    StockStatus.objects.all().delete()
    StockStatus.objects.create(code="in_qc", name="In QC", sellable=False)
    StockStatus.objects.create(code="display", name="On display", sellable=True)
    SafetyStockRule.objects.create(scope=Scope.GLOBAL, kind="units", value=Decimal("2.00"))
    SafetyStockRule.objects.create(
        scope=Scope.SKU, key="SKU-1", kind="percent", value=Decimal("12.50"), note="launch"
    )
    SafetyStockRule.objects.create(
        scope=Scope.CATEGORY, key="shoes", kind="days_of_cover", value=Decimal("3")
    )
    ChannelAllocation.objects.create(
        channel="wholesale", scope=Scope.GLOBAL, kind="units", value=Decimal("1")
    )
    WarehouseMapping.objects.create(
        ip_warehouse="WH-A", centra_warehouse_id=7, centra_warehouse_name="Main"
    )
    html = client_for("finance").get("/docs/operating-model/").content.decode()
    assert (
        "<li><strong>In QC</strong> (<code>in_qc</code>): units in this status <strong>cannot"
        "</strong> be sold; they are taken off available to sell.</li>" in html
    )
    assert "<strong>can</strong> be sold; they stay in available to sell." in html
    rules = html[html.index('id="live-safety-stock"') :]
    assert rules.index("SKU SKU-1</strong>: hold back 12.5% of the units on hand.") < rules.index(
        "Category shoes</strong>: hold back 3 days of cover at the forecast daily sales velocity."
    )
    assert "<strong>Every SKU (the global rule)</strong>: hold back 2 units." in rules
    assert (
        "Channel <strong>wholesale</strong>, Every SKU (the global rule): hold back 1 unit." in html
    )
    assert "<tr><td>WH-A</td><td>Main (id 7)</td></tr>" in html


def test_the_schedules_section_follows_the_streams_and_schedules(client_for, settings, monkeypatch):
    monkeypatch.setattr(
        operating_model,
        "SCHEDULES",
        (
            ScheduleSpec(name="watchdog", func="syncs.tasks.watchdog", minutes=5),
            ScheduleSpec(name="orders", func="syncs.tasks.run_stream", minutes=2, args=("orders",)),
        ),
    )
    settings.FRESHNESS_RED_FACTOR = 2.0
    html = client_for("finance").get("/docs/operating-model/").content.decode()
    start = html.index('<tr id="schedule-stock">')
    row = html[start : html.index("</tr>", start)]
    assert "<td>5 min</td><td>30 min</td><td>30 min / 1 h</td>" in row
    assert "not scheduled: run with <code>manage.py sync stock</code>" in row
    start = html.index('<tr id="schedule-orders">')
    assert "<td>runs every 2 min</td>" in html[start : html.index("</tr>", start)]
    for code in ("catalog", "returns"):
        assert f'<tr id="schedule-{code}">' in html
    assert "<ul><li>watchdog: every 5 min</li></ul>" in html


def test_an_unknown_live_section_shows_on_the_page(client_for, settings, tmp_path):
    (tmp_path / "p.md").write_text("# P\n\n{{ live:no-such }}\n")
    settings.DOCS_DIR = tmp_path
    html = client_for("finance").get("/docs/p/").content.decode()
    assert '<p class="live-missing">Unknown live section “no-such”.</p>' in html
