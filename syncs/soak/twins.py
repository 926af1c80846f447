"""The soak's twins: the sandbox served over HTTP with faults drawn per call, counted by
kind, and the ground truth (their state and write log) readable by the harness.

``manage.py soak_twins`` serves this. Each call to either twin draws a fault with the
configured probability, one kind with equal chance:

- ``server_error``: 503 without acting;
- ``throttle``: a burst of 429s with ``Retry-After`` (every call for the next two seconds);
- ``timeout``: no answer until after the client's timeout, then the connection drops;
- ``reset``: the connection is reset (TCP RST) without an answer;
- ``slow``: the real answer, one to three seconds late;
- ``malformed``: the real answer's JSON cut mid-way (the twin acted on the request);
- ``partial``: a list page cut short (the twin's own "partial page").

Only ``slow``, ``malformed`` and ``partial`` reach the twin's state: a write under them is
applied, and the client may not learn it. ``/soak/state`` returns the twins' truth and
the fault counts (``GET /soak/faults``: the counts alone); ``POST /soak/faults {"rate": 0,
"tick": false}`` turns the faults off and freezes the world.
"""

import contextlib
import json
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

import httpx

from syncs.sandbox.sandbox import Sandbox
from syncs.sandbox.server import _ThreadingServer, wsgi_app

SOAK_KINDS = ("server_error", "throttle", "timeout", "reset", "slow", "malformed", "partial")


class ConnectionReset(Exception):
    """Tell the server to reset the connection instead of answering."""


class SoakFaults:
    """Draws, applies and counts the faults of both twins (thread-safe)."""

    def __init__(self, *, rate: float, seed: int, hang_seconds: float):
        self.rate, self.hang_seconds = rate, hang_seconds
        self.counts: Counter = Counter()
        self.calls = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        with self._lock:
            self.calls += 1
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(SOAK_KINDS)
            self.counts[kind] += 1
            return kind

    def slow_seconds(self) -> float:
        with self._lock:
            return self._rng.uniform(1.0, 3.0)


class SoakTwins:
    """The sandbox behind fault injection, with a write log of Centra's stock writes."""

    def __init__(self, sandbox: Sandbox, faults: SoakFaults):
        self.sandbox, self.faults = sandbox, faults
        self.stock_writes: list[dict] = []  # every setStock item Centra accepted
        self.ticking = True  # the world moves on; frozen for the clean cycles
        self._twin_lock = threading.Lock()  # one call in a twin at a time: faults stay exact

    def tick(self) -> None:
        if self.ticking:
            with self._twin_lock:
                self.sandbox.world.tick()

    def routes(self, *, secret_key: str) -> dict:
        routes = self.sandbox.routes(secret_key=secret_key)
        return {
            "/graphql": self._faulty(self._centra),
            "/api/v1": self._faulty(self.sandbox.inventory_planner.handle),
            "/control": routes["/control"],
            "/soak": self._soak,
        }

    def _faulty(self, handle):
        def faulty(request: httpx.Request) -> httpx.Response:
            kind = self.faults.draw()
            if kind == "server_error":
                return httpx.Response(503, text="Service Unavailable (soak: injected)")
            if kind == "timeout":
                time.sleep(self.faults.hang_seconds)
                raise ConnectionReset
            if kind == "reset":
                raise ConnectionReset
            if kind == "slow":
                time.sleep(self.faults.slow_seconds())
            plan = _plan_of(self.sandbox, handle)
            with self._twin_lock:
                if kind == "throttle":
                    plan.update(throttle_storm_seconds=2.0, retry_after_seconds=1.0)
                elif kind in ("malformed", "partial"):
                    plan.update(fail_next=1, fail_next_kind=kind)
                return handle(request)

        return faulty

    def _centra(self, request: httpx.Request) -> httpx.Response:
        response = self.sandbox.centra.handle(request)
        if b"setStock" in request.content and response.status_code == 200:
            self._log_stock_writes(request, response)
        return response

    def _log_stock_writes(self, request: httpx.Request, response: httpx.Response) -> None:
        """Log each item Centra applied (a stockChange came back), with the push named in
        the mutation's description."""
        try:
            body = json.loads(request.content)
            data = json.loads(response.content)["data"]["setStock"]
        except (ValueError, KeyError, TypeError):
            return
        variables = body.get("variables") or {}
        given = variables.get("input") or next(iter(variables.values()), {})
        if not data or not data.get("stockChanges"):
            return
        warehouse = (given.get("warehouse") or {}).get("id")
        for item in given.get("productSizes") or []:
            self.stock_writes.append(
                {
                    "size": (item.get("productSize") or {}).get("id"),
                    "warehouse": warehouse,
                    "quantity": item.get("quantity"),
                    "description": given.get("description", ""),
                    "at": time.time(),
                }
            )

    def _soak(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/soak/faults" and request.method == "POST":
            body = json.loads(request.content or b"{}")
            self.faults.rate = float(body.get("rate", 0.0))
            self.ticking = bool(body.get("tick", True))
            return httpx.Response(200, json={"rate": self.faults.rate, "tick": self.ticking})
        if path == "/soak/faults":
            counts = {"faults": dict(self.faults.counts), "calls": self.faults.calls}
            return httpx.Response(200, json=counts)
        if path == "/soak/state":
            with self._twin_lock:
                return httpx.Response(200, json=self.state())
        return httpx.Response(404, json={"error": "unknown soak path"})

    def state(self) -> dict:
        """The ground truth the invariants are checked against."""
        centra = self.sandbox.centra.state
        ip = self.sandbox.inventory_planner
        with centra.lock:
            lines = [
                {
                    "id": line.id,
                    "order": order.number,
                    "sku": line.productSize.SKU,
                    "quantity": line.quantity,
                    "cancelled": line.cancelledQuantity,
                    "order_cancelled": order.status == "CANCELLED",
                }
                for order in centra.orders.values()
                for line in order.all_lines
            ]
            stock = [
                {
                    "size": size.id,
                    "sku": size.SKU,
                    "warehouse": wid,
                    "physical": lvl.physicalQuantity,
                }
                for size in centra.sizes.values()
                for wid, lvl in size.levels.items()
            ]
        with ip._lock:
            stock_orders = [
                {
                    "id": order["id"],
                    "reference": order["reference"],
                    "status": order["status"],
                    "received": sum(item.get("received") or 0 for item in order["items"]),
                }
                for order in ip._orders.values()
            ]
        return {
            "faults": dict(self.faults.counts),
            "calls": self.faults.calls,
            "rate": self.faults.rate,
            "order_lines": lines,
            "centra_stock": stock,
            "stock_writes": self.stock_writes,
            "ip_stock_orders": stock_orders,
        }


def _plan_of(sandbox: Sandbox, handle):
    if handle == sandbox.inventory_planner.handle:
        return sandbox.inventory_planner.faults
    return sandbox.centra.faults


class _Handler(ServerHandler):
    """wsgiref's, except that a ``ConnectionReset`` from the app sends nothing (the request
    handler then resets the connection) and dropped connections log no traceback."""

    reset = False

    def handle_error(self):
        if isinstance(sys.exc_info()[1], ConnectionReset):
            self.reset = True
            return
        super().handle_error()

    def log_exception(self, exc_info):
        if not isinstance(exc_info[1], OSError):
            super().log_exception(exc_info)


class _SoakHandler(WSGIRequestHandler):
    def handle(self):
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = _Handler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self
        with contextlib.suppress(OSError):  # a client that gave up
            handler.run(self.server.get_app())
        if handler.reset:
            self.connection_reset()

    def connection_reset(self) -> None:
        """Close with SO_LINGER 0 (every reference to the socket closed, so the kernel
        really closes it): it sends RST, as a dropped connection does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        self.connection.close()

    def log_message(self, format, *args):
        pass


def soak_server(twins: SoakTwins, *, host: str, port: int, secret_key: str) -> WSGIServer:
    """The threaded sandbox server, with ``ConnectionReset`` turned into a TCP reset."""
    app = wsgi_app(twins.routes(secret_key=secret_key))
    return make_server(host, port, app, _ThreadingServer, _SoakHandler)
