"""Queued work of the stock engine; thin, taking ids, safe to deliver twice."""

from syncs.stock.held import stock_push_send_planned


def send_released_push(push_id: int) -> str:
    outcome = stock_push_send_planned(push_id=push_id)
    return (
        f"{outcome.accepted} accepted, {outcome.rejected} rejected in {outcome.mutations} mutations"
    )
