"""The daily digest, in the migration plan's daily-update shape: status, what changed,
issues, next steps, plus the last 24 hours hour by hour, the worst numbers and, when the
gate gives one, its state. Facts are gathered from the store when the digest is due
(`notify.digest_at`, UTC) and rendered like every other outbox message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reconciler.config.models import NotifyConfig
from reconciler.timeutil import HOUR, floor_hour, iso

UTC = timezone.utc
DAY = timedelta(days=1)
CELL = {"judged": "✅", "failed": "❌", "empty": "⚪", "missing": "⬜"}
ISSUES_SHOWN = 10


def digest_due(notify: NotifyConfig, now: datetime) -> bool:
    if not notify.digest_at:
        return False
    hour, minute = (int(x) for x in notify.digest_at.split(":"))
    return now >= now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)


def enqueue_digest_if_due(store, notify: NotifyConfig, now: datetime, gate=None) -> bool:
    """At most one digest a day (its message key is the date)."""
    if not digest_due(notify, now):
        return False
    key = f"digest:{now.astimezone(UTC).date().isoformat()}"
    if store.outbox.by_key(key) is not None:
        return False
    store.outbox.enqueue(key, "digest", digest_facts(store, now, gate=gate), now=now)
    return True


def _gate_dict(gate) -> dict | None:
    """The gate's state for the digest; `gate` may be a callable, evaluated only when a digest is due."""
    if callable(gate):
        gate = gate()
    if gate is None:
        return None
    if hasattr(gate, "to_dict"):
        gate = gate.to_dict()
    elif not isinstance(gate, dict):
        gate = {k: getattr(gate, k) for k in ("status", "summary", "message") if hasattr(gate, k)}
    state = gate.get("verdict") or gate.get("status") or gate.get("state") or "?"
    summary = gate.get("headline") or gate.get("summary") or gate.get("message") or ""
    return {"state": str(state), "summary": str(summary)}


def digest_facts(store, now: datetime, gate=None) -> dict:
    end = floor_hour(now.astimezone(UTC))
    start = end - DAY
    hours = [start + i * HOUR for i in range(24)]
    ledger = store.ledger_period(start, end)
    alerts = store.alerts.touching(now - DAY, now + HOUR)
    reasons = {a["id"]: ((store.outbox.by_key(a["top_key"]) or {}).get("facts") or {}).get("reason") for a in alerts}
    by_dataset: dict[str, dict] = {}
    for row in ledger:
        by_dataset.setdefault(row["dataset"], {})[row["hour"]] = _cell(row)
    datasets = []
    totals = {"judged": 0, "failed": 0, "empty": 0, "missing": 0}
    worst = None
    for name in sorted(by_dataset):
        cells = [by_dataset[name].get(h, "missing") for h in hours]
        for c in cells:
            totals[c] += 1
            if c == "failed":
                totals["judged"] += 1
        datasets.append({"dataset": name, "cells": cells})
    for row in ledger:
        if row["drift_pct"] is not None and (worst is None or abs(row["drift_pct"]) > abs(worst["drift_pct"])):
            worst = {"dataset": row["dataset"], "hour": iso(row["hour"]), "drift_pct": round(row["drift_pct"], 4)}
    open_alerts = [_alert(a, reasons) for a in alerts if a["state"] == "open"]
    changed = ([{"what": "opened", **_alert(a, reasons), "at": iso(a["opened_at"])} for a in alerts
                if a["opened_at"] >= now - DAY]
               + [{"what": "resolved", **_alert(a, reasons), "at": iso(a["resolved_at"])} for a in alerts
                  if a["resolved_at"] is not None and a["resolved_at"] >= now - DAY])
    status = "red" if open_alerts else "yellow" if totals["failed"] else "green"
    return {"date": now.astimezone(UTC).date().isoformat(), "period": {"start": iso(start), "end": iso(end)},
            "status": status, "hours": [iso(h) for h in hours], "datasets": datasets, "totals": totals,
            "open_alerts": open_alerts, "changed": sorted(changed, key=lambda c: c["at"]), "worst": worst,
            "gate": _gate_dict(gate)}


def _cell(row) -> str:
    if row["verdict"] == "empty" or row["state"] == "empty":
        return "empty"
    if row["state"] == "verified":
        return "judged"
    if row["state"] == "drifted":
        return "failed"
    return "missing"  # pending, settled (not judged yet) or error (could not be judged)


def _alert(a: dict, reasons: dict) -> dict:
    return {"kind": a["kind"], "job": a["job"], "check": a["check_name"] or a["job"],
            "since": iso(a["first_hour"] or a["opened_at"]), "failed_hours": len(a["failed_hours"] or []),
            "reason": reasons.get(a["id"])}


def render_digest_blocks(out, facts: dict) -> str:
    """Fills the block builder `out` (blocks._Builder); returns the notification text."""
    from reconciler.notify.blocks import when

    t = out.t
    totals = facts["totals"]
    title = t("digest.title", date=facts["date"])
    out.header(title)
    status = t(f"digest.status.{facts['status']}", failed=totals["failed"], open=len(facts["open_alerts"]))
    out.section(t("digest.status", status=status))
    if facts.get("gate"):
        out.section(f"{t('digest.gate.title')}\n{t('digest.gate', **facts['gate'])}")
    changed = [t(f"digest.changed.{c['what']}", check=t("digest.checker") if c["kind"] == "tool" else c["check"],
                 job=c["job"], at=when(c["at"]))
               for c in facts["changed"]] or [t("digest.changed.none")]
    out.section(f"{t('digest.changed.title')}\n" + "\n".join(f"• {line}" for line in changed[:ISSUES_SHOWN])
                + (f"\n{t('more', n=len(changed) - ISSUES_SHOWN)}" if len(changed) > ISSUES_SHOWN else ""))
    issues = [t("digest.issue.tool" if a["kind"] == "tool" else "digest.issue", check=a["check"], job=a["job"],
                since=when(a["since"]), hours=a["failed_hours"]) for a in facts["open_alerts"]]
    out.section(f"{t('digest.issues.title')}\n" + ("\n".join(f"• {line}" for line in issues[:ISSUES_SHOWN])
                                                    or t("digest.issues.none"))
                + (f"\n{t('more', n=len(issues) - ISSUES_SHOWN)}" if len(issues) > ISSUES_SHOWN else ""))
    hour_labels = " ".join(h[11:13] for h in facts["hours"])
    lines = [f"```{'':<14}{hour_labels}"]
    for d in facts["datasets"][:20]:
        lines.append(f"{d['dataset'][:13]:<14}" + " ".join(f"{CELL[c]:<2}" for c in d["cells"]))
    lines[-1] += "```"
    legend = "  ".join(f"{CELL[k]} {k}" for k in CELL)
    out.section(f"{t('digest.hours.title')}\n" + "\n".join(lines) + f"\n{legend}\n"
                + t("digest.hours.totals", **totals))
    worst = facts.get("worst")
    out.section(f"{t('digest.worst.title')}\n" + (
        t("digest.worst.drift", drift=f"{worst['drift_pct']:+g}", dataset=worst["dataset"], hour=when(worst["hour"]))
        if worst else t("digest.worst.none")))
    steps = [t("digest.next.tool" if a["kind"] == "tool" else "digest.next.fix", check=a["check"], job=a["job"],
               reason=a.get("reason") or "?") for a in facts["open_alerts"][:5]]
    if totals["missing"]:
        steps.append(t("digest.next.missing", missing=totals["missing"]))
    if not steps:
        steps.append(t("digest.next.keep"))
    out.section(f"{t('digest.next.title')}\n" + "\n".join(f"• {s}" for s in steps))
    return f"{title}: {status}"
