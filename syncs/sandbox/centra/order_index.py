"""The twin's orders kept sorted by ``(orderDate, number)``: the order the orders engine
pages in (``orders(sort: [orderDate_ASC, number_ASC])``, windowed on ``orderDate``).

Without it the twin filtered and sorted every order it holds on every page, so reading N
orders cost N²/page-size: a benchmark of 50,000 orders spent its time in the twin, not in
the code it measures. With it a date window is two bisects and a page is a slice. The
twin's answers are the same either way (``tests/syncs/centra/test_twin_order_index.py``).

``orderDate`` is fixed when an order is placed and never changes (Centra's is the date the
order was placed), which is what makes the index safe to keep rather than rebuild.
"""

from bisect import bisect_left, bisect_right, insort
from itertools import islice

from .entities import Order


def date_and_number(order: Order):
    return order.orderDate, order.number


def order_date(order: Order):
    return order.orderDate


class OrdersByDate:
    """Every order, ascending by ``(orderDate, number)``."""

    SORT = ("orderDate_ASC", "number_ASC")

    def __init__(self):
        self.orders: list[Order] = []

    def add(self, order: Order) -> None:
        """Appends when the order is the newest (the usual case); inserts when it is dated
        earlier (an imported order)."""
        insort(self.orders, order, key=date_and_number)

    def within(self, window) -> tuple[int, int]:
        """The index range of the orders whose ``orderDate`` is in ``window`` (an
        ``OrderFilter`` date range, ends inclusive, either end optional, empty = all)."""
        window = window or {}
        start, end = window.get("from"), window.get("to")
        low = 0 if start is None else bisect_left(self.orders, start, key=order_date)
        high = len(self.orders) if end is None else bisect_right(self.orders, end, key=order_date)
        return low, max(low, high)

    def page(self, window, start: int, stop: int, keep=None) -> list[Order]:
        """Rows ``start:stop`` of the orders in ``window`` that ``keep`` accepts (all when
        ``keep`` is None, and then without looking at the ones before ``start``)."""
        low, high = self.within(window)
        if keep is None:
            return self.orders[min(low + start, high) : min(low + stop, high)]
        return list(islice(filter(keep, islice(self.orders, low, high)), start, stop))
