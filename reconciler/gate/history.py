"""The decommission phase's `history_verified` criterion: for every dataset, the latest
complete `reconciler verify` covers the whole history (from the oldest row), found zero
differences and left nothing unverified, and the old side was read-only when it started
and when it ended. Pure over `Evidence.verifications`; no I/O."""

from __future__ import annotations

from reconciler.config.phases import CriterionConfig
from reconciler.gate.criteria import INCOMPLETE, MET, NOT_MET, Outcome, Worst
from reconciler.gate.evidence import Evidence
from reconciler.timeutil import iso
from reconciler.verify.days import differences, uncovered_end

NAME = "history_verified"


def _judge_one(dataset: str, v: dict | None) -> tuple[str, str, Worst | None]:
    if v is None:
        return INCOMPLETE, f"{dataset}: no complete verification (run `reconciler verify {dataset}` with the old " \
                           "side read-only)", None
    vid, totals = v["id"], v["totals"] or {}
    span = f"verification {vid} ({iso(v['range_start'])} → {iso(v['range_end'])})"
    worst = Worst(iso(v["finished_at"].replace(microsecond=0)), differences(totals), None, dataset, span)
    found = differences(totals)
    problems: list[tuple[str, str]] = []  # (state, why): every condition that is not met, worst first
    if found:
        parts = ", ".join(f"{k} {totals[k]}" for k in ("mismatched", "missing_in_new", "extra_in_new",
                                                        "duplicates_old", "duplicates_new") if totals.get(k))
        problems.append((NOT_MET, f"found {found} difference(s) ({parts})"))
    for moment in ("start", "end"):
        state, detail = v[f"old_read_only_at_{moment}"], v[f"old_read_only_{moment}_detail"]
        if state is False:
            problems.append((NOT_MET, f"the old side was not read-only at its {moment} ({detail}): make it "
                                      "read-only and verify again"))
        elif state is None:
            problems.append((INCOMPLETE, f"whether the old side was read-only at its {moment} is unknown: {detail}"))
    missed = uncovered_end(v)
    if missed == "start":
        problems.append((INCOMPLETE, f"it starts after the oldest row ({iso(v['oldest_row'])}): verify without "
                                     "--since"))
    elif missed == "end":
        problems.append((INCOMPLETE, f"it ends before the newest row ({iso(v['newest_row'])}): verify without "
                                     "--until"))
    if totals.get("unverified"):
        problems.append((INCOMPLETE, f"it left {totals['unverified']} row(s) unverified (diff budget)"))
    if problems:
        state = NOT_MET if any(p == NOT_MET for p, _ in problems) else INCOMPLETE
        return state, f"{dataset}: {span}: " + "; ".join(why for _, why in problems), worst
    return MET, f"{dataset}: {span} found {totals.get('old', 0)} old and {totals.get('new', 0)} new rows identical, " \
                "old side read-only at its start and end", worst


def _iso(t) -> str | None:
    return iso(t) if t is not None else None


def verification_view(dataset: str, v: dict | None) -> dict:
    """What the gate shows of one dataset's verification: its own range (not the gate's period),
    whether that range is the whole history, what it found, and the criterion's state for it."""
    state = _judge_one(dataset, v)[0]
    if v is None:
        return {"dataset": dataset, "state": state, "verification": None}
    totals = v["totals"] or {}
    return {"dataset": dataset, "state": state, "verification": v["id"],
            "range": {"start": iso(v["range_start"]), "end": iso(v["range_end"])},
            "whole_history": uncovered_end(v) is None,
            "rows": {"oldest": _iso(v["oldest_row"]), "newest": _iso(v["newest_row"])},
            "finished_at": iso(v["finished_at"].replace(microsecond=0)),
            "found": {"old": int(totals.get("old") or 0), "new": int(totals.get("new") or 0),
                      "differences": differences(totals), "unverified": int(totals.get("unverified") or 0)}}


def history_verified(ev: Evidence, cfg: CriterionConfig) -> Outcome:
    judged = [(dataset, *_judge_one(dataset, ev.verifications.get(dataset))) for dataset in ev.datasets]
    found = {d: ev.verifications[d]["id"] for d in ev.datasets if d in ev.verifications}
    extra = {"verifications": found}
    if not judged:
        return Outcome(NAME, INCOMPLETE, "no dataset to verify (phases.decommission.datasets)", {}, extra=extra)
    for state in (NOT_MET, INCOMPLETE):
        failing = [(d, text, worst) for d, s, text, worst in judged if s == state]
        if failing:
            return Outcome(NAME, state, "; ".join(text for _, text, _ in failing), {}, failing[0][2], extra=extra)
    return Outcome(NAME, MET, "; ".join(text for _, _, text, _ in judged), {}, judged[0][3], extra=extra)
