"""Building Inventory Planner requests and reading its answers: pure functions, no I/O.

The client (``client.py``) sends; these turn arguments into query strings and path
segments, and answers into rows, error messages and paging facts. A missing or mistyped
field raises ``PayloadShapeError``, which the client records as a ``BadPayloadError``.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote

from syncs.connectors.inventory_planner.types import PayloadShapeError

T = TypeVar("T")
logger = logging.getLogger(__name__)
SORT_DIRECTIONS = ("asc", "desc")


def query_params(fields, filters, sort, *, nested: tuple[str, ...]) -> dict[str, str]:
    """Build the query string: ``fields``, filters and ``<field>_sort``.

    ``id`` is always requested (the typed results need it), and so is the key of each
    nested block (``warehouse.warehouse``) when any of its sub-fields is, so blocks can be
    told apart whatever the server does with partial nested selections.
    """
    params: dict[str, str] = {}
    if fields:
        wanted = dict.fromkeys(["id", *fields])
        for block in nested:
            if any(f.startswith(block + ".") for f in wanted) and block not in wanted:
                wanted[f"{block}.{block}"] = None
        params["fields"] = ",".join(wanted)
    for key, value in (filters or {}).items():
        if key in ("page", "limit", "fields") or key.endswith("_sort"):
            raise ValueError(f"{key!r} is not a filter")
        params[key] = format_value(value)
    for key, direction in (sort or {}).items():
        if direction not in SORT_DIRECTIONS:
            raise ValueError(f"sort direction for {key!r} must be asc or desc")
        params[f"{key}_sort"] = direction
    return params


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_segment(value: str) -> str:
    """An id as one URL path segment (vendor ids, for one, are free text)."""
    return quote(str(value), safe="")


def unix_date(value) -> int:
    """Business dates are written as Unix seconds (midnight UTC): the one format a client
    author saw stored correctly; ``YYYY-MM-DD`` was once stored as 1969-12-31."""
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def error_message(body: object) -> str | None:
    """The message of IP's ``{"result": {"status": "error", "message": ...}}``, if any."""
    if not isinstance(body, dict):
        return None
    result = body.get("result")
    if not isinstance(result, dict) or str(result.get("status", "")).lower() != "error":
        return None
    return str(result.get("message") or "error")


def listed(body: dict, key: str) -> list:
    value = body.get(key)
    if not isinstance(value, list):
        raise PayloadShapeError(f"response has no {key!r} list")
    return value


def single(key: str, parse: Callable[[object], T]) -> Callable[[dict], T]:
    """A reader for a single-entity envelope such as ``{"purchase-order": {...}}``."""

    def read(body: dict) -> T:
        value = body.get(key)
        if not isinstance(value, dict):
            raise PayloadShapeError(f"response has no {key!r} object")
        return parse(value)

    return read


def check_meta(
    meta: dict, count_rows: int, page: int, limit: int, resource: str
) -> tuple[int, bool]:
    """Cross-check one page against its ``meta``: the limit the server applied, and whether
    ``meta.total`` says rows remain after a short page. Disagreements are logged."""
    applied = meta.get("limit")
    if type(applied) is int and 0 < applied < limit:
        limit = applied
    count = meta.get("count")
    if type(count) is int and count != count_rows:
        logger.warning(
            "IP %s page %s: meta.count %s but %s rows; reading the rows",
            resource,
            page,
            count,
            count_rows,
        )
    total = meta.get("total")
    more = type(total) is int and 0 < count_rows < limit and page * limit + count_rows < total
    if more:
        logger.warning(
            "IP %s page %s is short (%s rows) but meta.total is %s; reading the next page",
            resource,
            page,
            count_rows,
            total,
        )
    return limit, more
