"""The sandbox's control endpoint: read and change each twin's fault plan at runtime.

Served beside the twins (``/control/...``) and called by the admin-only sandbox page of
the app. Requests must carry ``X-Sandbox-Control``, a key derived from SECRET_KEY, which
the web process and the sandbox process share; nothing else can steer the twins.

    GET  /control/faults                   -> {"centra": {...}, "inventory_planner": {...}}
    POST /control/faults/<twin>  {...}     -> the twin's plan after the change
    POST /control/faults/<twin>/reset      -> the twin's plan back to no faults
"""

import hashlib
import hmac
import json

import httpx

from syncs.sandbox.faults import FaultPlan

CONTROL_HEADER = "X-Sandbox-Control"


def control_key(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"centra-ip sandbox control", hashlib.sha256).hexdigest()


def control_handler(plans: dict[str, FaultPlan], *, key: str):
    """An ``httpx.Request -> httpx.Response`` handler over the given twins' plans."""

    def handle(request: httpx.Request) -> httpx.Response:
        offered = request.headers.get(CONTROL_HEADER, "").encode()
        if not hmac.compare_digest(offered, key.encode()):
            return httpx.Response(403, json={"error": "bad or missing control key"})
        parts = [p for p in request.url.path.split("/") if p][1:]  # drop "control"
        if parts == ["faults"] and request.method == "GET":
            return httpx.Response(200, json={name: p.as_dict() for name, p in plans.items()})
        if len(parts) in (2, 3) and parts[0] == "faults" and request.method == "POST":
            plan = plans.get(parts[1])
            if plan is None:
                return httpx.Response(404, json={"error": f"no twin named {parts[1]!r}"})
            return _change(plan, request, reset=parts[2:] == ["reset"])
        return httpx.Response(404, json={"error": "unknown control path"})

    return handle


def _change(plan: FaultPlan, request: httpx.Request, *, reset: bool) -> httpx.Response:
    try:
        if reset:
            plan.reset()
        else:
            changes = json.loads(request.content or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object")
            plan.update(**changes)
    except (ValueError, TypeError) as error:
        return httpx.Response(400, json={"error": str(error)})
    return httpx.Response(200, json=plan.as_dict())
