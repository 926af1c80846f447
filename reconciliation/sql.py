"""The SQL shapes the computation is built from: one side's figures grouped by some keys
(``side``), and sides joined into rows (``joined_select``) that are inserted into a computed
table (``insert_joined``, ``insert_select``) or read as they are (``joined_rows``).

The queries are built with the ORM and compiled for the connection, so the brand-local day
(``TruncDate`` with the brand's zone) is right on SQLite and PostgreSQL alike. The planner's
settings for them: ``planner_settings`` (a computation's transaction), ``grouped_by_hashing``.
"""

from contextlib import contextmanager

from django.db import connection
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Collate

from reconciliation.figures import FIGURES, MONEY, MONEY_FIGURES, SLICES

TEXT_KEYS = {"sku", *SLICES}


def _group_key(name: str, expression):
    """On PostgreSQL a text key groups byte-wise (``COLLATE "C"``): the same groups, as
    equality does not depend on the collation, but sorted without the locale's rules, which
    saves a tenth of grouping a month's lines."""
    if name in TEXT_KEYS and connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def side(queryset, dims: dict, measures: dict):
    """``SELECT dims, SUM(measure)... GROUP BY dims``: one side's own figures only (the
    others are filled in when the sides are joined, never summed as zeros)."""
    keyed = {f"k_{name}": _group_key(name, expression) for name, expression in dims.items()}
    sums = {
        name: expression
        if _aggregate(expression)  # summed already (and scaled)
        else Sum(expression, output_field=MONEY if name in MONEY_FIGURES else IntegerField())
        for name, expression in measures.items()
    }
    if all(_aggregate(expression) for expression in dims.values()):
        # The rows are one group (a ``LATERAL`` side, computed per order): a plain aggregate
        # without ``GROUP BY``, which PostgreSQL runs a third faster per order than grouping
        # one group. The key is then an aggregate too (``MAX(order_id)``: NULL when there
        # are no rows, as a missing group would be).
        one = queryset.order_by().values(one_group=Value(1)).annotate(**keyed, **sums)
        return one.values(*keyed, *sums)
    return queryset.order_by().annotate(**keyed).values(*keyed).annotate(**sums)


def _aggregate(expression) -> bool:
    return getattr(expression, "contains_aggregate", False)


def insert_select(model, dims: list[str], union, figures=FIGURES) -> int:
    """``INSERT INTO model (dims, figures) SELECT dims, SUM(figures) FROM (union) GROUP BY``.

    The union's dimension columns are aliased ``k_<column>`` (an annotation may not take the
    name of a model field); figures keep their names.
    """
    sql, params = union.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    columns = [*dims, *figures]
    sums = ", ".join(f"COALESCE(SUM(u.{quote(name)}), 0)" for name in figures)
    dim_list = ", ".join(f"u.{quote('k_' + name)}" for name in dims)
    # Only quoted identifiers from our own models and the ORM-compiled SQL go in; every
    # value stays a query parameter.
    target = f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    select = f"SELECT {dim_list}, {sums} FROM ({sql}) u GROUP BY {dim_list}"  # noqa: S608
    statement = f"INSERT INTO {target} {select}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def joined_select(
    dims: list[str],
    sides: list,
    *,
    on: list[str],
    figures,
    figures_required=False,
    lateral=False,
) -> tuple[str, list]:
    """``SELECT ... FROM side0 FULL JOIN side1 ON (keys) FULL JOIN ...``: SQL and parameters.

    Each side is grouped on its own rows with its own figures (``side``); the join puts
    them side by side, one row per key, with the columns ``dims`` then ``figures``. A
    dimension or figure is taken from the sides that have it; figures no side has are 0.
    With ``figures_required`` a row needs a side with figures (the first side then only
    lends dimensions, e.g. an order's day and slices). Cheaper than grouping the union of
    all rows: each aggregate sums only its own columns. With ``lateral`` (PostgreSQL) the
    other sides are ``LEFT JOIN LATERAL``: each is computed for one row of the first, which
    it refers to as ``s0``.
    """
    quote = connection.ops.quote_name
    compiled = [side.query.get_compiler(connection=connection).as_sql() for side in sides]
    own = [set(side.query.annotation_select) | set(side.query.values_select) for side in sides]
    aliases = [f"s{index}" for index in range(len(sides))]

    def first_of(column: str, among: list[str]) -> str:
        names = [
            f"{a}.{quote(column)}"
            for a, cols in zip(aliases, own, strict=True)
            if a in among and column in cols
        ]
        return f"COALESCE({', '.join(names)})" if len(names) > 1 else names[0]

    select = [first_of(f"k_{name}", aliases) for name in dims]
    for name in figures:
        having = [a for a, names in zip(aliases, own, strict=True) if name in names]
        # An amount with no rate is NULL: it adds nothing, and a slice of only such is 0.
        parts = ", ".join(f"{a}.{quote(name)}" for a in having)
        select.append(f"COALESCE({parts}, 0)" if having else "0")
    source = f"({compiled[0][0]}) {aliases[0]}"
    for index in range(1, len(sides)):
        if lateral:  # the side is computed per row of the first (it refers to s0)
            source += f" LEFT JOIN LATERAL ({compiled[index][0]}) {aliases[index]} ON true"
            continue
        condition = " AND ".join(
            f"{first_of('k_' + key, aliases[:index])} = {aliases[index]}.{quote('k_' + key)}"
            for key in on
        )
        source += f" FULL OUTER JOIN ({compiled[index][0]}) {aliases[index]} ON {condition}"
    where = ""
    if figures_required:
        present = " OR ".join(f"{a}.{quote('k_' + on[0])} IS NOT NULL" for a in aliases[1:])
        where = f" WHERE {present}"
    params = [param for _, side_params in compiled for param in side_params]
    # Only quoted identifiers from our own models and the ORM-compiled SQL go in; every
    # value stays a query parameter.
    return f"SELECT {', '.join(select)} FROM {source}{where}", params  # noqa: S608


def insert_joined(model, dims: list[str], sides: list, *, same=None, **options) -> int:
    """``INSERT INTO model (dims, figures) SELECT ...`` of ``joined_select``; the row count.
    ``same``: columns given one value for every row (e.g. the computation they belong to)."""
    sql, params = joined_select(dims, sides, **options)
    same = same or {}
    if same:
        values = ", ".join("%s" for _ in same)
        sql, params = f"SELECT {values}, j.* FROM ({sql}) j", [*same.values(), *params]  # noqa: S608
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in [*same, *dims, *options["figures"]])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)
        return cursor.rowcount


def joined_rows(dims: list[str], sides: list, **options) -> list[dict]:
    """The rows of ``joined_select`` as dicts keyed by dimension and figure."""
    sql, params = joined_select(dims, sides, **options)
    names = [*dims, *options["figures"]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def planner_settings() -> None:
    """PostgreSQL, for this transaction only: room in memory for grouping (hash aggregates
    instead of sorts spilled to disk: a month of a million lines groups 2-3x faster), and
    index reads priced as on SSD storage (with the default, rebuilding one changed day
    scans every order line and feed row instead of reading the day's through the indexes:
    2.5 s instead of 0.6 s for a day of a million-line month), and no JIT compilation (each
    statement runs once per computation; compiling it cost 1.4 s a statement, more than it
    saved), and no memoizing of the order balances' per-order sides (each order's key comes
    once: the cache only hashed and stored 333,334 misses)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL enable_memoize = off")


@contextmanager
def grouped_by_hashing():
    """PostgreSQL, for one statement: group in hash tables, not by sorting. The planner
    cannot tell how many brand-local days a month's rows fall on (it costs a million groups,
    not a few hundred), so it sorts the month's million feed rows first: a fifth of the day
    totals' database time (docs/benchmarks.md, issue 16)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = on")
