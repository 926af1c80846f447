"""Set-based updates for many rows that share few distinct values.

Django's ``bulk_update`` writes one ``CASE WHEN pk = ...`` per row and field; at 100,000
positions that is most of a cycle's time. Push results and Centra read-backs take few
distinct values (most lines are "sent" with the same batch; quantities repeat), so one
``UPDATE ... WHERE pk IN (...)`` per distinct value, in chunks, is far cheaper.
"""

from collections import defaultdict

CHUNK = 900  # below SQLite's smallest bound-parameter limit


def update_grouped(model, rows, fields: tuple[str, ...]) -> None:
    """``rows``: (pk, values) pairs, ``values`` a tuple in the order of ``fields``."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, values in rows:
        groups[values].append(pk)
    for values, pks in groups.items():
        changes = dict(zip(fields, values, strict=True))
        for start in range(0, len(pks), CHUNK):
            model.objects.filter(pk__in=pks[start : start + CHUNK]).update(**changes)
