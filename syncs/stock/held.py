"""Held pushes: what the guard would not send alone.

A held push is released (sent as planned) or discarded by a person; a compare-and-set on
its status makes a double click act once. (A rejected SKU's retry is in ``retries``.)
"""

from django.db import transaction
from django.utils import timezone

from syncs.clients import centra_client
from syncs.models import StockPush, StockPushLine, StockSettings
from syncs.stock import push, tickets


class PushStateError(Exception):
    """The push is no longer held (someone else released or discarded it, or a later cycle
    or a configuration change superseded it), or the release was not confirmed."""


def _claim(stock_push: StockPush, status: str, actor) -> None:
    claimed = StockPush.objects.filter(pk=stock_push.pk, status=StockPush.Status.HELD).update(
        status=status, decided_by=actor, decided_at=timezone.now()
    )
    if claimed != 1:
        current = StockPush.objects.get(pk=stock_push.pk)
        raise PushStateError(
            f"push {stock_push.pk} is not held any more: {current.get_status_display().lower()}"
            + (f" ({current.decision_note})" if current.decision_note else "")
        )


# A release up to this many lines is sent in the request (ten mutations, seconds at the
# default quota); a bigger one goes to the task queue, as a full push may take minutes.
INLINE_LINES = 2000


def release_confirmation(stock_push: StockPush) -> str:
    """What a person types to release a push: its line count. A held push is by definition
    beyond the guard's thresholds, so a release is never one click."""
    return str(stock_push.lines.count())


def stock_push_release(
    *, stock_push: StockPush, actor, confirmation: str
) -> push.PushOutcome | None:
    """Send a held push as it was planned; the person releasing it vouches for its input
    and confirms by typing its line count.

    Returns the outcome when sent at once, or None when the sending was queued."""
    expected = release_confirmation(stock_push)
    if confirmation.strip() != expected:
        raise PushStateError(
            f"not released: type {expected} (the number of lines) to confirm sending them"
        )
    _claim(stock_push, StockPush.Status.SENT, actor)
    tickets.push_held_clear(note=f"push {stock_push.pk} released by {actor.get_username()}")
    if stock_push.lines.count() > INLINE_LINES:
        push_id = stock_push.pk
        transaction.on_commit(lambda: held_push_enqueue(push_id=push_id))
        return None
    return stock_push_send_planned(push_id=stock_push.pk)


def held_push_enqueue(*, push_id: int) -> None:
    from django_q.tasks import async_task

    async_task("syncs.stock.tasks.send_released_push", push_id)


def stock_push_send_planned(*, push_id: int) -> push.PushOutcome:
    """Send the lines of a released push that are still planned. Idempotent: a task
    delivered twice, or resumed after a failure, sends only what has not been sent."""
    stock_push = StockPush.objects.get(pk=push_id, status=StockPush.Status.SENT)
    lines = list(stock_push.lines.filter(status=StockPushLine.Status.PLANNED))
    settings = StockSettings.load()
    with centra_client() as centra:
        if lines:
            centra.sync_pacing()
        return push.push_send(
            push=stock_push, lines=lines, centra=centra, batch_size=settings.batch_size
        )


def stock_push_discard(*, stock_push: StockPush, actor) -> None:
    """Send nothing of a held push. The ``push_held`` ticket stays: its cause may persist,
    and it resolves itself only as documented, when a cycle passes the guard and pushes."""
    with transaction.atomic():
        _claim(stock_push, StockPush.Status.DISCARDED, actor)
        stock_push.lines.filter(status=StockPushLine.Status.PLANNED).update(
            status=StockPushLine.Status.DISCARDED
        )
