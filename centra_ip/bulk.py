"""Set-based writes for the stock engine's many rows (100,000 positions and push lines).

Django's ``bulk_create`` and ``bulk_update`` prepare every value of every row through the
field machinery and, for ``bulk_update``, write one ``CASE WHEN pk = ...`` per row and
field: at 100,000 rows that was most of a full cycle's time (profiled: docs/benchmarks.md).
On PostgreSQL these write through ``COPY`` and ``unnest`` instead: one statement per few
thousand rows, values passed as they are. Elsewhere (SQLite: development and tests) they
fall back to the ORM, with the same result.
"""

import json
import zlib
from collections import defaultdict

from django.db import connection, transaction

from centra_ip.chunks import chunked

CHUNK = 900  # below SQLite's smallest bound-parameter limit
PG_CHUNK = 5000


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _concrete(model) -> list[str]:
    """Every column but the primary key, as ``bulk_create`` writes them."""
    return [field.name for field in model._meta.concrete_fields if not field.primary_key]


def _column_values(model, objs, fields: list[str]):
    """Rows of raw column values of model instances (JSON fields as JSON text)."""
    attnames = [model._meta.get_field(name).attname for name in fields]
    return _json_as_text(model, fields, ([getattr(obj, a) for a in attnames] for obj in objs))


def _json_as_text(model, fields: list[str], rows):
    """The rows with their JSON fields as JSON text (``COPY`` parses the text). A value
    shared by many rows (the same list object) is dumped once."""
    meta = model._meta
    json_at = [
        index
        for index, name in enumerate(fields)
        if meta.get_field(name).get_internal_type() == "JSONField"
    ]
    if not json_at:
        yield from rows
        return
    dumped: dict[int, tuple[object, str]] = {}  # id -> (the value, kept alive; its text)
    for row in rows:
        row = list(row)
        for index in json_at:
            value = row[index]
            known = dumped.get(id(value))
            if known is None or known[0] is not value:
                known = dumped[id(value)] = (value, json.dumps(value))
            row[index] = known[1]
        yield row


def _copy(cursor, table: str, columns: list[str], rows, *, quoted: bool = False, types=None):
    """``COPY`` the rows into ``table`` (``quoted``: the name is quoted already).

    With ``types`` (a PostgreSQL type name per column, ``_binary_types``) in COPY's binary
    format: psycopg then packs each value as it is instead of formatting it as text in
    Python, about a fifth of the CPU per row (a catalog run copies 600,000 rows)."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = table if quoted else connection.ops.quote_name(table)
    binary = " (FORMAT BINARY)" if types else ""
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _binary_types(model, fields: list[str]) -> list[str] | None:
    """The columns' type names for a binary ``COPY`` ("varchar(120)" is sent as "varchar"),
    or None when a column holds JSON (written as JSON text, which only the text format
    takes) or an array (left to the text format too)."""
    types = []
    for name in fields:
        field = model._meta.get_field(name)
        db_type = field.db_type(connection)
        if field.get_internal_type() == "JSONField" or "[" in db_type:
            return None
        types.append(db_type.split("(")[0])
    return types


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


def bulk_insert_rows(model, fields: list[str], rows: list) -> None:
    """Insert rows of values in ``fields`` order, without building model instances (their
    primary keys are not read back). A column not named gets its database default.

    Each value must already be of its column's Python type (int for an integer column,
    str for text, an aware datetime ...): on PostgreSQL the rows go in COPY's binary
    format, which does not convert."""
    if not _postgres():
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=2000)
        return
    if rows:
        columns = [model._meta.get_field(name).column for name in fields]
        types = _binary_types(model, fields)
        rows = rows if types else _json_as_text(model, fields, rows)
        with transaction.atomic(), connection.cursor() as cursor:
            _copy(cursor.cursor, model._meta.db_table, columns, rows, types=types)


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
    if objs:
        fields = _concrete(model)
        _upsert(model, fields, _column_values(model, objs, fields), unique_fields, update_fields)


def bulk_upsert_rows(
    model, fields: list[str], rows: list, *, unique_fields: list[str], update_fields: list[str]
) -> None:
    """As ``bulk_upsert``, from rows of values in ``fields`` order, without building a
    model instance per row (1.5 s per 100,000 on the loaded machine). A row inserted gets
    NULL in the columns not named: name every column that is not nullable."""
    if not _postgres():
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        bulk_upsert(model, objs, unique_fields=unique_fields, update_fields=update_fields)
        return
    if rows:
        _upsert(model, fields, _json_as_text(model, fields, rows), unique_fields, update_fields)


def _upsert(model, fields: list[str], rows, unique_fields: list[str], update_fields: list[str]):
    """PostgreSQL: ``COPY`` the rows into a staging table, then one ``INSERT ... ON CONFLICT``."""
    meta, quote = model._meta, connection.ops.quote_name
    table = meta.db_table
    columns = [meta.get_field(name).column for name in fields]
    names = ", ".join(quote(c) for c in columns)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    updates = ", ".join(
        f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
        for name in update_fields
    )
    # Every identifier below comes from the model's own metadata, quoted; values go
    # through COPY or parameters, never into the text. The staging table has the columns
    # written, so one table per model and column list.
    staging = quote(f"bulk_upsert_{table}_{zlib.crc32(names.encode()):08x}")
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS SELECT {names} FROM "  # noqa: S608
    insert = f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{create}{quote(table)} WITH NO DATA")
        cursor.execute(f"TRUNCATE {staging}")
        _copy(cursor.cursor, staging, columns, rows, quoted=True)
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
        for chunk in chunked(pks, CHUNK):
            model.objects.filter(pk__in=chunk).update(**changes)


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
        for chunk in chunked(rows, PG_CHUNK):
            params = [[pk for pk, _ in chunk]] + [
                [values[index] for _, values in chunk] for index in range(len(fields))
            ]
            cursor.execute(sql, params)
