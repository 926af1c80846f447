"""``manage.py check_apis`` against the sandbox twins: passes as they are; fails, clearly
and with an admin ticket, on a Centra schema with a renamed type, on a token without a
permission, and on IP variants without per-warehouse ``in_stock``."""

import io

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from graphql import build_schema

from exceptions.models import Ticket
from syncs.apicheck import ApiCheckReport, apis_check_settle
from syncs.connectors.centra.schema import documented_sdl
from syncs.sandbox.centra.schema import bind_resolvers

pytestmark = pytest.mark.django_db


def check_apis() -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("check_apis", stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def open_ticket():
    return Ticket.objects.filter(type="api_check_failed", status__in=Ticket.ACTIVE).first()


def test_the_sandbox_passes(sandbox):
    output, code = check_apis()

    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "API check OK"
    assert not [line for line in lines if "PROBLEM" in line]
    assert "  note    Centra permission: can write stock" in lines
    assert "  note    Centra permission: can read return comments" in lines
    assert "  note    Inventory Planner: warehouse.in_stock present in all 50" in lines
    assert next(line for line in lines if "Centra rate limit" in line).startswith(
        "  note    Centra rate limit MUTATION_COUNT per 10 s: quota 20, "
    )
    assert open_ticket() is None


def test_the_probes_change_nothing(sandbox):
    state = sandbox.centra.state
    levels = {
        size.id: {w: (s.physicalQuantity, s.allocatedQuantity) for w, s in size.levels.items()}
        for size in state.sizes.values()
    }
    check_apis()
    assert state.listeners == {}
    assert {
        size.id: {w: (s.physicalQuantity, s.allocatedQuantity) for w, s in size.levels.items()}
        for size in state.sizes.values()
    } == levels


def test_a_renamed_type_fails_and_says_which(sandbox):
    renamed = documented_sdl().replace("EventListenerSetInput", "EventListenerInputV2")
    sandbox.centra.schema = bind_resolvers(build_schema(renamed))

    output, code = check_apis()

    assert code == 1
    assert output.splitlines()[0] == "API check FAILED: 1 problem(s)"
    assert (
        "  PROBLEM Centra schema: document SET_EVENT_LISTENERS: Unknown type "
        "'EventListenerSetInput'. Did you mean 'EventListenerUnsetInput', 'EventListenerInputV2'"
    ) in output
    assert "Centra schema differs from the vendored one: EventListenerSetInput was removed." in (
        output
    )
    ticket = open_ticket()
    assert (ticket.team, ticket.stream) == ("admin", "check_apis")
    assert ticket.context["problems"][0].startswith(
        "Centra schema: document SET_EVENT_LISTENERS: Unknown type 'EventListenerSetInput'"
    )


def test_a_token_without_a_permission_fails_and_says_which(sandbox):
    sandbox.centra.config.permissions = frozenset(
        {"Order:read", "Product:read", "Warehouse:read", "Return:read", "Event:read"}
        | {"Event:write", "Return.comment:read"}
    )

    output, code = check_apis()

    assert code == 1
    problems = [line for line in output.splitlines() if "PROBLEM" in line]
    assert problems == [
        "  PROBLEM Centra permission: cannot write stock (needs StockChange:write): You need "
        "StockChange:write permission to access setStock."
    ]
    assert open_ticket().summary.startswith("check_apis: 1 problem(s); first: Centra permission")


def test_a_missing_return_comment_permission_is_named(sandbox):
    """Centra checks a field's permission when it resolves one: the probe needs a return."""
    state = sandbox.centra.state
    order = state.place_order([(sandbox.world.sellable[0], 1, "10.00")])
    state.create_return(state.ship(order.number).id)
    sandbox.centra.config.permissions = frozenset(
        {"Order:read", "Product:read", "Warehouse:read", "Return:read", "Event:read"}
        | {"Event:write", "StockChange:write"}
    )
    output, code = check_apis()
    assert code == 1
    assert (
        "PROBLEM Centra permission: cannot read return comments (needs Return.comment:read): "
        "You need Return.comment:read permission to access comment."
    ) in output


def test_ip_variants_without_per_warehouse_in_stock_fail(sandbox):
    """IP answering stubs for the nested ``warehouse.in_stock`` (the reference warns some
    nested selections return only an id stub)."""

    def stubbed(request):
        response = sandbox.inventory_planner.handle(request)
        if "/variants" not in request.url.path:
            return response
        body = response.json()
        for variant in body["variants"]:
            for block in variant.get("warehouse") or []:
                block.pop("in_stock", None)
        return httpx.Response(200, json=body)

    from syncs.clients import transports_install

    with transports_install(inventory_planner=httpx.MockTransport(stubbed)):
        output, code = check_apis()

    assert code == 1
    assert "PROBLEM Inventory Planner: warehouse.in_stock missing in 50 of 50 looked at" in output


def test_a_pass_resolves_the_ticket(db):
    apis_check_settle(ApiCheckReport(problems=["Centra rateLimits: down"]))
    ticket = open_ticket()
    apis_check_settle(ApiCheckReport())
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AUTO_RESOLVED


def test_the_rate_limits_size_the_pacer(sandbox):
    """A plan smaller than Growth: the pacer takes Centra's quota, not the default."""
    from syncs.clients import centra_client
    from syncs.connectors.centra import CentraLimits

    sandbox.centra.config.limits = CentraLimits(requests_10s=20, mutations_10s=5)
    sandbox.centra.reset_buckets()
    with centra_client() as centra:
        assert centra.pacer.buckets[("REQUEST_COUNT", 10)].capacity == 60
        centra.sync_pacing()
        assert centra.pacer.buckets[("REQUEST_COUNT", 10)].capacity == 20
        assert centra.pacer.buckets[("MUTATION_COUNT", 10)].capacity == 5


def test_the_button_is_for_admins_and_queues_the_check(
    client_for, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    assert b'id="check-apis"' not in client_for("operations").get("/dashboard/").content
    admin = client_for("admin")
    assert b'id="check-apis"' in admin.get("/dashboard/").content
    assert client_for("operations").post("/syncs/check-apis/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/syncs/check-apis/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    [task] = OrmQ.objects.all()
    assert task.func() == "syncs.tasks.check_apis"
