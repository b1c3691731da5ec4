"""The digest's facts as Slack blocks, every word in the reader's language (i18n.py): the
status, the gate line (from the gate's structured result), what changed (each alert once,
with its stretch), the open issues, the hour grid with its legend and totals, the
point-in-time checks, the worst numbers and the next steps."""

from __future__ import annotations

from reconciler.formatting import number, signed
from reconciler.notify.blocks import when
from reconciler.notify.digest import CELL, CELLS, ISSUES_SHOWN
from reconciler.notify.story import digest_story_lines
from reconciler.reasons import count


def digest_sections(out, facts: dict) -> str:
    """Fills the block builder `out` (blocks._Builder); returns the notification text."""
    t = out.t
    totals = facts["totals"]
    title = t("digest.title", date=facts["date"])
    out.header(title)
    status = status_line(t, facts)
    out.section(t("digest.status", status=status))
    if facts.get("plan"):
        out.section(plan_section(t, facts["plan"]))
    if facts.get("gate"):
        out.section(f"{t('digest.gate.title')}\n{gate_line(t, facts['gate'])}")
    # two alerts that read alike (the checker broken twice in one hour) are one line
    changed = list(dict.fromkeys(changed_line(t, a) for a in facts["changed"])) or [t("digest.changed.none")]
    out.section(_listed(t, "digest.changed.title", changed))
    issues = [issue_line(t, a) for a in facts["open_alerts"]]
    out.section(_listed(t, "digest.issues.title", issues) if issues else
                f"{t('digest.issues.title')}\n{t('digest.issues.none')}")
    if facts.get("stories"):
        out.section(_listed(t, "digest.stories.title", digest_story_lines(t, facts["stories"])))
    out.section(hour_grid(t, facts))
    if facts.get("moments"):
        lines = [t("digest.moment", check=m["check"], job=m["job"], runs=m["runs"], failed=m["failed"],
                   status=t(f"digest.cell.{CELLS[m['last_status']]}"), at=when(m["last_at"])) for m in facts["moments"]]
        out.section(_listed(t, "digest.moments.title", lines))
    worst = facts.get("worst")
    out.section(f"{t('digest.worst.title')}\n" + (
        t("digest.worst.drift", drift=signed(worst["drift_pct"], 2), dataset=worst["dataset"], hour=when(worst["hour"]))
        if worst else t("digest.worst.none")))
    out.section(f"{t('digest.next.title')}\n" + "\n".join(f"• {s}" for s in next_steps(t, facts, totals)))
    return f"{title}: {status}"


def plan_section(t, plan: dict) -> str:
    """The migration plan's lines: the phase under way, the traffic split and the new system's
    error rate against its target (from the period's stored traffic results)."""
    lines = [t("digest.phase", phase=t.name("phase", plan["phase"]))]
    traffic = plan.get("traffic")
    if traffic is None:
        if plan["phase"] != "shadow":  # in shadow mode the new system serves no traffic yet
            lines.append(t("digest.traffic.none"))
    elif "unjudged" in traffic:  # every hour's result skipped: the newest one's reason says why
        lines.append(t("digest.traffic.unjudged", hours=traffic["unjudged"], reason=traffic["reason"]))
    else:
        lines.append(t("digest.traffic", split=_figure(traffic["split_pct"]), hour=when(traffic["split_hour"])))
        if traffic["error_rate_pct"] is None:
            lines.append(t("digest.error_rate.none", target=_figure(traffic["target_pct"])))
        else:
            below = "digest.error_rate.ok" if traffic.get("complete", True) else "digest.error_rate.partial"
            lines.append(t(below if traffic["on_target"] else "digest.error_rate.over",
                           rate=_figure(traffic["error_rate_pct"]), errors=count(traffic["errors"]),
                           requests=count(traffic["requests"]), target=_figure(traffic["target_pct"]),
                           hours=traffic["hours_measured"], of=traffic["hours"]))
    return f"{t('digest.phase.title')}\n" + "\n".join(f"• {line}" for line in lines)


def _figure(value) -> str:
    return number(round(value, 6))


def status_line(t, facts: dict) -> str:
    totals = facts["totals"]
    failed_moments = facts.get("failed_moment_runs", sum(m["failed"] for m in facts.get("moments") or []))
    return t(f"digest.status.{facts['status']}", open=len(facts["open_alerts"]), failed=totals["failed"],
             failed_moments=failed_moments, hours=totals["hours"], unjudged=totals["hours"] - totals["judged"],
             missing=totals["missing"], empty=totals["empty"])


def gate_line(t, gate: dict) -> str:
    parts = [t(f"digest.gate.{state}", criteria=", ".join(t.name("criterion", c) for c in gate[state]))
             for state in ("not_met", "incomplete") if gate.get(state)]
    why = f" ({'; '.join(parts)})" if parts else ""
    if not gate.get("hourly", True):
        return t("digest.gate.point_in_time", verdict=t(f"gate.verdict.{gate['verdict']}"), phase=gate["phase"],
                 why=why, days=gate["days_required"])
    return t("digest.gate", verdict=t(f"gate.verdict.{gate['verdict']}"), phase=gate["phase"], why=why,
             clean=number(gate["clean_hours"] / 24, 1), days=gate["days_required"])


def _state(t, alert: dict) -> str:
    if alert["state"] == "open":
        return t("digest.alert.open")
    return t("digest.alert.resolved", at=when(alert["recovered"]))


def _where(alert: dict) -> str:
    """Where an alert is: its dataset, if any, and its job."""
    return f"{alert['dataset']}, {alert['job']}" if alert.get("dataset") else alert["job"]


def _what(alert: dict) -> str:
    """What the checker could not run: the job, or one of its checks."""
    return alert["job"] if alert["check"] == alert["job"] else f"{alert['check']} ({alert['job']})"


def changed_line(t, alert: dict) -> str:
    """One alert of the period, once: the hours (or moments) it covered and how it stands."""
    values = {"check": alert["check"], "job": _where(alert), "what": _what(alert), "first": when(alert["first"]),
              "last": when(alert["last"]), "hours": alert["hours"], "failures": alert["failures"],
              "state": _state(t, alert)}
    stretch = "moments" if alert["scope"] == "moments" else "hour" if alert["hours"] == 1 else "hours"
    if alert["kind"] == "tool":
        return t(f"digest.changed.tool.{stretch}", **values)
    return t(f"digest.changed.{stretch}", **values)


def issue_line(t, alert: dict) -> str:
    key = "digest.issue.tool" if alert["kind"] == "tool" else \
        "digest.issue.moment" if alert["scope"] == "moments" else "digest.issue"
    return t(key, check=alert["check"], job=_where(alert), what=_what(alert), since=when(alert["first"]),
             hours=alert["hours"], failures=alert["failures"])


def hour_grid(t, facts: dict) -> str:
    period = facts["period"]
    hour_labels = " ".join(h[11:13] for h in facts["hours"])
    lines = [f"```{'':<14}{hour_labels}"]
    for d in facts["datasets"][:20]:
        lines.append(f"{d['dataset'][:13]:<14}" + " ".join(f"{CELL[c]:<2}" for c in d["cells"]))
    lines[-1] += "```"
    legend = "  ".join(f"{CELL[k]} {t(f'digest.cell.{k}')}" for k in CELL)
    return (f"{t('digest.hours.title', start=when(period['start']), end=when(period['end']))}\n" + "\n".join(lines)
            + f"\n{legend}\n" + t("digest.hours.totals", **facts["totals"]))


def next_steps(t, facts: dict, totals: dict) -> list[str]:
    steps = [t("digest.next.tool" if a["kind"] == "tool" else "digest.next.fix", check=a["check"], job=_where(a),
               reason=a.get("reason") or "?") for a in facts["open_alerts"][:5]]
    plan = facts.get("plan") or {}
    traffic = plan.get("traffic")
    if traffic and traffic.get("error_rate_pct") is not None and not traffic["on_target"]:
        steps.append(t("digest.next.error_rate", rate=_figure(traffic["error_rate_pct"]),
                       target=_figure(traffic["target_pct"])))
    gate = facts.get("gate")
    if gate and gate.get("not_met"):
        steps.append(t("digest.next.not_met", criteria=", ".join(t.name("criterion", c) for c in gate["not_met"]),
                       phase=t.name("phase", gate["phase"])))
    if gate and gate.get("verdict") == "go":
        steps.append(t("digest.next.go", phase=t.name("phase", gate["phase"])))
    if totals["missing"]:
        steps.append(t("digest.next.missing", missing=totals["missing"]))
    if totals["empty"]:
        steps.append(t("digest.next.empty", empty=totals["empty"]))
    if steps:
        return steps
    phase = plan.get("phase", "shadow")
    return [t("digest.next.keep") if phase == "shadow" else t("digest.next.keep.phase", phase=t.name("phase", phase))]


def _listed(t, title_key: str, lines: list[str]) -> str:
    shown = "\n".join(f"• {line}" for line in lines[:ISSUES_SHOWN])
    more = f"\n{t('more', n=len(lines) - ISSUES_SHOWN)}" if len(lines) > ISSUES_SHOWN else ""
    return f"{t(title_key)}\n{shown}{more}"
