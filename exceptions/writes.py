"""Set-based writes of an engine run's tickets and history: 10,000 conditions raised,
counted, cleared or reopened at once.

Profiled at 10,000 conditions on PostgreSQL (docs/benchmarks.md, issue 17): Django's
``bulk_create`` spent most of a run preparing every value of every row through the field
machinery, and a run that reopened tickets updated each row four times (occurrences, the
history stamp, the reopening, the context), each time writing a new row version into every
index of the ticket table. Here new rows go through ``COPY`` and each changed ticket is
written once, from its locked row's final state. Elsewhere (SQLite: development and tests)
the ORM does the same writes.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from centra_ip.bulk import bulk_insert, bulk_insert_rows
from centra_ip.chunks import chunked
from exceptions.models import Ticket, TicketEvent

# What a raise or a clear may change on an existing ticket (the rest is its identity).
STATE_FIELDS = (
    "summary",
    "team",
    "severity",
    "status",
    "snoozed_until",
    "snooze_wake_occurrences",
    "last_seen",
    "occurrences",
    "context",
    "regressions",
    "acknowledge_due_at",
    "resolve_due_at",
    "sla_due_at",
    "acknowledged_at",
    "resolved_at",
    "sla_breach_notified_at",
    "raise_logged_at",
    "retry_started_at",
)
_STAGING = "exceptions_ticket_state"
# A history event as ``events_insert`` takes it (who acted is always an engine's name here).
EVENT_FIELDS = ("ticket_id", "kind", "at", "actor_name", "note", "data")


def rows_insert(model, objs: list) -> None:
    """Insert ``objs`` and set their primary keys (``bulk_create``'s result), through COPY
    on PostgreSQL. A unique violation (a raiser that lost the race for a fingerprint) is
    Django's ``IntegrityError``, as from ``bulk_create``, so the raiser's retry sees it."""
    with connection.wrap_database_errors:
        bulk_insert(model, objs)


_TICKET_COLUMNS = [field.attname for field in Ticket._meta.concrete_fields]
# What a column not given to ``ticket_new`` holds; a callable default (``context``'s dict)
# must be given, or every new ticket would share one object.
_TICKET_DEFAULTS = {
    field.attname: field.get_default()
    for field in Ticket._meta.concrete_fields
    if not (field.has_default() and callable(field.default))
}


def ticket_new(**values) -> Ticket:
    """``Ticket(**values)``, built from positional values: the keyword path looks up each
    of the 28 fields' defaults per instance, a tenth of 10,000 new tickets' CPU."""
    return Ticket(*[values[n] if n in values else _TICKET_DEFAULTS[n] for n in _TICKET_COLUMNS])


def events_insert(rows: list[tuple]) -> None:
    """Append history events given as rows of ``EVENT_FIELDS``: an engine run's 10,000
    events as model instances cost more CPU than writing them (issue 17)."""
    with connection.wrap_database_errors:
        bulk_insert_rows(TicketEvent, list(EVENT_FIELDS), rows)


def tickets_state_write(tickets: list[Ticket]) -> None:
    """Write each ticket's ``STATE_FIELDS`` as they are in memory: one statement for all of
    them. The caller holds the rows' locks, so what it computed is what the rows become."""
    if not tickets:
        return
    if connection.vendor != "postgresql":
        _state_write_values(tickets)
        return
    meta, quote = Ticket._meta, connection.ops.quote_name
    columns = [meta.pk.column] + [meta.get_field(name).column for name in STATE_FIELDS]
    names = ", ".join(quote(column) for column in columns)
    sets = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns[1:])
    table, staging = quote(meta.db_table), quote(_STAGING)
    context_at = STATE_FIELDS.index("context") + 1
    # Identifiers come from the model's metadata, quoted; values go through COPY only.
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS SELECT {names} FROM {table}"  # noqa: S608
    update = f"UPDATE {table} SET {sets} FROM {staging} s WHERE {table}.id = s.id"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{create} WITH NO DATA")
        cursor.execute(f"TRUNCATE {staging}")
        copying = cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN")
        with connection.wrap_database_errors, copying as copy:
            for ticket in tickets:
                row = [ticket.pk] + [getattr(ticket, name) for name in STATE_FIELDS]
                row[context_at] = json.dumps(row[context_at], cls=DjangoJSONEncoder)
                copy.write_row(row)
        cursor.execute(update)
        cursor.execute(f"TRUNCATE {staging}")


def _state_write_values(tickets: list[Ticket]) -> None:
    """SQLite: one ``UPDATE ... FROM (VALUES ...)`` per 1,000 tickets (``bulk_update``
    writes a CASE per row and field, in many more statements)."""
    meta, quote = Ticket._meta, connection.ops.quote_name
    fields = [meta.pk] + [meta.get_field(name) for name in STATE_FIELDS]
    names = ", ".join(quote(field.column) for field in fields)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
    table = quote(meta.db_table)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for chunk in chunked(tickets, 1000):
            params = [
                field.get_db_prep_save(getattr(ticket, field.attname), connection)
                for ticket in chunk
                for field in fields
            ]
            # Identifiers from the model's metadata, quoted; every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"WITH v({names}) AS (VALUES {values}) "
            sql += f"UPDATE {table} SET {sets} FROM v WHERE {table}.id = v.id"  # noqa: S608
            cursor.execute(sql, params)
