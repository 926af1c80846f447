"""django-tables2's ``RequestConfig`` with ``?per_page=`` bounded.

The stock one passes any integer to the paginator: ``per_page=-1`` raises EmptyPage from
inside its own "show the last page" fallback (a 500 on every list), and ``per_page=10**9``
asks for every row at once. Here it is clamped to 1..``PER_PAGE_MAX``; ``page`` is already
forgiving (not a number: the first page; past the end: the last).
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django_tables2 import RequestConfig as _RequestConfig

from centra_ip.limits import PER_PAGE_MAX


class RequestConfig(_RequestConfig):
    def configure(self, table):
        field = table.prefixed_per_page_field
        try:
            asked = int(self.request.GET[field])
        except (KeyError, ValueError):
            return super().configure(table)
        bounded = min(max(asked, 1), PER_PAGE_MAX)
        if bounded != asked:
            query = self.request.GET.copy()
            query[field] = str(bounded)
            self.request.GET = query  # the page links then carry the bounded value too
        return super().configure(table)


class CountedPaginator(Paginator):
    """A paginator told its row count by a view that has already counted the rows another
    way (the queue's counts by type add up to it), so the rows are not counted twice: at a
    million tickets each count is a scan."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count
