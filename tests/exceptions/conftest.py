"""Fixtures for the exception desk tests: a retry action registered for one type, and a
webhook transport that records what it was sent."""

import httpx
import pytest

from exceptions import registry
from exceptions.webhook_guard import webhook_resolver_set
from syncs.connectors.http import transports_install


@pytest.fixture
def retry_outcomes(monkeypatch):
    """Script the retry action of ``stock_push_rejected`` (the function its type names):
    push results into the list (a RetryResult is returned, an exception is raised).
    Records what it saw."""
    script: list = []
    seen: list = []

    def action(ticket):
        seen.append(ticket.sku)
        result = script.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    module, name = registry.get_type("stock_push_rejected").retry.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", action)
    return script, seen


@pytest.fixture
def webhook():
    """Every webhook request is recorded; set ``webhook.status`` to make the hook fail."""

    class Hook:
        status = 200
        error: Exception | None = None
        requests: list[httpx.Request] = []

    hook = Hook()
    hook.requests = []

    def handler(request):
        hook.requests.append(request)
        if hook.error:
            raise hook.error
        return httpx.Response(hook.status, text="ok")

    # Every test host resolves to one public address (TEST-NET addresses are not public).
    webhook_resolver_set(lambda host: ["93.184.215.14"])
    with transports_install(team_webhook=httpx.MockTransport(handler)):
        yield hook
    webhook_resolver_set(None)
