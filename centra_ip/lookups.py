"""``any_of``: a column in a list of values, as one array parameter on PostgreSQL.

Engines look rows up by hundreds to tens of thousands of keys at once (an order batch's
Centra ids, an engine run's ticket fingerprints). Django's ``__in`` writes one placeholder
per value, which psycopg then splits and quotes in Python and PostgreSQL parses and plans
as a list of literals: in the orders backfill and in a 10,000-condition engine run that
cost more of the hub's and the database's CPU than the writes (docs/benchmarks.md, issue
17). ``= ANY(%s)`` with the values as one array is the same condition, one parameter.
Elsewhere (SQLite) it is Django's own ``IN``; ``in_chunks`` keeps it below SQLite's limit.
"""

from collections.abc import Iterable, Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F
from django.db.models.lookups import In
from django.utils.datastructures import OrderedSet

from centra_ip.chunks import chunked


class AnyOf(In):
    """``IN``, written ``= ANY(array)`` on PostgreSQL (``None`` matches nothing, as in
    ``IN``). The values are prepared by the field as ``IN`` prepares them: sending them
    unprepared saved some CPU but doubled the orders backfill's peak memory (2.8 -> 5.6
    MiB at 10,000 orders, measured A/B; docs/benchmarks.md)."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = OrderedSet(self.rhs)
        values.discard(None)
        if not values:
            raise EmptyResultSet
        _, params = self.batch_process_rhs(compiler, connection, values)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(params))


def any_of(field: str, values: Iterable) -> AnyOf:
    """A filter: ``field`` is one of ``values`` (already of the field's Python type)."""
    return AnyOf(F(field), list(values))


def in_chunks(values: list) -> Iterator[list]:
    """``values`` in as few lists as the database takes in one ``any_of``: all at once on
    PostgreSQL (one array), else below SQLite's 999 parameters."""
    if connection.vendor == "postgresql":
        yield from ([values] if values else [])
    else:
        yield from chunked(values, 900)
