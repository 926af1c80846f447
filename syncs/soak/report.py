"""The soak's figures: what was injected, killed and restarted, and the invariants."""

import json
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

from syncs.models import SyncRun
from syncs.soak.setup import log


@dataclass
class Figures:
    runs: Counter = field(default_factory=Counter)  # (stream, status)
    kills: Counter = field(default_factory=Counter)  # by target
    recoveries: list[float] = field(default_factory=list)  # seconds, stream kills
    db_restarts: int = 0
    node_restarts: int = 0
    stock_ins: int = 0
    cycles: int = 0
    seconds: float = 0.0


def runs_by_outcome() -> dict[str, int]:
    rows = SyncRun.objects.values("stream", "status").annotate(n=Count("pk"))
    return {f"{row['stream']} {row['status']}": row["n"] for row in rows}


def report(soak, results, truth: dict) -> int:
    figures = soak.figures
    faults = truth.get("faults", {})
    recoveries = [r for r in figures.recoveries if r != float("inf")]
    summary = {
        "options": vars(soak.opts),
        "stream_runs": sum(figures.runs.values()),
        "runs_by_outcome": dict(sorted(figures.runs.items())),
        "api_calls": truth.get("calls", 0),
        "faults_by_kind": dict(sorted(faults.items())),
        "faults_total": sum(faults.values()),
        "kills_by_target": dict(figures.kills),
        "kills_total": sum(figures.kills.values()),
        "recovery_seconds_max": round(max(recoveries), 1) if recoveries else None,
        "recovery_seconds_median": round(sorted(recoveries)[len(recoveries) // 2], 1)
        if recoveries
        else None,
        "db_restarts": figures.db_restarts,
        "node_restarts": figures.node_restarts,
        "lines_stocked_in": figures.stock_ins,
        "cycles_to_converge": figures.cycles,
        "invariants": [
            {"name": r.name, "count": r.count, "ok": r.ok, "detail": r.detail} for r in results
        ],
        "seconds": round(figures.seconds),
    }
    (soak.log_dir / "soak.json").write_text(json.dumps(summary, indent=2, default=str))
    log(
        f"faults injected by kind: {summary['faults_by_kind']} "
        f"({summary['faults_total']} of {summary['api_calls']} calls)"
    )
    log(
        f"kills: {summary['kills_by_target']}; database restarts: {figures.db_restarts}; "
        f"node restarts: {figures.node_restarts}"
    )
    log(
        f"recovery after a kill: median {summary['recovery_seconds_median']} s, "
        f"max {summary['recovery_seconds_max']} s"
    )
    log(f"stream runs: {summary['stream_runs']} {summary['runs_by_outcome']}")
    for r in results:
        log(
            f"{'HELD  ' if r.ok else 'FAILED'} {r.name}: {r.count}"
            + (f" ({r.detail})" if r.detail else "")
        )
    ok = bool(results) and all(r.ok for r in results)
    verdict = "SOAK PASSED" if ok else "SOAK FAILED"
    print(
        f"{verdict} in {summary['seconds']} s: {summary['stream_runs']} stream runs, "
        f"{summary['kills_total']} kills, {figures.db_restarts} database restart(s), "
        f"{summary['faults_total']} faults; converged in {figures.cycles} clean cycle(s) "
        f"(logs and soak.json in {soak.log_dir})",
        flush=True,
    )
    return 0 if ok else 1
