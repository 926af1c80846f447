"""Trigram indexes for the queue's search (PostgreSQL only; nothing on SQLite).

The search looks for a substring of a ticket's SKU, order, return, summary or facts
(``exceptions.filters.SEARCH_TEXT``); without an index every search read every ticket
(0.7-2.4 s at 1,000,000). The indexes are on the same expression, upper-cased as Django's
``icontains`` compares, so PostgreSQL narrows the search to the rows holding the value's
trigrams. ``pg_trgm`` is a trusted extension: the database's owner may create it.
The expression must stay identical to ``SEARCH_TEXT``'s SQL, or PostgreSQL ignores the
index (``tests/exceptions/test_queue_search.py`` checks the plan).
"""

from django.db import migrations

INDEXED = """(UPPER((
    sku || ' ' || order_number || ' ' || return_id || ' ' || summary || ' ' || (context)::text
)::text)) gin_trgm_ops"""
# Two: the queue searches active tickets unless asked otherwise, and in an index of every
# ticket a word common to many closed tickets costs ten times the rows to check.
CREATE = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS ticket_search ON exceptions_ticket USING gin ({INDEXED});
CREATE INDEX IF NOT EXISTS ticket_search_active ON exceptions_ticket USING gin ({INDEXED})
    WHERE status IN ('open', 'acknowledged', 'snoozed');
"""
DROP = "DROP INDEX IF EXISTS ticket_search; DROP INDEX IF EXISTS ticket_search_active;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("exceptions", "0006_queue_indexes")]

    operations = [migrations.RunPython(create, drop)]
