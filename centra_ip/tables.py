"""The one base of every list on the screens (django-tables2): ``pk`` last, and the pages.

Every orderable column sorts with ``pk`` as its last key, in the column's direction, so
pages never overlap or skip rows when many share a value (a run raises thousands of tickets
with the same ``last_seen``); a table declares only the columns that matter
(``order_by=("status",)``). ``configure(request)`` pages it by ``PER_PAGE`` with ``?per_page=``
bounded (``centra_ip.pagination``). NetBox applies its tie-breaker the same way, once, in
its base table. Bottom layer: imports nothing of ours but the bottom layer.
"""

import django_tables2 as tables
from django_tables2.data import TableQuerysetData
from django_tables2.utils import OrderByTuple

from centra_ip.pagination import RequestConfig

PER_PAGE = 50  # rows on one page of every list, unless ?per_page= asks otherwise


class BaseTable(tables.Table):
    rows_per_page = PER_PAGE  # a table whose rows are read as one list may say more

    @property
    def order_by(self):
        return self._order_by

    @order_by.setter
    def order_by(self, value):
        if isinstance(self.data, TableQuerysetData):
            self._pk_last()
        tables.Table.order_by.fset(self, value)

    def _pk_last(self) -> None:
        """Append ``pk`` to each orderable column's keys (this instance's copy of them)."""
        for bound in self.columns:
            column = bound.column
            keys = column.order_by or OrderByTuple((bound.accessor,))
            if bound.orderable and not any(key.bare == "pk" for key in keys):
                column.order_by = OrderByTuple((*keys, "pk"))

    def configure(self, request, **paginate) -> "BaseTable":
        """Order and page the table as the request asks (``?sort=``, ``?page=``,
        ``?per_page=`` bounded); ``paginate``: more of the paginator's arguments (a view
        that has counted the rows passes ``paginator_class=CountedPaginator, count=n``)."""
        paginate = {"per_page": self.rows_per_page, **paginate}
        RequestConfig(request, paginate=paginate).configure(self)
        return self
