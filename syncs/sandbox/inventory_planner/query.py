"""List-query semantics of the IP twin: ``fields=`` projection, filters, sorting, paging.

Operators follow ``reference/inventory-planner-api.md`` §1.4: ``<field>=`` (exact),
``_eqi`` (case-insensitive), ``_ne``, ``_gt`` (observed in working code) and ``_gte``,
``_lt``, ``_lte``, ``_match`` (assumed by analogy). Sorting is ``<field>_sort=asc|desc``.
"""

from collections.abc import Callable, Iterable, Mapping

RESERVED = ("page", "limit", "fields")
OPERATORS = ("_eqi", "_ne", "_gte", "_gt", "_lte", "_lt", "_match")
TRUE_WORDS = ("1", "true", "yes", "y")


class QueryError(ValueError):
    """A query the twin refuses (only with ``unknown_filter="error"``)."""


# -- fields= ---------------------------------------------------------------------------------


def field_tree(spec: str | None) -> dict | None:
    """``"id,warehouse.in_stock"`` → ``{"id": None, "warehouse": {"in_stock": None}}``.

    ``None`` means "the whole value"; asking for a block whole and one of its sub-fields
    gives the whole block. Unknown names are harmless: projection ignores them, as IP does.
    """
    if not spec:
        return None
    tree: dict = {}
    for raw in spec.split(","):
        path = [part for part in raw.strip().split(".") if part]
        node = tree
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if last:
                node[part] = None
            elif part in node and node[part] is None:
                break  # the whole block was asked for already
            else:
                node = node.setdefault(part, {})
    tree["id"] = None  # assumption: the id always comes back
    return tree


def project(record: Mapping, tree: dict) -> dict:
    out = {}
    for key, sub in tree.items():
        if key not in record:
            continue
        value = record[key]
        if sub is None:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = project(value, sub)
        elif isinstance(value, list):
            out[key] = [project(v, sub) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


# -- filters ---------------------------------------------------------------------------------


def _coerce(sample: object, text: str):
    if isinstance(sample, bool):
        return text.strip().lower() in TRUE_WORDS
    if isinstance(sample, int | float):
        return float(text)
    return text


def _predicate(field: str, op: str, text: str) -> Callable[[Mapping], bool]:
    folded = text.casefold()

    def test(record: Mapping) -> bool:
        value = record.get(field)
        if op == "_eqi":
            return value is not None and str(value).casefold() == folded
        if op == "_match":
            return value is not None and folded in str(value).casefold()
        if value is None:
            return op == "_ne"
        try:
            wanted = _coerce(value, text)
        except ValueError:
            return op == "_ne"
        if op == "":
            return value == wanted
        if op == "_ne":
            return value != wanted
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return False
        if isinstance(value, str) != isinstance(wanted, str):
            return False
        return {
            "_gt": value > wanted,
            "_gte": value >= wanted,
            "_lt": value < wanted,
            "_lte": value <= wanted,
        }[op]

    return test


def parse_filters(
    params: Iterable[tuple[str, str]], known: set[str], *, unknown: str
) -> list[Callable[[Mapping], bool]] | None:
    """Predicates for the query's filters; ``None`` means "matches nothing".

    ``unknown`` is the twin's setting for a filter on a field it does not know (the real
    behaviour is UNCONFIRMED): "ignore", "match_nothing" or "error".
    """
    predicates = []
    for key, text in params:
        if key in RESERVED or key.endswith("_sort"):
            continue
        if key in known:
            predicates.append(_predicate(key, "", text))
            continue
        op = next((o for o in OPERATORS if key.endswith(o) and key[: -len(o)] in known), None)
        if op is not None:
            predicates.append(_predicate(key[: -len(op)], op, text))
        elif unknown == "match_nothing":
            return None
        elif unknown == "error":
            raise QueryError(f"Unknown filter {key}")
    return predicates


def sort_keys(params: Iterable[tuple[str, str]]) -> list[tuple[str, bool]]:
    """``[(field, descending), ...]`` in the order given; unknown directions mean asc."""
    return [
        (key[: -len("_sort")], text.strip().lower() == "desc")
        for key, text in params
        if key.endswith("_sort")
    ]


def select(
    records: list[Mapping], predicates: list | None, sorts: list[tuple[str, bool]]
) -> list[Mapping]:
    """Filter then sort (stable, multi-key; records without the field sort last)."""
    if predicates is None:
        return []
    if predicates:
        records = [r for r in records if all(p(r) for p in predicates)]
    for field, descending in reversed(sorts):
        present = [r for r in records if r.get(field) is not None]
        missing = [r for r in records if r.get(field) is None]
        present.sort(key=lambda r, f=field: r[f], reverse=descending)
        records = present + missing
    return records


def page_meta(name: str, *, total: int, count: int, limit: int, page: int) -> dict:
    """IP's ``meta``; ``start``/``end`` as offsets of the first and last row (assumption)."""
    start = page * limit
    return {
        "name": name,
        "display_name": name,
        "total": total,
        "count": count,
        "limit": limit,
        "page": page,
        "start": start,
        "end": start + count - 1,
    }
