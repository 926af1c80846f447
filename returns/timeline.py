"""A return's state and its timeline, shared by intake, the desk steps and the stock-in.

``return_event_add`` is the one writer of ``ReturnEvent`` rows (append-only history) and
``return_state_refresh`` the one place a line's and a return's state are derived; every step
calls both inside its own transaction, so the state shown and the history never disagree.
"""

from django.utils import timezone

from centra_ip.teams import actor_name
from returns.models import ExpectedReturn, LineState, ReturnEvent, ReturnState, StockIn

IN_QC = "in_qc"
SOURCE = "returns flow"


def return_event_add(
    ret, kind, *, line=None, actor=None, actor_label="", note="", key=None, at=None
):
    """Append one event to the return's timeline (the actor's name is kept as it was then)."""
    return ReturnEvent.objects.create(
        expected_return=ret,
        line=line,
        kind=kind,
        at=at or timezone.now(),
        actor=actor,
        actor_name=actor_label or actor_name(actor),
        note=note[:500],
        idempotency_key=key or None,
    )


def return_state_refresh(*, ret: ExpectedReturn) -> str:
    """Store each line's state and the return's; call inside the step's transaction."""
    lines = list(ret.lines.all())
    stock_ins = {s.line_id: s for s in StockIn.objects.filter(line__expected_return=ret)}
    for line in lines:
        state = line.state_compute(stock_ins.get(line.pk))
        if state != line.state:
            line.state = state
            line.save(update_fields=["state"])
    states = {line.state for line in lines}
    if states & {LineState.FAILED, LineState.PARKED}:
        new = ReturnState.EXCEPTION
    elif states == {LineState.COMPLETE}:
        new = ReturnState.COMPLETE
    elif states == {LineState.EXPECTED}:
        new = ReturnState.EXPECTED
    elif LineState.EXPECTED in states or all(line.qc_at is None for line in lines):
        new = ReturnState.RECEIVED
    elif LineState.IN_QC in states:
        new = ReturnState.IN_QC
    else:
        new = ReturnState.STOCKING_IN
    if new != ret.state:
        now = timezone.now()
        ret.state, ret.state_changed_at = new, now
        fields = ["state", "state_changed_at"]
        if new == ReturnState.COMPLETE:
            ret.completed_at = now
            fields.append("completed_at")
            return_event_add(ret, ReturnEvent.Kind.COMPLETE, actor_label=SOURCE, at=now)
        ret.save(update_fields=fields)
    return new
