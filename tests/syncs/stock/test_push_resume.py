"""A push cut short (its worker killed, or Centra gone mid-push) is finished by the next
cycle without sending again the lines Centra already applied."""

import json

import httpx
import pytest

from syncs.clients import transports_install
from syncs.models import StockPosition, StockPushLine, StockSettings
from syncs.runner import sync_run_stream

pytestmark = pytest.mark.django_db


def centra_cut_after(sandbox, batches: int, written: list):
    """The Centra twin, logging every size each applied setStock wrote; after ``batches``
    setStock calls it answers 503 without acting (Centra went away mid-push)."""

    def handle(request):
        body = json.loads(request.content or b"{}")
        if "setStock" in body.get("query", ""):
            if batches_left[0] == 0:
                return httpx.Response(503, text="unavailable")
            batches_left[0] -= 1
            sizes = body["variables"]["input"]["productSizes"]
            written.extend(item["productSize"]["id"] for item in sizes)
        return sandbox.centra.handle(request)

    batches_left = [batches]
    return transports_install(centra=httpx.MockTransport(handle))


def test_the_next_cycle_pushes_only_the_lines_the_cut_push_did_not_apply(mapped):
    StockSettings.load()
    StockSettings.objects.filter(pk=1).update(batch_size=50)
    written: list[int] = []

    with centra_cut_after(mapped, 1, written):
        cut = sync_run_stream(stream="stock")
    assert cut.status == "failed"
    first = set(written)
    assert len(first) == 50
    planned = StockPushLine.objects.filter(status=StockPushLine.Status.PLANNED)
    left = set(planned.values_list("product_size_id", flat=True))
    assert left and not (left & first)

    with centra_cut_after(mapped, 1000, written):
        run = sync_run_stream(stream="stock")

    second = written[50:]
    assert sorted(second) == sorted(left)  # exactly the lines not applied, each once
    assert run.status == "succeeded" and run.counts["accepted"] == len(left)
    assert StockPosition.objects.count() == len(first | left)
