"""The daily digest, in the migration plan's daily-update shape: status, what changed,
issues, next steps, plus its period hour by hour, the point-in-time checks, the worst numbers
and, when the gate gives one, its state.

Its period is the 24 hours before `notify.digest_at` (UTC). It is composed once the period's
last hour has had its chance to be judged (`digest_at` + the hourly jobs' settle, rounded up
to the minute, and once that hour has a verdict, waiting at most an hour more for it), from
the ledger of the hourly datasets the gate reads: per dataset, hours
passed, failed, empty (no row on either side) and missing (no conclusive verdict: no ledger
row, pending, settled but not judged, or in error). It says "on track" only when every hour
of the period passed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from reconciler.config.models import NotifyConfig
from reconciler.results import time_from_text
from reconciler.timeutil import Window, floor_hour, iso

UTC = timezone.utc
DAY = timedelta(days=1)
CELLS = {"pass": "passed", "fail": "failed", "empty": "empty"}  # ledger verdict -> cell; anything else: missing
CELL = {"passed": "✅", "failed": "❌", "empty": "⚪", "missing": "⬜"}
ISSUES_SHOWN = 10
LAST_HOUR_GRACE = timedelta(hours=1)  # how long the digest waits for its period's last hour


@dataclass(frozen=True)
class DigestScope:
    """What the digest counts: the hourly datasets (the gate's), how long after `digest_at`
    the period's last hour is judged, the gate (a callable, read only when a digest is due),
    the phase under way (`current_phase`) and its error-rate target."""

    datasets: tuple[str, ...] = ()
    ready_after: timedelta = timedelta(0)
    gate: object = field(default=None, compare=False)
    phase: str = "shadow"
    error_target_pct: float = 0.1


def digest_period(notify: NotifyConfig, now: datetime, ready_after: timedelta = timedelta(0)) -> Window | None:
    """The period of the latest digest due at `now`: the 24 whole hours before the latest
    `digest_at` (at 07:45, those up to 07:00) whose last hour has been judged by now (None: no
    digest configured)."""
    if not notify.digest_at:
        return None
    hour, minute = (int(x) for x in notify.digest_at.split(":"))
    now = now.astimezone(UTC)
    send_at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    while send_at > now or floor_hour(send_at) + ready_after > now:
        send_at -= DAY
    end = floor_hour(send_at)
    return Window(end - DAY, end)


def enqueue_digest_if_due(store, notify: NotifyConfig, now: datetime, scope: DigestScope | None = None) -> bool:
    """At most one digest per period (its message key is the date its period ends)."""
    scope = scope or DigestScope()
    period = digest_period(notify, now, scope.ready_after)
    if period is None:
        return False
    key = f"digest:{period.end.date().isoformat()}"
    if store.outbox.by_key(key) is not None or _last_hour_in_flight(store, period, scope, now):
        return False
    if not store.ran_before(period.end):
        return False  # the checker did not exist yet: a first start owes no digest of the day before
    store.outbox.enqueue(key, "digest", digest_facts(store, period, scope), now=now)
    return True


def _last_hour_in_flight(store, period: Window, scope: DigestScope, now: datetime) -> bool:
    """The period's last hour has no verdict yet, though it is due: another replica may be
    judging it right now. The digest waits for it, for at most LAST_HOUR_GRACE (a source that
    stays down must not hold the digest back for good)."""
    if now >= period.end + scope.ready_after + LAST_HOUR_GRACE:
        return False
    last = period.end - timedelta(hours=1)
    return any(not [r for r in store.ledger(d, last, period.end) if r["verdict"] is not None] for d in scope.datasets)


def gate_facts(gate) -> dict | None:
    """The gate's structured state for the digest (rendered in the reader's language);
    `gate` may be a callable, evaluated only when a digest is due."""
    if callable(gate):
        gate = gate()
    if gate is None or isinstance(gate, dict):
        return gate
    states = {o.criterion: o.state for o in gate.outcomes}
    return {"phase": gate.phase, "verdict": gate.verdict,
            "not_met": [c for c, state in states.items() if state == "not met"],
            "incomplete": [c for c, state in states.items() if state == "incomplete"],
            "clean_hours": gate.clean_hours, "days_required": gate.days_required,
            "hourly": gate.hourly}


def digest_facts(store, period: Window, scope: DigestScope | None = None) -> dict:
    scope = scope or DigestScope()
    hours = period.hours()
    rows = store.ledger_period(period.start, period.end)
    names = list(scope.datasets) or sorted({r["dataset"] for r in rows})
    verdicts = {(r["dataset"], r["hour"]): r["verdict"] for r in rows}
    datasets = []
    for name in names:
        cells = [CELLS.get(verdicts.get((name, h)), "missing") for h in hours]
        datasets.append({"dataset": name, "cells": cells, "counts": _counts(cells)})
    totals = _counts([c for d in datasets for c in d["cells"]])
    alerts = [a for a in store.alerts.touching(period.start, period.end) if _began_before(a, period.end)]
    reasons = {a["id"]: (store.outbox.by_key(a["top_key"]) or {}).get("facts") or {} for a in alerts}
    recovered = {a["id"]: _recovered_hour(store, a) for a in alerts if a["state"] != "open"}
    told = {a["id"]: _alert(a, reasons[a["id"]], recovered.get(a["id"])) for a in alerts}
    open_alerts = _most_important_first([told[a["id"]] for a in alerts if a["state"] == "open"])
    changed = _most_important_first([told[a["id"]] for a in alerts
                                     if _changed_within(a, recovered.get(a["id"]), period)])
    moment_results = store.history.moment_results(period.start, period.end)
    moments = _moments(moment_results)
    return {"date": period.end.date().isoformat(), "period": period.to_dict(),
            "status": _status(totals, open_alerts, moments), "hours": [iso(h) for h in hours],
            "datasets": datasets, "totals": totals, "open_alerts": open_alerts, "changed": changed,
            "moments": moments, "failed_moment_runs": _failed_runs(moment_results), "worst": _worst_drift(rows, names), "gate": gate_facts(scope.gate),
            "stories": _stories(store, names, period),
            "plan": {"phase": scope.phase, "traffic": traffic_facts(store, period, names, scope.error_target_pct)}}


def traffic_facts(store, period: Window, datasets, target_pct: float) -> dict | None:
    """The traffic split and the new system's error rate over the period, from the stored
    hourly `traffic` results (as the gate reads them); None when the period has none. The
    split is the newest measured hour's."""
    from reconciler.checks.traffic.judge import TrafficBounds, error_rate_criterion
    from reconciler.gate.evidence import read_evidence
    from reconciler.gate.traffic import measured_hours, traffic_hours

    by_hour = traffic_hours(read_evidence(store, datasets, period, period.end))
    hours = measured_hours(by_hour)
    split = [h for h in hours if h.split_pct is not None]
    if not split:
        unjudged = [s.result for s in by_hour.values()]
        return {"unjudged": len(unjudged), "reason": unjudged[-1].reason} if unjudged else None
    verdict = error_rate_criterion(hours, period, TrafficBounds(max_error_rate_pct=target_pct))
    rated = [h for h in hours if h.new.error_rate_pct is not None]
    latest = split[-1]
    return {"split_pct": latest.split_pct, "split_hour": iso(latest.hour), "split_run_id": by_hour[latest.hour].run_id,
            "error_rate_pct": verdict.observed, "errors": sum(h.new.errors for h in rated),
            "requests": sum(h.new.requests for h in rated), "target_pct": target_pct,
            "on_target": verdict.observed is not None and verdict.observed < target_pct,
            "hours_measured": verdict.hours_measured, "hours": verdict.hours_expected,
            "complete": verdict.hours_measured == verdict.hours_expected}


def _stories(store, datasets, period: Window) -> list[dict]:
    """Per dataset, the stories of its failing hours in the period (notify/story.py)."""
    from reconciler.notify.story import period_stories

    return period_stories(store, datasets, period.start, period.end)


def _counts(cells: list[str]) -> dict:
    n = Counter(cells)
    return {"hours": len(cells), "judged": n["passed"] + n["failed"], "passed": n["passed"], "failed": n["failed"],
            "empty": n["empty"], "missing": n["missing"]}


def _status(totals: dict, open_alerts: list, moments: list) -> str:
    """red: an alert is open; yellow: something failed in the period; nothing: no hour has a
    verdict; incomplete: some hours have none; green: every hour of the period passed."""
    if open_alerts:
        return "red"
    if totals["failed"] or any(m["failed"] for m in moments):
        return "yellow"
    if totals["judged"] == 0 and (totals["hours"] or not moments):
        return "nothing"
    if totals["judged"] < totals["hours"]:
        return "incomplete"
    return "green"


def _began_before(alert: dict, end: datetime) -> bool:
    """The alert's first failing hour (or moment) was judged before the period's end."""
    first = alert["first_hour"]
    return first is None or first < end


def _recovered_hour(store, alert: dict) -> datetime | None:
    """The hour (or moment) whose judgement resolved the alert, from its recovery message."""
    facts = (store.outbox.by_key(f"recovered:{alert['id']}") or {}).get("facts") or {}
    return time_from_text(facts["hour"]) if facts.get("hour") else alert["resolved_at"]


def _changed_within(alert: dict, recovered: datetime | None, period: Window) -> bool:
    """Opened or resolved by a judgement of an hour (or moment) of the period: the judged time,
    not the wall clock, which is not the period's when a past period is replayed."""
    return any(t is not None and period.start <= t < period.end for t in (alert["first_hour"], recovered))


def _most_important_first(alerts: list[dict]) -> list[dict]:
    """Still open before resolved, then the newest failing hour (or moment) first, then the
    longest stretch: a list cut short ("…and N more") loses the oldest, shortest ones."""
    by_length = sorted(alerts, key=lambda a: -max(a["hours"], a["failures"]))
    by_newest = sorted(by_length, key=lambda a: a["last"], reverse=True)
    return sorted(by_newest, key=lambda a: a["state"] != "open")


def _alert(a: dict, top: dict, recovered: datetime | None = None) -> dict:
    """One alert, once: its stretch (first..last failing hour, or moment) and its state."""
    failed = sorted(a["failed_hours"] or [])
    return {"kind": a["kind"], "job": a["job"], "check": a["check_name"] or a["job"], "dataset": a["dataset"],
            "scope": top.get("scope", "hours"), "first": iso(a["first_hour"]) if a["first_hour"] else failed[0],
            "last": failed[-1] if failed else iso(a["first_hour"]), "hours": len(failed), "failures": a["failures"],
            "state": a["state"], "recovered": iso(recovered) if recovered else None,
            "reason": top.get("reason")}


def _moments(results: list[dict]) -> list[dict]:
    """Per job and configured check, the point-in-time runs of the period: how many, how many
    failed, and the latest."""
    by_check: dict[tuple, dict] = {}
    for r in results:
        key = (r["job"], r["details"].get("config_check") or r["check"])
        seen = by_check.setdefault(key, {"runs": set(), "failed": set(), "last": None})
        seen["runs"].add(r["run_id"])
        if r["status"] in ("fail", "error"):
            seen["failed"].add(r["run_id"])
        seen["last"] = (r["as_of"], r["run_id"])
    out = []
    for (job, check), seen in sorted(by_check.items()):
        at, run_id = seen["last"]
        out.append({"job": job, "check": check, "runs": len(seen["runs"]), "failed": len(seen["failed"]),
                    "last_status": "fail" if run_id in seen["failed"] else "pass", "last_at": iso(at)})
    return out


def _failed_runs(results: list[dict]) -> int:
    """Point-in-time runs that failed: a run is one, however many of its checks failed."""
    return len({r["run_id"] for r in results if r["status"] in ("fail", "error")})


def _worst_drift(rows: list[dict], datasets: list[str]) -> dict | None:
    worst = None
    for row in rows:
        if row["dataset"] in datasets and row["drift_pct"] is not None and (
                worst is None or abs(row["drift_pct"]) > abs(worst["drift_pct"])):
            worst = {"dataset": row["dataset"], "hour": iso(row["hour"]), "drift_pct": round(row["drift_pct"], 4)}
    return worst


def render_digest_blocks(out, facts: dict) -> str:
    """Fills the block builder `out` (blocks._Builder); returns the notification text."""
    from reconciler.notify.digest_render import digest_sections

    return digest_sections(out, facts)
