"""The twin's ``orders`` answers from its date index exactly what filtering and sorting
every order would (``syncs.sandbox.centra.order_index``): same orders, same order, same
pages, whatever the dates the orders were placed with."""

import random
from collections import Counter
from datetime import timedelta

import pytest

from .helpers import T0
from .test_twin import post

ORDERS = """query orders($where: OrderFilter, $sort: [OrderSort!], $limit: Int, $page: Int) {
  orders(where: $where, sort: $sort, limit: $limit, page: $page) { number }
}"""
BY_DATE = ["orderDate_ASC", "number_ASC"]


@pytest.fixture
def dated(twin):
    """40 orders placed in a shuffled order of dates, several sharing a date (imported
    orders dated earlier than the ones before them), some cancelled or wholesale."""
    rng = random.Random(7)
    days = [rng.randrange(10) for _ in range(40)]
    for n, day in enumerate(days):
        order = twin.state.place_order(
            [("SHIRTBLU01", 1, "10.00")],
            order_date=T0 - timedelta(days=day),
            store_type="WHOLESALE" if n % 5 == 0 else "DIRECT_TO_CONSUMER",
        )
        if n % 7 == 0:
            twin.state.cancel_order(order.number)
    return twin


def expected(twin, *, window=None, status=None, numbers=None, store_type=None):
    """The reference: every order filtered one by one, sorted by date then number."""
    window = window or {}
    start, end = window.get("from"), window.get("to")
    rows = [
        o
        for o in twin.state.orders.values()
        if (start is None or o.orderDate >= start)
        and (end is None or o.orderDate <= end)
        and (status is None or o.status in status)
        and (numbers is None or o.number in numbers)
        and (store_type is None or o.store.type == store_type)
    ]
    return [o.number for o in sorted(rows, key=lambda o: (o.orderDate, o.number))]


def pages(twin, where, *, sort=BY_DATE, limit=7) -> list[int]:
    """Every page of the query, read until a short page, concatenated."""
    numbers, page = [], 1
    while True:
        variables = {"where": where, "sort": sort, "limit": limit, "page": page}
        body = post(twin, ORDERS, variables).json()
        assert "errors" not in body, body
        got = [row["number"] for row in body["data"]["orders"]]
        numbers += got
        if len(got) < limit:
            return numbers
        page += 1


def ago(days: int):
    return T0 - timedelta(days=days)


def window_of(start_days: int | None, end_days: int | None) -> dict:
    """An ``orderDate`` window from ``start_days`` to ``end_days`` ago (None: open)."""
    ends = (("from", start_days), ("to", end_days))
    return {name: ago(days) for name, days in ends if days is not None}


def as_variable(window: dict) -> dict:
    return {name: value.isoformat() for name, value in window.items()}


@pytest.mark.parametrize(
    "ends",
    [(None, None), (6, None), (None, 3), (7, 2), (2, 7)],
    ids=["all", "from", "to", "between", "inverted"],
)
def test_paging_by_date_within_a_window_is_filtering_every_order(dated, ends):
    window = window_of(*ends)
    got = pages(dated, {"orderDate": as_variable(window)} if window else None)
    assert got == expected(dated, window=window)
    assert len(set(got)) == len(got)


def test_a_window_end_is_inclusive_at_both_ends(dated):
    [(day, _)] = Counter(o.orderDate for o in dated.state.orders.values()).most_common(1)
    on_the_day = [o.number for o in dated.state.orders.values() if o.orderDate == day]
    assert len(on_the_day) > 1
    window = {"from": day.isoformat(), "to": day.isoformat()}
    assert pages(dated, {"orderDate": window}) == sorted(on_the_day)


@pytest.mark.parametrize("limit", [1, 3, 40, 200])
def test_every_page_size_reads_the_same_orders(dated, limit):
    window = window_of(8, 1)
    got = pages(dated, {"orderDate": as_variable(window)}, limit=limit)
    assert got == expected(dated, window=window)


def test_other_filters_apply_on_top_of_the_window(dated):
    window = window_of(8, None)
    where = {
        "orderDate": as_variable(window),
        "status": ["CONFIRMED"],
        "storeType": "DIRECT_TO_CONSUMER",
    }
    reference = expected(
        dated, window=window, status={"CONFIRMED"}, store_type="DIRECT_TO_CONSUMER"
    )
    assert 0 < len(reference) < len(expected(dated, window=window))
    assert pages(dated, where, limit=4) == reference


def test_a_page_past_the_end_is_empty(dated):
    where = {"orderDate": as_variable(window_of(3, None))}
    variables = {"where": where, "sort": BY_DATE, "limit": 200, "page": 2}
    assert post(dated, ORDERS, variables).json()["data"]["orders"] == []


def test_reads_by_number_answer_the_named_orders_in_number_order(dated):
    numbers = [31, 4, 17, 4, 999, 12]
    got = pages(dated, {"number": numbers}, sort=["number_ASC"], limit=200)
    assert got == [4, 12, 17, 31]
    assert pages(dated, {"number": []}, sort=["number_ASC"]) == []


def test_other_sorts_keep_placing_order_between_ties(dated):
    """A sort the index does not hold is the stable sort of every order in placing order."""
    got = pages(dated, None, sort=["orderDate_DESC"], limit=200)
    rows = sorted(dated.state.orders.values(), key=lambda o: o.orderDate, reverse=True)
    assert got == [o.number for o in rows]
