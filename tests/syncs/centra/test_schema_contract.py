"""Centra's documented schema is the contract: for the client's documents and for the twin.

The vendored schema (``syncs/connectors/centra/schema``) is reconstructed from Centra's
public pages. Every document the client sends must validate against it, and the twin must
serve exactly it plus the extensions it declares, each listed in docs/connector-centra.md.
A twin written from the client's own guesses could never catch those guesses.
"""

import json
import re
from pathlib import Path

import httpx
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
    get_named_type,
    introspection_from_schema,
    is_leaf_type,
    parse,
    print_schema,
)
from graphql.language import ObjectTypeExtensionNode, TypeDefinitionNode

from syncs.apicheck import ApiCheckReport, centra_permissions_check, centra_schema_check
from syncs.connectors.centra import StockDelta, StockLevel, queries
from syncs.connectors.centra.schema import SDL_PATH, document_problems, documented_schema
from syncs.sandbox.centra import CentraTwin, TwinConfig
from syncs.sandbox.centra.schema import EXTENSIONS_PATH, extensions_sdl

from .helpers import TOKEN, URL

DOCS = Path(__file__).resolve().parents[3] / "docs" / "connector-centra.md"
ALL_BUT_RETURN_COMMENTS = frozenset(
    {"Order:read", "Product:read", "Warehouse:read", "Return:read", "Event:read"}
    | {"Event:write", "StockChange:write"}
)


def introspect(twin: CentraTwin):
    """The schema the twin *serves*, read the way ``check_apis`` reads Centra's."""
    response = httpx.Client(transport=httpx.MockTransport(twin.handle)).post(
        URL,
        json={"query": get_introspection_query(descriptions=False)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    body = response.json()
    assert "errors" not in body
    return build_client_schema(body["data"])


def comparable(schema) -> str:
    """Printed after an introspection round trip, so both sides lose the same details."""
    return print_schema(build_client_schema(introspection_from_schema(schema)))


def additions(base, extended) -> set[str]:
    """``Type`` for every type and ``Type.field`` for every field ``extended`` adds."""
    added = set()
    for name, named in extended.type_map.items():
        if name.startswith("__"):
            continue
        original = base.type_map.get(name)
        if original is None:
            added.add(name)
        elif isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            added |= {f"{name}.{field}" for field in set(named.fields) - set(original.fields)}
    return added


def declared_extensions() -> set[str]:
    """What ``extensions.graphql`` declares, read from its syntax."""
    text = extensions_sdl()
    if not text:
        return set()
    declared = set()
    for node in parse(text).definitions:
        if isinstance(node, ObjectTypeExtensionNode):
            declared |= {f"{node.name.value}.{field.name.value}" for field in node.fields}
        elif isinstance(node, TypeDefinitionNode):
            declared.add(node.name.value)
    return declared


def documented_extensions() -> set[str]:
    """The rows of the extensions table in docs/connector-centra.md."""
    text = DOCS.read_text()
    section = text.split("## The sandbox twin's schema", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_.]*)` \|", section, flags=re.M))


# -- the client's documents ----------------------------------------------------------------
def test_every_client_document_validates_against_the_documented_schema():
    documents = queries.documents()
    # 15 the engines send (ORDER_FINANCE, ORDER_MARKET for finance), the introspection,
    # 9 check_apis probes
    assert len(documents) == 25
    assert document_problems(documented_schema(), documents) == []


def test_the_check_catches_a_name_centra_does_not_have():
    """The guess that broke every orders run: an input type that does not exist."""
    wrong = queries.SET_EVENT_LISTENERS.replace("EventListenerSetInput", "EventListenerInput")
    problems = document_problems(documented_schema(), {"SET_EVENT_LISTENERS": wrong})
    assert len(problems) == 1
    assert problems[0].startswith(
        "SET_EVENT_LISTENERS: Unknown type 'EventListenerInput'. Did you mean"
    )


class Recorder:
    """A transport in front of the twin that keeps every document and answer."""

    def __init__(self, twin):
        self.twin = twin
        self.sent: list[tuple[str, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.twin.handle(request)
        self.sent.append((json.loads(request.content)["query"], json.loads(response.content)))
        return response


def test_the_client_sends_only_listed_documents_and_the_twin_accepts_them(twin, client_on):
    """Drive every client call through the twin: each document sent is one of
    ``queries.documents()``, each is sent, and none comes back with an error (the twin
    coerces the variables against the documented types too)."""
    twin.config.throttle = False
    state = twin.state
    state.set_stock("SHIRTBLU01", 1, 10)
    recorder = Recorder(twin)
    client = client_on(twin)
    client._http._transport = httpx.MockTransport(recorder)

    client.set_event_listeners({"Order": None, "Return": ["CREATED", "COMPLETED"]})
    order = state.place_order([("SHIRTBLU01", 2, "10")])
    shipment = state.ship(order.number)
    state.create_return(shipment.id)
    list(client.iter_orders(date_from=order.orderDate, date_to=order.orderDate))
    assert client.order_finance([order.number])[0].store_name == "Retail"
    assert client.order_numbers_in_market([order.number], 1) == {order.number}
    list(client.iter_sizes())
    list(client.iter_warehouses())
    list(client.iter_stock(variant_ids=[1], warehouse_ids=[1]))
    list(client.iter_stock(free_to_allocate_only=True))
    list(client.iter_returns(created_from=order.orderDate))
    events = client.events(object_types=["Order"])
    client.confirm_events([e.id for e in events])
    client.set_stock(1, [StockLevel(1, 7)], description="contract")
    client.change_stock(1, [StockDelta(1, "S", 1), StockDelta(1, "M", -1)], description="c")
    client.rate_limits()
    twin.config.permissions = ALL_BUT_RETURN_COMMENTS  # the returns read without comments
    assert [r.comment for r in client.iter_returns()] == [""]
    twin.config.permissions = None
    report = ApiCheckReport()
    centra_schema_check(client, report)
    centra_permissions_check(client, report)
    assert report.problems == []

    listed = queries.documents()
    sent = {text for text, _ in recorder.sent}
    assert sent <= set(listed.values())
    assert {name for name, text in listed.items() if text not in sent} == set()
    errors = [e["message"] for _, answer in recorder.sent for e in answer.get("errors", ())]
    assert errors == ["You need Return.comment:read permission to access comment."]  # on purpose


# -- the twin's schema ---------------------------------------------------------------------
def test_the_twin_serves_the_documented_schema_plus_its_declared_extensions():
    documented = build_schema(SDL_PATH.read_text(encoding="utf-8"))
    served = introspect(CentraTwin())

    assert find_breaking_changes(documented, served) == []
    assert find_dangerous_changes(documented, served) == []
    assert additions(documented, served) == declared_extensions()
    expected = documented
    if extensions_sdl():
        from graphql import extend_schema

        expected = extend_schema(documented, parse(extensions_sdl()))
    assert comparable(served) == comparable(expected)


def test_every_twin_extension_is_listed_in_the_connector_docs():
    assert EXTENSIONS_PATH.exists()
    assert documented_extensions() == declared_extensions()


def test_a_renamed_type_in_the_twin_would_be_caught():
    """The comparison above is not vacuous: a renamed input type is a breaking change."""
    documented = documented_schema()
    renamed = build_schema(
        SDL_PATH.read_text(encoding="utf-8").replace("EventListenerSetInput", "EventListenerInput")
    )
    changes = find_breaking_changes(documented, renamed)
    assert "EventListenerSetInput was removed." in [c.description for c in changes]


# -- the twin answers every documented field -----------------------------------------------
def selection(schema, named, depth: int) -> str:
    """Every field of ``named`` down to ``depth`` object levels; the members of an abstract
    type by inline fragment, aliased per type so fields of differing types never clash."""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        parts = ["__typename"]
        for member in schema.get_possible_types(named):
            inner = fields_of(schema, member, depth, prefix=f"{member.name}_")
            parts.append(f"... on {member.name} {{ __typename {inner} }}")
        return " ".join(parts)
    return "__typename " + fields_of(schema, named, depth, prefix="")


def fields_of(schema, named, depth: int, *, prefix: str) -> str:
    parts = []
    for name, field in named.fields.items():
        required = [
            arg
            for arg in field.args.values()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        ]
        if required:
            continue
        alias = f"{prefix}{name}: " if prefix else ""
        target = get_named_type(field.type)
        if is_leaf_type(target):
            parts.append(f"{alias}{name}")
        elif depth > 0:
            parts.append(f"{alias}{name} {{ {selection(schema, target, depth - 1)} }}")
    return " ".join(parts)


@pytest.fixture
def busy_twin(twin):
    """Every kind of object once: both store types, shipped, returned, events queued."""
    twin.config.throttle = False
    state = twin.state
    for object_type in ("Order", "Shipment", "Return", "Product"):
        state.listen(object_type, None)
    state.set_stock("SHIRTBLU01", 1, 10)
    state.set_stock("SHIRTWHT02", 2, 10)
    for store_type, sku in (("DIRECT_TO_CONSUMER", "SHIRTBLU01"), ("WHOLESALE", "SHIRTWHT02")):
        order = state.place_order([(sku, 2, "25.50")], store_type=store_type)
        shipment = state.ship(order.number)
        ret = state.create_return(shipment.id)
        state.complete_return(ret.id)
    state.add_product("SOCK", "Sock", variants={"BLK": [("S", "1", None)]})
    return twin


@pytest.mark.parametrize(
    "root",
    [
        "orders",
        "order(number: 1)",
        "products",
        "productVariants",
        "productSizes",
        "warehouses",
        "returns",
        "events",
        "eventListeners",
        "rateLimits",
    ],
)
def test_the_twin_answers_every_documented_field(busy_twin, root):
    schema = busy_twin.schema
    field = schema.query_type.fields[root.split("(")[0]]
    query = f"{{ {root} {{ {selection(schema, get_named_type(field.type), 3)} }} }}"

    response = httpx.Client(transport=httpx.MockTransport(busy_twin.handle)).post(
        URL, json={"query": query}, headers={"Authorization": f"Bearer {TOKEN}"}
    )

    body = response.json()
    assert body.get("errors") is None
    assert body["data"][root.split("(")[0]]


def test_the_twin_keeps_centras_date_format_argument(busy_twin):
    query = """{ orders(limit: 1) { iso: orderDate day: orderDate(format: "Y-m-d")
      compact: orderDate(format: "YmdHis O") } }"""
    response = httpx.Client(transport=httpx.MockTransport(busy_twin.handle)).post(
        URL, json={"query": query}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    [order] = response.json()["data"]["orders"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", order["iso"])
    assert order["day"] == order["iso"][:10]
    assert (
        order["compact"]
        == order["iso"][:19].replace("-", "").replace(":", "").replace("T", "") + " +0000"
    )


def test_the_twin_refuses_a_filter_it_does_not_implement(twin):
    """A filter silently ignored would let a test pass on rows Centra would not send."""
    response = httpx.Client(transport=httpx.MockTransport(twin.handle)).post(
        URL,
        json={"query": "{ orders(where: {isOnHold: true}) { id } }"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    [error] = response.json()["errors"]
    assert error["message"].startswith("The sandbox twin does not filter by OrderFilter.isOnHold")


def test_the_twin_with_another_free_to_allocate_spelling_differs_only_there():
    documented = documented_schema()
    served = introspect(CentraTwin(config=TwinConfig(fta_quantity_type="FTA")))
    assert [c.description for c in find_breaking_changes(documented, served)] == [
        "FREE_TO_ALLOCATE was removed from enum type StockQuantityType."
    ]
