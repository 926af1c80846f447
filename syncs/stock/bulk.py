"""Set-based writes for the stock engine's many rows (100,000 positions and push lines).

Django's ``bulk_create`` and ``bulk_update`` prepare every value of every row through the
field machinery and, for ``bulk_update``, write one ``CASE WHEN pk = ...`` per row and
field: at 100,000 rows that was most of a full cycle's time (profiled: docs/benchmarks.md).
On PostgreSQL these write through ``COPY`` and ``unnest`` instead: one statement per few
thousand rows, values passed as they are. Elsewhere (SQLite: development and tests) they
fall back to the ORM, with the same result.
"""

import json
from collections import defaultdict

from django.db import connection, transaction

CHUNK = 900  # below SQLite's smallest bound-parameter limit
PG_CHUNK = 5000


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _concrete(model) -> list[str]:
    """Every column but the primary key, as ``bulk_create`` writes them."""
    return [field.name for field in model._meta.concrete_fields if not field.primary_key]


def _column_values(model, objs, fields: list[str]):
    """Rows of raw column values; JSON fields as JSON text (``COPY`` parses the text)."""
    meta = model._meta
    attnames = [meta.get_field(name).attname for name in fields]
    json_at = [
        index
        for index, name in enumerate(fields)
        if meta.get_field(name).get_internal_type() == "JSONField"
    ]
    for obj in objs:
        row = [getattr(obj, attname) for attname in attnames]
        for index in json_at:
            row[index] = json.dumps(row[index])
        yield row


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert(model, objs: list) -> None:
    """Insert ``objs`` and set their primary keys, as ``bulk_create``."""
    if not _postgres():
        model.objects.bulk_create(objs, batch_size=2000)
        return
    if not objs:
        return
    meta, fields = model._meta, _concrete(model)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        columns = [meta.pk.column] + [meta.get_field(name).column for name in fields]
        rows = (
            [obj.pk, *values]
            for obj, values in zip(objs, _column_values(model, objs, fields), strict=True)
        )
        _copy(cursor.cursor, meta.db_table, columns, rows)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def bulk_upsert(model, objs: list, *, unique_fields: list[str], update_fields: list[str]) -> None:
    """Insert ``objs``, or update ``update_fields`` of the row with the same unique key."""
    if not _postgres():
        model.objects.bulk_create(
            objs,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )
        return
    if not objs:
        return
    meta, quote, fields = model._meta, connection.ops.quote_name, _concrete(model)
    table = meta.db_table
    columns = [meta.get_field(name).column for name in fields]
    names = ", ".join(quote(c) for c in columns)
    staging = quote(f"bulk_upsert_{table}")
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    updates = ", ".join(
        f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
        for name in update_fields
    )
    # Every identifier below comes from the model's own metadata, quoted; values go
    # through COPY or parameters, never into the text.
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS SELECT {names} FROM "  # noqa: S608
    insert = f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{create}{quote(table)} WITH NO DATA")
        cursor.execute(f"TRUNCATE {staging}")
        _copy(cursor.cursor, f"bulk_upsert_{table}", columns, _column_values(model, objs, fields))
        cursor.execute(f"{insert}ON CONFLICT ({conflict}) DO UPDATE SET {updates}")
        cursor.execute(f"TRUNCATE {staging}")


def update_grouped(model, rows, fields: tuple[str, ...]) -> None:
    """``rows``: (pk, values) pairs, ``values`` a tuple in the order of ``fields``.

    PostgreSQL: one ``UPDATE ... FROM unnest(...)`` per few thousand rows. Elsewhere one
    ``UPDATE ... WHERE pk IN (...)`` per distinct value, in chunks (push results and
    read-backs take few distinct values: most lines are "sent" in the same batch)."""
    if _postgres():
        _update_unnest(model, list(rows), fields)
        return
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, values in rows:
        groups[values].append(pk)
    for values, pks in groups.items():
        changes = dict(zip(fields, values, strict=True))
        for start in range(0, len(pks), CHUNK):
            model.objects.filter(pk__in=pks[start : start + CHUNK]).update(**changes)


def _update_unnest(model, rows: list, fields: tuple[str, ...]) -> None:
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.pk] + [meta.get_field(name) for name in fields]
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in columns)
    aliases = ", ".join(f"c{index}" for index in range(len(columns)))
    sets = ", ".join(
        f"{quote(field.column)} = v.c{index}" for index, field in enumerate(columns[1:], start=1)
    )
    table = quote(meta.db_table)  # identifiers from the model's metadata; values are params
    sql = f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({aliases}) "  # noqa: S608
    sql += f"WHERE {table}.{quote(meta.pk.column)} = v.c0"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), PG_CHUNK):
            chunk = rows[start : start + PG_CHUNK]
            params = [[pk for pk, _ in chunk]] + [
                [values[index] for _, values in chunk] for index in range(len(fields))
            ]
            cursor.execute(sql, params)
