"""Alert lifecycle, decided inside the transaction that stores a run (`enqueue_for_run`).

An alert's fingerprint is job + configured check + dataset + result check (the rule or
expectation). The first failure opens it (a top-level message). A failure that persists adds
to its thread only when its evidence changes: a new failing hour, or a different value (the
number of violations; for the checker's own errors, the error); for a dataset compared row
by row, a new failing hour is news only when its findings tell another story than the one told
(notify/story.py: "now a different fault"), not for each hour of the same story. Otherwise it
is repeated at most every `remind_every` (a reminder, "still the same"). The first pass closes it (a "recovered" reply and the
top message rewritten). A window judged again (a recheck) only says so when its verdict
changed. Point-in-time results are moments, not hours: their alerts count the times they
failed (`scope: moments`). The tool's own errors (a run that could not be computed, a check in
error) open alerts of their own, fingerprinted `tool|...`, so a broken checker never reads as
broken data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from reconciler.checks.types import alert_facts, explained_by_rows, is_about_one_side, is_measure
from reconciler.notify.items import sample_line
from reconciler.notify.reasons import reason_of
from reconciler.notify.story import HourStory, alert_stories, hour_story
from reconciler.results import (
    EMPTY,
    ERROR,
    FAIL,
    PASS,
    CheckResult,
    RunResult,
    StoredRun,
    jsonable,
    time_from_text,
    worst,
)
from reconciler.store import alerts, outbox
from reconciler.store.alerts import RESOLVED
from reconciler.store.ledger import ledger_rows
from reconciler.store.result_history import earlier_results
from reconciler.timeutil import iso

DATA, TOOL = "data", "tool"
HOURS, MOMENTS = "hours", "moments"  # what an alert's failures are: hours judged, or moments checked
TOLD = ("alert", "followup", "reminder")  # the messages that tell an alert's evidence
MAX_ITEMS = 100
FAULT = "fault"  # a follow-up's change: the failing hour's findings tell another story


def fingerprint_of(job: str, result) -> str:
    get = result.get if isinstance(result, dict) else (lambda k: getattr(result, k, None))
    details = get("details") or {}
    check = get("check")
    config_check = get("config_check") or details.get("config_check")
    return "|".join([job, str(config_check or check), str(details.get("dataset") or ""), str(check)])


def report_of(run_id: int, run: RunResult) -> str:
    from reconciler.report.model import run_basename

    return f"runs/{run_basename(StoredRun(run=run, id=run_id))}.html"


def _window_dict(run: RunResult) -> dict:
    """The run's window; a point-in-time run is stored with both ends at its `as_of`."""
    if run.window is not None:
        return run.window.to_dict()
    return {"start": iso(run.as_of), "end": iso(run.as_of)}


def _moment(run: RunResult) -> datetime:
    """Where a run sits in time: its window's start, or the moment a point-in-time run judged."""
    return run.window.start if run.window is not None else run.as_of


@dataclass(frozen=True)
class SlackLifecycle:
    """The store's run hook (ReportStore.add_run_hook) that writes the Slack messages a stored
    run causes, inside the transaction that stores it. Equal settings make equal hooks, so
    wiring it twice into one store adds it once."""

    remind_every: timedelta = timedelta(hours=6)

    def __call__(self, conn: Connection, run_id: int, run: RunResult, now: datetime) -> None:
        enqueue_for_run(conn, run_id, run, now, remind_every=self.remind_every)


def enqueue_for_run(conn: Connection, run_id: int, run: RunResult, now: datetime, *,
                    remind_every: timedelta = timedelta(hours=6)) -> None:
    """The messages this run causes, written with the run (same transaction)."""
    alerts.lock_job(conn, run.job)
    ctx = _RunContext(conn, run_id, run, now, remind_every)
    if run.status == ERROR and not run.results:
        ctx.failure(TOOL, f"tool|{run.job}", {"check": None, "dataset": None, "reason": run.message or "?"})
        return
    ctx.recovery(f"tool|{run.job}")
    _check_errors(ctx, run)
    if run.status == EMPTY:
        return  # no row on either side proves nothing: neither a failure nor a recovery of the data
    earlier = _earlier_statuses(conn, run.job, _moment(run), run_id)
    for fingerprint, result in _by_fingerprint(run):
        if result.status == ERROR:
            continue  # a fault of the checker, told once per configured check above; the data alert stays
        if fingerprint in earlier:
            ctx.recheck(fingerprint, result, earlier[fingerprint])
        elif result.status == FAIL:
            ctx.failure(DATA, fingerprint, _result_facts(result), result)
        elif result.status == PASS:
            ctx.recovery(fingerprint)


def _check_errors(ctx: "_RunContext", run: RunResult) -> None:
    """A configured check whose results are in error (a broken rule file, a failed query) is one
    alert of the tool, `tool|JOB|CHECK`, however many of its results errored; it recovers once
    the check runs without error."""
    by_check: dict[str, list[CheckResult]] = {}
    for r in run.results:
        by_check.setdefault(str(r.config_check or r.check), []).append(r)
    for name, found in by_check.items():
        errors = [r for r in found if r.status == ERROR]
        fingerprint = f"tool|{run.job}|{name}"
        if not errors:
            if any(r.status in (PASS, FAIL) for r in found):
                ctx.recovery(fingerprint)
            continue
        facts = _result_facts(errors[0])
        facts.update(check=name, violations=len(errors), items_total=len(errors),
                     items=[f"• {r.check}: {r.message or reason_of(r)}" for r in errors[:MAX_ITEMS]])
        ctx.failure(TOOL, fingerprint, facts)


def _by_fingerprint(run: RunResult) -> list[tuple[str, CheckResult]]:
    """One result per fingerprint (the worst), in the run's order."""
    chosen: dict[str, CheckResult] = {}
    for r in run.results:
        fp = fingerprint_of(run.job, r)
        if fp not in chosen or worst([chosen[fp].status, r.status]) != chosen[fp].status:
            chosen[fp] = r
    return list(chosen.items())


def _earlier_statuses(conn: Connection, job: str, start: datetime, run_id: int) -> dict[str, str]:
    """fingerprint -> status in the latest earlier run of this job and window that computed it."""
    return {fingerprint_of(job, r): r["status"] for r in earlier_results(conn, job, start, run_id)}


def _result_facts(result: CheckResult) -> dict:
    details = result.details or {}
    items = [sample_line(s) for s in (result.samples or [])[:MAX_ITEMS]]
    facts = {"check": result.check, "config_check": result.config_check, "dataset": details.get("dataset"),
             "reason": reason_of(result), "violations": int(result.violations or 0), "items": items,
             "items_total": max(int(result.violations or 0), len(result.samples or []))}
    if is_about_one_side(result):
        facts.update(rule=True, source=details.get("source"))
    elif is_measure(result):
        facts.update(measure=True)
    else:
        facts.update(alert_facts(result))
    return facts


def _fp_hash(fingerprint: str) -> str:
    return hashlib.sha1(fingerprint.encode()).hexdigest()[:12]


class _RunContext:
    def __init__(self, conn: Connection, run_id: int, run: RunResult, now: datetime, remind_every: timedelta):
        self.conn, self.run_id, self.run, self.now = conn, run_id, run, now
        self.remind_every = remind_every
        self.hour = _moment(run)
        self.scope = HOURS if run.window is not None else MOMENTS
        self.report = report_of(run_id, run)
        self.stories: dict[tuple, HourStory | None] = {}

    def story(self, result: CheckResult, hour: datetime) -> HourStory | None:
        """The hour's story for a result about a dataset, read once per run (its drift and its
        match are two alerts about one story); None when its findings do not explain the result."""
        if not explained_by_rows(result):
            return None
        key = ((result.details or {}).get("dataset"), hour)
        if key not in self.stories:
            self.stories[key] = hour_story(self.conn, self.run, result, hour)
        return self.stories[key]

    def _open_alert(self, fingerprint: str) -> dict | None:
        return alerts.open_alert(self.conn, fingerprint)

    def _enqueue(self, key: str, kind: str, facts: dict, alert_id: int | None = None, parent: str | None = None):
        outbox.enqueue(self.conn, key, kind, jsonable(facts), now=self.now, run_id=self.run_id, alert_id=alert_id,
                       parent_key=parent)

    def failure(self, kind: str, fingerprint: str, facts: dict, result: CheckResult | None = None) -> None:
        worst_hour = _worst_hour(self.run, result) if result is not None else self.hour
        story = self.story(result, worst_hour) if kind == DATA and result is not None else None
        base = {"alert_kind": kind, "fingerprint": fingerprint, "job": self.run.job, **facts, "scope": self.scope,
                "hour": iso(worst_hour), "window": _window_dict(self.run), "run_id": self.run_id,
                "report": self.report, **(story.facts() if story is not None else {})}
        alert = self._open_alert(fingerprint)
        if alert is None:
            alert = alerts.insert_alert(
                self.conn, fingerprint=fingerprint, kind=kind, job=self.run.job, check_name=facts.get("check"),
                dataset=facts.get("dataset"), opened_at=self.now, opened_run_id=self.run_id, first_hour=self.hour,
                failed_hours=[iso(self.hour)], failures=1)
            self._enqueue(alert["top_key"], "alert", base, alert["id"])
            return
        new_hour = self.scope == HOURS and iso(self.hour) not in alert["failed_hours"]
        hours = sorted(set(alert["failed_hours"]) | {iso(self.hour)})
        failures = alert["failures"] + 1
        alerts.update_alert(self.conn, alert["id"], failed_hours=hours, failures=failures)
        told = outbox.latest_of_alert(self.conn, alert["id"], TOLD)
        change = _change(kind, base, told, new_hour, story)
        if change is None and told is not None and self.now - told["created_at"] < self.remind_every:
            return  # the same evidence (the same story), told less than remind_every ago
        progress = {k: base.get(k) for k in ("alert_kind", "fingerprint", "job", "check", "dataset", "reason", "measure",
                                             "violations", "scope", "hour", "run_id", "report")}
        progress.update(failures=failures, failed_hours=len(hours), opened_at=iso(alert["opened_at"]),
                        first_hour=iso(alert["first_hour"]), previous=(told["facts"] if told else {}).get("violations"),
                        change=change)
        if story is not None:
            progress.update({k: base[k] for k in ("why", "stories", "fault")})
            if change == FAULT:
                progress["before"] = story.before(told["facts"])
        kind_of_message = "followup" if change else "reminder"
        self._enqueue(f"{kind_of_message}:{alert['id']}:{self.run_id}", kind_of_message, progress, alert["id"],
                      alert["top_key"])

    def recovery(self, fingerprint: str) -> None:
        alert = self._open_alert(fingerprint)
        if alert is None:
            return
        alerts.update_alert(self.conn, alert["id"], state=RESOLVED, resolved_at=self.now)
        top = outbox.by_key(self.conn, alert["top_key"]) or {"facts": {}}
        scope = top["facts"].get("scope", HOURS)
        summary = {"alert_kind": alert["kind"], "fingerprint": fingerprint, "job": alert["job"],
                   "check": alert["check_name"], "dataset": alert["dataset"], "hour": iso(self.hour),
                   "scope": scope, "duration_s": self._lasted(alert, scope).total_seconds(),
                   "failed_hours": len(alert["failed_hours"]), "failures": alert["failures"],
                   "opened_at": iso(alert["opened_at"]), "resolved_at": iso(self.now),
                   "first_hour": iso(alert["first_hour"]),
                   "run_id": self.run_id, "report": self.report}
        self._enqueue(f"recovered:{alert['id']}", "recovered", summary, alert["id"], alert["top_key"])
        resolved = {**top["facts"], **summary, "first_hour": iso(alert["first_hour"]),
                    "worst_hour": iso(_worst_failed_hour(self.conn, alert, top["facts"])),
                    "first_report": top["facts"].get("report")}
        if alert["kind"] == DATA and "why" in top["facts"]:  # a dataset compared row by row: what it was
            resolved.update(alert_stories(self.conn, alert["dataset"], alert["first_hour"], self.hour))
        self._enqueue(f"resolved:{alert['id']}", "resolved", resolved, alert["id"], alert["top_key"])

    def _lasted(self, alert: dict, scope: str) -> timedelta:
        """How long the alert's fault lasted: the checker's own, by the wall clock (it was
        broken from the tick that opened the alert to this one); the data's, from its first
        failing hour to the end of its last (a recheck may resolve it on its first hour)."""
        if alert["kind"] == TOOL:
            return self.now - alert["opened_at"]
        if scope != HOURS:
            return self.hour - alert["first_hour"]
        ends = [self.hour] + [time_from_text(h) + timedelta(hours=1) for h in alert["failed_hours"] or []]
        return max(ends) - alert["first_hour"]

    def _still_failing_elsewhere(self, fingerprint: str, alert: dict) -> bool:
        """Whether another of the alert's failing hours still fails in its latest judgement."""
        return any(_earlier_statuses(self.conn, self.run.job, time_from_text(h), self.run_id).get(fingerprint) == FAIL
                   for h in alert["failed_hours"] or [] if h != iso(self.hour))

    def recheck(self, fingerprint: str, result: CheckResult, before: str) -> None:
        after = result.status
        if before == after == FAIL:
            alert = self._open_alert(fingerprint)
            if alert is not None and iso(self.hour) in alert["failed_hours"]:
                self.failure(DATA, fingerprint, _result_facts(result), result)  # told only if its value changed
            return
        if before == after or {before, after} - {PASS, FAIL}:
            return
        alert = self._open_alert(fingerprint)
        if after == PASS and alert is not None and iso(self.hour) in alert["failed_hours"] \
                and not self._still_failing_elsewhere(fingerprint, alert):
            self.recovery(fingerprint)  # its only failing hour passes now (repaired): the fault is over
            return
        facts = {"alert_kind": DATA, "fingerprint": fingerprint, "job": self.run.job, "check": result.check,
                 "dataset": (result.details or {}).get("dataset"), "hour": iso(self.hour), "before": before,
                 "after": after, "reason": reason_of(result) if after == FAIL else None, "run_id": self.run_id,
                 "report": self.report}
        self._enqueue(f"changed:{self.run_id}:{_fp_hash(fingerprint)}", "changed", facts,
                      alert["id"] if alert else None, alert["top_key"] if alert else None)


def _value(kind: str, facts: dict):
    """What a message said the evidence was: the number of violations; for the checker's own
    errors, the error."""
    return facts.get("reason") if kind == TOOL else facts.get("violations")


def _change(kind: str, facts: dict, told: dict | None, new_hour: bool, story: HourStory | None) -> str | None:
    """What is new since the message that told the alert last: `fault` (a failing hour whose
    findings tell another story; the same story is nothing new), `hour` (a new failing hour,
    when neither hour says why), `value` (the same hour's evidence changed), or nothing."""
    if new_hour and told is not None and story is not None:
        changed = story.changed_since(told["facts"])
        if changed is not None:
            return FAULT if changed else None
    if new_hour:
        return "hour"
    if told is not None and _value(kind, facts) != _value(kind, told["facts"]):
        return "value"
    return None


def _worst_failed_hour(conn: Connection, alert: dict, top: dict) -> datetime:
    """The failing hour of the alert's whole stretch with the largest drift in the ledger (as
    `_worst_hour` picks within one run); without a drift, the worst hour its first message told."""
    failed = set(alert["failed_hours"] or [])
    rows = ledger_rows(conn, alert["dataset"], alert["first_hour"], None) if alert["dataset"] and failed else []
    drifts = [r for r in rows if iso(r["hour"]) in failed and r["drift_pct"] is not None]
    if drifts:
        return max(drifts, key=lambda r: abs(r["drift_pct"]))["hour"]
    return time_from_text(top["hour"]) if top.get("hour") else alert["first_hour"]


def _worst_hour(run: RunResult, result: CheckResult) -> datetime:
    """The failing hour with the largest drift among the result's dataset, else the window start."""
    dataset = (result.details or {}).get("dataset")
    worst_hour, worst_drift = None, -1.0
    for compare in run.compares:
        if dataset and compare.dataset != dataset:
            continue
        for h in compare.hours:
            drift = float("inf") if h.drift_pct is None and h.status == FAIL else abs(h.drift_pct or 0.0)
            if h.status == FAIL and drift > worst_drift:
                worst_hour, worst_drift = h.hour, drift
    return worst_hour or _moment(run)
