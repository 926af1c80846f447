"""The queue's pages, ids first.

A page of the queue is read in two steps: the ids of its 50 rows, in the page's order, then
those rows by primary key. The first step is answered from an index alone however deep the
page (the active queue's indexes carry the status and team), where reading the rows at once
made PostgreSQL fetch every row it skipped: the last page of all teams, 2,700 pages deep,
took 0.75 s at 1,000,000 tickets (issue 17).
"""

from django.core.paginator import Paginator

from centra_ip.pagination import CountedPaginator
from exceptions.selectors import queue_queryset


class IdsFirst:
    """A paginator mix-in for django-tables2 pages of a queryset of tickets."""

    def _get_page(self, rows, number, paginator):
        ids = list(rows.data.values_list("pk", flat=True))
        found = queue_queryset().in_bulk(ids)
        # a ticket deleted between the two reads (in the admin) is left out, not an error
        rows.data = [found[pk] for pk in ids if pk in found]
        return super()._get_page(rows, number, paginator)


class QueuePaginator(IdsFirst, Paginator):
    """For a page whose rows the paginator counts itself (a type is chosen)."""


class CountedQueuePaginator(IdsFirst, CountedPaginator):
    """For a view that has counted the rows already (``CountedPaginator``)."""
