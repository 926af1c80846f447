"""``any_of``: a column in a list of values, as one array parameter on PostgreSQL.

The orders engine looks up each batch's orders, lines and feed rows by their Centra keys
(100-300 of them a batch). Django's ``__in`` writes one placeholder per value, which
psycopg then splits and quotes in Python and PostgreSQL parses and plans as a list of
literals: in the backfill, the lookups of new lines and feed rows cost more of the hub's
and the database's CPU than storing them (docs/benchmarks.md, "The orders backfill").
``= ANY(%s)`` with the values as one array is the same condition, one parameter.
Elsewhere (SQLite) it is ``IN``.
"""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import F
from django.db.models.lookups import In
from django.utils.datastructures import OrderedSet


class AnyOf(In):
    """``IN``, written ``= ANY(array)`` on PostgreSQL (no ``None``: it matches nothing)."""

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
