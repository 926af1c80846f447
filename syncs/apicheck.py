"""``manage.py check_apis``: does the configured Centra and Inventory Planner speak the API
the clients were written for? One run settles, against the real systems, what the docs left
inferred or unverified (docs/connector-centra.md, docs/connector-inventory-planner.md).

Centra:
- **schema**: introspect it, validate every document the client sends, check the enum
  values the code compares with, and list what differs from the vendored schema (the
  vendored one is a reconstructed subset, so additions are expected; a difference in what
  we use is what matters, and the validation catches that);
- **permissions**: the cheapest call needing each permission the engines use (reads of
  orders, products, stock, warehouses, returns and their comments, events; writes of stock
  and event listeners; the writes name nothing that exists, so they change nothing);
- **rate limits**: ``rateLimits``, which also sizes this process's pacer.

Inventory Planner: one page of variants with exactly the stock engine's ``fields=``, and
every field the engine needs present (per-warehouse ``in_stock`` above all).

Pure of the database: ``apis_check`` returns a report; the command, the task and the
button raise or clear the one admin ticket (``apis_check_settle``).
"""

from dataclasses import dataclass, field
from itertools import islice

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    build_client_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from exceptions.services import Condition, tickets_clear_many, tickets_raise_many
from syncs.clients import centra_client, inventory_planner_client
from syncs.connectors.base import AuthError, ConnectorError
from syncs.connectors.centra import queries
from syncs.connectors.centra.schema import document_problems, documented_schema
from syncs.stock.engine import shared_pacer
from syncs.stock.reads import IP_FIELDS

TICKET_TYPE = "api_check_failed"
STREAM = "check_apis"
SOURCE = "check_apis"
IP_SAMPLE = 50  # variants looked at, from the first page
# Enum values the code compares Centra's answers with, or sends.
ENUMS_RELIED_ON = {
    "OrderStatus": {"CANCELLED"},
    "ReturnStatus": {"COMPLETED"},
    "StockQuantityType": {"PHYSICAL"},
    "EventObjectType": {"Order"},
    "StoreType": {"DIRECT_TO_CONSUMER", "WHOLESALE"},
}
# (what the engines do with it, the permission Centra names, probe document, mutation)
PROBES = (
    ("read orders", "Order:read", queries.PROBE_ORDERS, False),
    ("read products, variants and sizes", "Product:read", queries.PROBE_PRODUCTS, False),
    ("read stock", "ProductVariant.stock:read", queries.PROBE_STOCK, False),
    ("read warehouses", "Warehouse:read", queries.PROBE_WAREHOUSES, False),
    ("read returns", "Return:read", queries.PROBE_RETURNS, False),
    ("read return comments", "Return.comment:read", queries.PROBE_RETURN_COMMENTS, False),
    ("read events", "Event:read", queries.PROBE_EVENTS, False),
    ("write stock", "StockChange:write", queries.PROBE_SET_STOCK, True),
    ("write event listeners", "Event:write", queries.PROBE_SET_EVENT_LISTENERS, True),
)


@dataclass
class ApiCheckReport:
    """``problems`` fail the check; ``notes`` are what it found besides."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdict = "OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        return [
            f"API check {verdict}",
            *(f"  PROBLEM {text}" for text in self.problems),
            *(f"  note    {text}" for text in self.notes),
        ]


def apis_check(*, centra, ip, fields) -> ApiCheckReport:
    """Check both systems with ready clients; ``fields`` is the stock engine's IP_FIELDS."""
    report = ApiCheckReport()
    centra_schema_check(centra, report)
    centra_permissions_check(centra, report)
    centra_rate_limits_check(centra, report)
    ip_fields_check(ip, fields, report)
    return report


def centra_schema_check(centra, report: ApiCheckReport) -> None:
    try:
        data = centra.execute("IntrospectionQuery", queries.INTROSPECTION)
        live = build_client_schema(data)
    except ConnectorError as error:
        report.problems.append(f"Centra schema: introspection failed: {error}")
        return
    except (GraphQLError, TypeError, KeyError) as error:
        report.problems.append(f"Centra schema: introspection answer unreadable: {error}")
        return
    for problem in document_problems(live, queries.documents()):
        report.problems.append(f"Centra schema: document {problem}")
    for enum_name, values in ENUMS_RELIED_ON.items():
        enum = live.get_type(enum_name)
        if not isinstance(enum, GraphQLEnumType):
            report.problems.append(f"Centra schema: enum {enum_name} is missing")
            continue
        for value in sorted(values - set(enum.values)):
            report.problems.append(f"Centra schema: enum {enum_name} has no value {value}")
    documented = documented_schema()
    differences = find_breaking_changes(documented, live) + find_dangerous_changes(documented, live)
    for change in differences:
        report.notes.append(f"Centra schema differs from the vendored one: {change.description}")
    if not differences:
        report.notes.append("Centra schema: the vendored subset matches the live schema")


def centra_permissions_check(centra, report: ApiCheckReport) -> None:
    for what, permission, document, mutation in PROBES:
        operation = document.split("{", 1)[0].split()[-1]
        try:
            centra.execute(operation, document, mutation=mutation)
        except AuthError as error:
            report.problems.append(
                f"Centra permission: cannot {what} (needs {permission}): {error.message}"
            )
        except ConnectorError as error:
            report.problems.append(f"Centra permission probe '{what}' failed: {error}")
        else:
            report.notes.append(f"Centra permission: can {what}")


def centra_rate_limits_check(centra, report: ApiCheckReport) -> None:
    try:
        limits = centra.sync_pacing()
    except ConnectorError as error:
        report.problems.append(f"Centra rateLimits: {error}")
        return
    for limit in sorted(limits, key=lambda r: (r.type, r.interval_seconds)):
        report.notes.append(
            f"Centra rate limit {limit.type} per {limit.interval_seconds} s: quota "
            f"{limit.quota}, {limit.remaining_quota} left (the pacer is sized from it)"
        )


def ip_fields_check(ip, fields, report: ApiCheckReport) -> None:
    """One page of variants with the stock engine's ``fields=``: is each field there?"""
    try:
        variants = list(islice(ip.iter_variants(fields=fields), IP_SAMPLE))
    except ConnectorError as error:
        report.problems.append(f"Inventory Planner variants read failed: {error}")
        return
    if not variants:
        report.problems.append(
            "Inventory Planner returned no variants: the stock fields cannot be checked"
        )
        return
    blocks = [block for variant in variants for block in variant.warehouses]
    checks = [
        ("sku", sum(v.sku is None for v in variants), len(variants), True),
        ("warehouse blocks", sum(not v.warehouses for v in variants), len(variants), True),
        ("warehouse.in_stock", sum(b.in_stock is None for b in blocks), len(blocks), True),
        ("removed", sum(v.removed is None for v in variants), len(variants), False),
        (
            "warehouse.minimum_stock",
            sum(b.minimum_stock is None for b in blocks),
            len(blocks),
            False,
        ),
        (
            "warehouse.forecast_description.sales_velocity1",
            sum(b.sales_velocity is None for b in blocks),
            len(blocks),
            False,
        ),
    ]
    for name, missing, total, needed in checks:
        if not missing:
            report.notes.append(f"Inventory Planner: {name} present in all {total}")
            continue
        text = f"Inventory Planner: {name} missing in {missing} of {total} looked at"
        if needed:
            report.problems.append(text)
        else:
            report.notes.append(f"{text} (optional: treated as absent)")


def apis_check_settle(report: ApiCheckReport) -> None:
    """One admin ticket while the check fails (its problems in the context); cleared when
    it passes."""

    condition = Condition(type_code=TICKET_TYPE, stream=STREAM)
    if report.ok:
        tickets_clear_many([condition], source=SOURCE, note="check_apis passes.")
        return
    condition.summary = (
        f"check_apis: {len(report.problems)} problem(s); first: {report.problems[0]}"
    )[:300]
    condition.context = {"problems": report.problems[:100]}
    tickets_raise_many([condition], source=SOURCE)


def apis_check_run() -> ApiCheckReport:
    """Check the configured endpoints (the sandbox when unconfigured) and settle the ticket."""

    with (
        centra_client(pacer=shared_pacer()) as centra,
        inventory_planner_client() as ip,
    ):
        report = apis_check(centra=centra, ip=ip, fields=IP_FIELDS)
    apis_check_settle(report)
    return report
