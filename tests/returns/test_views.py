"""The returns screens: who may read and act, the receiving desk, QC, PRG and double submits."""

import re

import pytest
from django.urls import reverse

from returns.models import ExpectedReturn, ReturnEvent, StockIn
from tests.engines import engine_run
from tests.returns.conftest import in_qc, shipped_return

pytestmark = pytest.mark.django_db
READERS = ("operations", "finance", "ecommerce", "merchandising")


@pytest.fixture
def expected(world):
    centra_return = shipped_return(world, [(world.world.sellable[30], 2)])
    engine_run("returns")
    return ExpectedReturn.objects.get(centra_id=centra_return.id)


@pytest.mark.parametrize("team", [*READERS, "fulfilment", "admin"])
def test_everyone_with_view_returns_reads_the_queue_and_the_return_page(client_for, expected, team):
    client = client_for(team)
    page = client.get(reverse("returns:index"))
    assert page.status_code == 200
    assert f">{expected.centra_id}</a>" in page.content.decode()
    detail = client.get(reverse("returns:detail", args=[expected.centra_id]))
    assert detail.status_code == 200
    assert "Created in Centra" in detail.content.decode()


@pytest.mark.parametrize("team", READERS)
def test_only_fulfilment_and_admin_act_and_a_denied_post_changes_nothing(
    client_for, expected, team
):
    client = client_for(team)
    line = expected.lines.get()
    assert client.get(reverse("returns:receive")).status_code == 403
    assert client.get(reverse("returns:qc")).status_code == 403
    response = client.post(
        reverse("returns:receive_submit", args=[expected.centra_id]),
        {"key": "k", f"qty-{line.pk}": "2"},
    )
    assert response.status_code == 403
    line.refresh_from_db()
    assert line.received_quantity is None and in_qc(line.ip_sku) == 0
    qc = client.post(reverse("returns:qc_submit", args=[line.pk]), {"passed": "2"})
    assert qc.status_code == 403
    assert not StockIn.objects.exists()


def test_the_desk_finds_a_return_by_order_number_or_sku_and_receives_it_once(client_for, expected):
    client = client_for("fulfilment")
    line = expected.lines.get()
    for q in (expected.order_number, line.ip_sku.lower(), str(expected.centra_id)):
        page = client.get(reverse("returns:receive"), {"q": q}).content.decode()
        assert f'name="qty-{line.pk}"' in page, q
    assert (
        "No open return matches"
        in client.get(reverse("returns:receive"), {"q": "nope"}).content.decode()
    )
    url = reverse("returns:receive_submit", args=[expected.centra_id])
    form = {"key": "abc", f"qty-{line.pk}": "2", f"note-{line.pk}": ""}
    first = client.post(url, form)
    second = client.post(url, form)
    assert (first.status_code, first.url) == (302, reverse("returns:receive"))
    assert second.status_code == 302
    assert in_qc(line.ip_sku) == 2
    assert ReturnEvent.objects.filter(kind="received").count() == 1


def test_a_bad_receipt_is_refused_with_a_message_and_nothing_is_written(client_for, expected):
    client = client_for("fulfilment")
    line = expected.lines.get()
    url = reverse("returns:receive_submit", args=[expected.centra_id])
    response = client.post(url, {"key": "x", f"qty-{line.pk}": "1"}, follow=True)
    assert "Expected 2, received 1: add a note saying why." in response.content.decode()
    response = client.post(url, {"key": "y", f"qty-{line.pk}": "two"}, follow=True)
    assert "must be a whole number" in response.content.decode()
    line.refresh_from_db()
    assert line.received_quantity is None and in_qc(line.ip_sku) == 0


def test_qc_pass_from_the_screen_stocks_in_and_completes(client_for, expected):
    client = client_for("fulfilment")
    line = expected.lines.get()
    client.post(
        reverse("returns:receive_submit", args=[expected.centra_id]),
        {"key": "r", f"qty-{line.pk}": "2"},
    )
    page = client.get(reverse("returns:qc")).content.decode()
    assert f'id="qc-{line.pk}"' in page
    url = reverse("returns:qc_submit", args=[line.pk])
    response = client.post(url, {"key": "q", "passed": "2", "failed": "0"}, follow=True)
    assert "QC recorded, stock-in Confirmed." in response.content.decode()
    client.post(url, {"key": "q", "passed": "2", "failed": "0"})
    assert StockIn.objects.count() == 1
    expected.refresh_from_db()
    assert expected.state == "complete"
    detail = client.get(reverse("returns:detail", args=[expected.centra_id])).content.decode()
    assert "Stock-in confirmed" in detail and "Return complete" in detail


def test_the_queue_filters_by_state_and_costs_the_same_queries_for_more_returns(
    client_for, world, django_assert_max_num_queries
):
    for i in range(3):
        shipped_return(world, [(world.world.sellable[40 + i], 1)])
    engine_run("returns")
    client = client_for("operations")
    # 13: the banner asks the schedules when the streams that never ran will first run
    with django_assert_max_num_queries(13) as few:
        client.get(reverse("returns:index"))
    for i in range(6):
        shipped_return(world, [(world.world.sellable[50 + i], 1)])
    engine_run("returns")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("returns:index"), {"state": "expected"})
    assert len(re.findall(r'href="/returns/[0-9]+/"', page.content.decode())) == 9
    empty = client.get(reverse("returns:index"), {"state": "complete"}).content.decode()
    assert "No returns match." in empty


def test_a_missing_in_qc_status_is_a_message_not_a_crash_and_nothing_is_received(
    client_for, expected
):
    from syncs.models import StockStatus

    StockStatus.objects.filter(code="in_qc").delete()
    line = expected.lines.get()
    response = client_for("fulfilment").post(
        reverse("returns:receive_submit", args=[expected.centra_id]),
        {"key": "z", f"qty-{line.pk}": "2"},
        follow=True,
    )
    assert "unknown stock status &#x27;in_qc&#x27;" in response.content.decode()
    line.refresh_from_db()
    assert line.received_quantity is None
    assert not ReturnEvent.objects.filter(kind="received").exists()
