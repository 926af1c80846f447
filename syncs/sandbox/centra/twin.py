"""The Centra twin: an httpx handler that answers like ``https://<brand>.centra.com/graphql``.

Mount it in tests as ``httpx.MockTransport(twin.handle)``; the demo serves the same
``handle`` over a threaded HTTP server. A request goes: faults (``FaultPlan.before``) → path
and method → token (``Authorization: Bearer`` or the ``graphql-access`` cookie [AUTH]) →
parse and validate against Centra's SDL → complexity → token buckets (429 + ``Retry-After``)
→ execute under the state lock → envelope with ``extensions`` → faults
(``FaultPlan.corrupt``: malformed body or a page cut short).

Centra does not document what it answers for a bad or expired token (UNCONFIRMED); the twin
answers ``auth_failure_status`` (401) with a GraphQL-style ``errors`` body. The format of
``Retry-After`` is UNCONFIRMED too, so ``retry_after_format`` picks seconds, an HTTP-date or
a Unix epoch.
"""

import email.utils
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import httpx
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    execute,
    parse,
    validate,
)

from syncs.connectors.base import Clock
from syncs.connectors.centra.pacing import CentraLimits, TokenBucket
from syncs.sandbox.faults import FaultPlan, malformed_response

from .schema import executable_schema
from .state import CentraState

APP_VERSION = "v0.32.3-sandbox"
# Complexity: 1 per field, a list multiplies its subtree by its ``limit`` (or this guess),
# and the expensive stock quantities cost extra; freeToAllocateQuantity costs nothing [RL].
NESTED_LIST_GUESS = 5
STOCK_QUANTITY_COST = 5
FREE_FIELDS = {"freeToAllocateQuantity"}
STOCK_QUANTITIES = {
    "physicalQuantity",
    "allocatedQuantity",
    "demandQuantity",
    "unshippedQuantity",
    "availableNowQuantity",
    "incomingQuantity",
    "linkedIncomingQuantity",
    "unlinkedIncomingQuantity",
    "onDeliveryQuantity",
    "availableQuantity",
}
INTERVAL_NAMES = {10: "TEN_SECONDS", 3600: "ONE_HOUR"}


@dataclass
class TwinConfig:
    """What the reference leaves open, as settings (defaults: the twin's documented choice)."""

    default_limit: int = 20
    max_limit: int = 200  # "Limit must be in range 1 - 200" [GD query.html, productsize.html]
    throttle: bool = True
    limits: CentraLimits = field(default_factory=CentraLimits)
    retry_after_format: str = "seconds"  # "seconds" | "http-date" | "epoch"
    auth_failure_status: int = 401
    fta_quantity_type: str = "FREE_TO_ALLOCATE"
    # None: the token may do everything; else the set of "Type:read"/"Type:write" it has.
    permissions: frozenset[str] | None = None
    # Root fields whose queries Centra cannot answer in time (a slow query on its side):
    # the twin times out on them, and only on them (the sandbox story slows ``orders``).
    slow_root_fields: frozenset[str] = frozenset()


class CentraTwin:
    def __init__(
        self,
        token: str = "sandbox-centra-token",  # noqa: S107 (sandbox only, not a secret)
        *,
        faults: FaultPlan | None = None,
        clock=None,
        config: TwinConfig | None = None,
        state: CentraState | None = None,
    ):
        self.token = token
        self.faults = faults or FaultPlan()
        self.clock = clock or Clock()
        self.config = config or TwinConfig()
        self.state = state or CentraState()
        self.schema = executable_schema(self.config.fta_quantity_type)
        self._documents: OrderedDict[str, tuple] = OrderedDict()
        self._documents_lock = threading.Lock()
        self.reset_buckets()

    # -- configuration -----------------------------------------------------------------------
    def reset_buckets(self) -> None:
        """(Re)build the six buckets, full, from ``config.limits``."""
        now = self.clock.monotonic()
        with self.state.lock:
            self.buckets = {
                key: TokenBucket(capacity, key[1], now=now)
                for key, capacity in self.config.limits.buckets().items()
            }

    def rate_limits(self) -> list[dict]:
        """The six rows of Centra's ``rateLimits`` query."""
        now = self.clock.monotonic()
        rows = []
        for (kind, window), bucket in self.buckets.items():
            used = min(bucket.capacity, max(0, math.ceil(bucket.used(now))))
            rows.append(
                {
                    "type": kind,
                    "intervalSeconds": INTERVAL_NAMES[window],
                    "quota": int(bucket.capacity),
                    "usedQuota": used,
                    "remainingQuota": int(bucket.capacity) - used,
                }
            )
        return rows

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.config.slow_root_fields and self._slow(request):
            raise httpx.ReadTimeout("sandbox: a slow query", request=request)
        injected = self.faults.before(request)
        if injected is not None:
            return injected
        # Centra's endpoint is ``<base>/graphql``; the demo server mounts the twin under a
        # prefix (``/centra/graphql``), so only the last segment is fixed.
        if not request.url.path.endswith("/graphql"):
            return self._errors(404, "Not found")
        if request.method != "POST":
            return self._errors(405, "Method not allowed")
        if self.faults.expired_token or self._token(request) != self.token:
            return httpx.Response(
                self.config.auth_failure_status,
                json={
                    "errors": [
                        {
                            "message": "Unauthorized: invalid or expired access token",
                            "extensions": {"category": "authentication"},
                        }
                    ]
                },
            )
        try:
            body = json.loads(request.content)
            query = body["query"]
            variables = body.get("variables") or {}
            operation_name = body.get("operationName")
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._errors(400, "Request body must be JSON with a string 'query'")
        document, errors = self._document(query)
        if errors:
            return self._answer({"errors": [e.formatted for e in errors]}, complexity=0)
        operation = self._operation(document, operation_name)
        if operation is None:
            return self._answer({"errors": [{"message": "Unknown operation"}]}, complexity=0)
        complexity = self._complexity(document, operation, variables)
        mutation = operation.operation == OperationType.MUTATION
        with self.state.lock:
            throttled = self._throttle(mutation=mutation, complexity=complexity)
            if throttled is not None:
                return throttled
            context = {
                "state": self.state,
                "config": self.config,
                "permissions": self.config.permissions,
                "permissions_used": set(),
                "rate_limits": self.rate_limits,
            }
            result = execute(
                self.schema,
                document,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
                is_awaitable=never_awaitable,
            )
        payload = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        corruption = self.faults.corrupt()
        if corruption == "malformed":
            return malformed_response()
        if corruption == "partial":
            cut_first_list(payload["data"])
        return self._answer(
            payload, complexity=complexity, permissions=sorted(context["permissions_used"])
        )

    def _slow(self, request: httpx.Request) -> bool:
        """Whether the request asks for a root field Centra cannot answer in time; checked
        before anything else, as a query that never answers never meets a quota either."""
        try:
            body = json.loads(request.content)
            document, errors = self._document(body["query"])
            operation = None if errors else self._operation(document, body.get("operationName"))
        except (ValueError, KeyError, TypeError):
            return False
        return operation is not None and bool(
            self.config.slow_root_fields & _root_fields(operation)
        )

    @staticmethod
    def _token(request: httpx.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :].strip()
        cookies = SimpleCookie(request.headers.get("Cookie", ""))
        return cookies["graphql-access"].value if "graphql-access" in cookies else None

    def _errors(self, status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"errors": [{"message": message}]})

    def _answer(self, payload: dict, *, complexity: int, permissions=()) -> httpx.Response:
        payload["extensions"] = {
            "complexity": complexity,
            "permissionsUsed": list(permissions),
            "appVersion": APP_VERSION,
        }
        return httpx.Response(
            200,
            content=json.dumps(payload, separators=(",", ":")),
            headers={"Content-Type": "application/json"},
        )

    # -- GraphQL documents -------------------------------------------------------------------
    def _document(self, query: str):
        """Parse and validate, cached by query text (clients send the same few queries)."""
        with self._documents_lock:
            cached = self._documents.get(query)
        if cached is None:
            try:
                document = parse(query)
                errors = validate(self.schema, document)
            except GraphQLError as error:
                document, errors = None, [error]
            cached = (document, errors)
            with self._documents_lock:
                self._documents[query] = cached
                if len(self._documents) > 256:
                    self._documents.popitem(last=False)
        return cached

    @staticmethod
    def _operation(document, name):
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            return operations[0] if len(operations) == 1 else None
        return next((op for op in operations if op.name and op.name.value == name), None)

    def _complexity(self, document, operation, variables) -> int:
        fragments = {
            d.name.value: d
            for d in document.definitions
            if hasattr(d, "type_condition") and not isinstance(d, InlineFragmentNode)
        }
        root = (
            self.schema.mutation_type
            if operation.operation == OperationType.MUTATION
            else self.schema.query_type
        )
        return self._cost(operation.selection_set, root, fragments, variables, depth=0)

    def _cost(self, selection_set, parent, fragments, variables, *, depth) -> int:
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                if name.startswith("__"):
                    continue
                if node.selection_set is None:
                    total += (
                        0
                        if name in FREE_FIELDS
                        else (STOCK_QUANTITY_COST if name in STOCK_QUANTITIES else 1)
                    )
                    continue
                field_type = parent.fields[name].type
                if isinstance(field_type, GraphQLNonNull):
                    field_type = field_type.of_type
                multiplier = 1
                if isinstance(field_type, GraphQLList):
                    multiplier = self._limit(node, variables) or (
                        self.config.default_limit if depth == 0 else NESTED_LIST_GUESS
                    )
                while isinstance(field_type, GraphQLList | GraphQLNonNull):
                    field_type = field_type.of_type
                inner = self._cost(
                    node.selection_set, field_type, fragments, variables, depth=depth + 1
                )
                total += 1 + multiplier * inner
            else:
                if isinstance(node, FragmentSpreadNode):
                    fragment = fragments[node.name.value]
                    condition, selections = fragment.type_condition, fragment.selection_set
                else:
                    condition, selections = node.type_condition, node.selection_set
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._cost(selections, target, fragments, variables, depth=depth)
        return total

    @staticmethod
    def _limit(node: FieldNode, variables) -> int | None:
        for argument in node.arguments:
            if argument.name.value == "limit":
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    found = variables.get(value.name.value)
                    return found if isinstance(found, int) else None
        return None

    # -- throttling ------------------------------------------------------------------------
    def _throttle(self, *, mutation: bool, complexity: int) -> httpx.Response | None:
        """Take the request's tokens, or answer 429 without taking any (Centra: sending
        before ``Retry-After`` re-triggers the limit, so nothing is gained by early calls)."""
        if not self.config.throttle:
            return None
        now = self.clock.monotonic()
        costs = {
            "REQUEST_COUNT": 1,
            "MUTATION_COUNT": 1 if mutation else 0,
            "QUERY_COMPLEXITY": complexity,
        }
        wait = max(
            bucket.wait_for(costs[kind], now)
            for (kind, _), bucket in self.buckets.items()
            if costs[kind]
        )
        if wait > 1e-9:
            return httpx.Response(
                429,
                headers={"Retry-After": self._retry_after(wait)},
                json={
                    "errors": [
                        {"message": "Too many requests", "extensions": {"category": "throttling"}}
                    ]
                },
            )
        for (kind, _), bucket in self.buckets.items():
            if costs[kind]:
                bucket.take(costs[kind], now)
        return None

    def _retry_after(self, wait: float) -> str:
        seconds = max(1, math.ceil(wait))
        if self.config.retry_after_format == "seconds":
            return str(seconds)
        at = math.ceil(time.time()) + seconds  # whole seconds, never earlier than the wait
        if self.config.retry_after_format == "http-date":
            return email.utils.formatdate(at, usegmt=True)
        return str(at)


def _root_fields(operation) -> set[str]:
    return {
        getattr(node, "name", None) and node.name.value
        for node in operation.selection_set.selections
    }


def never_awaitable(_value) -> bool:
    """Every resolver here is synchronous; skipping graphql-core's awaitable check on each
    of the ~7 values per catalog row saves about a tenth of a large read."""
    return False


def cut_first_list(data) -> None:
    """The "partial" fault: the first list in ``data`` loses its second half."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = value[: len(value) // 2]
            return
