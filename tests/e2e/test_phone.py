"""The ticket page, the queue, the receiving desk and QC on a 390 px phone: the page never
scrolls sideways and the first action is on the first screen."""

import pytest
from playwright.sync_api import expect

from returns.models import ExpectedReturn
from tests.e2e.test_returns import twins  # noqa: F401  (a sandbox with two shipped returns)

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] + box["height"] <= PHONE["height"]


def test_the_desk_works_on_a_phone(twins, page, login):  # noqa: F811
    from exceptions.services import ticket_raise

    ticket = ticket_raise(
        type_code="push_held",
        source="stock",
        stream="stock",
        summary="Stock push 5 held: 2138 of 2139 SKUs with stock would go to zero " * 3,
        context={"push": 5, "reasons": ["x" * 400]},
    )
    page.set_viewport_size(PHONE)
    login("admin")
    page.goto(f"/exceptions/{ticket.pk}/")
    assert page_width(page) == PHONE["width"]
    assert on_first_screen(page.get_by_role("button", name="Acknowledge"))

    page.goto("/exceptions/?team=")
    assert page_width(page) == PHONE["width"]
    expect(page.get_by_label("Type")).to_be_hidden()  # the filters fold away
    page.get_by_text("More filters").click()
    expect(page.get_by_label("Type")).to_be_visible()

    first = ExpectedReturn.objects.order_by("centra_id").first()
    page.goto("/returns/receive/")
    assert page_width(page) == PHONE["width"]
    page.get_by_label("Scan or type").fill(first.order_number)
    page.keyboard.press("Enter")
    sku = first.lines.get().ip_sku
    assert on_first_screen(page.get_by_label(f"Received {sku}"))
    assert page_width(page) == PHONE["width"]
    page.keyboard.press("Enter")
    expect(page.locator(".message.success")).to_contain_text(f"Return {first.centra_id}")
    page.goto("/returns/qc/")
    assert page_width(page) == PHONE["width"]
    assert on_first_screen(page.get_by_label(f"Passed {sku}"))
