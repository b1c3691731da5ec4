"""The booking cut-over phase's criteria, over the point-in-time booking results of the period
(the rules of checks/bookings and the snapshot dataset's summary):

- `duplicate_bookings`: the rule `no_duplicate_bookings` found nothing, every time it ran;
- `access_codes`: `access_code_valid` found nothing (every active booking's stay covered by its codes);
- `notifications`: `notifications_sent` found nothing (every active booking's confirmation sent);
- `booking_summary`: the completeness summary (bookings and distinct guests per status) equal
  on both sides, every time;
- `overlapping_bookings`, `status_transitions`: `no_overlapping_bookings` and
  `valid_status_transitions` found no new violation (the rules' own verdict: one inherited
  from the old system is a warning there);
- `bookings_migrated`: every active or future booking of the old side is in the new one,
  unchanged (the snapshot dataset's completeness result, `*.complete`).

"Over 7 days" means every day of the period has at least one result of the rule; a day
without one (or a result in error) makes the criterion incomplete. Each outcome names the run
that proves it: the worst violation, or, when met, the newest clean result."""

from __future__ import annotations

from datetime import timedelta

from reconciler.config.phases import PLAN_DEFAULTS, CriterionConfig
from reconciler.gate.criteria import (
    INCOMPLETE,
    LISTED,
    MET,
    NOT_MET,
    Outcome,
    Worst,
    _moment,
    failing_violations,
    new_and_inherited,
)
from reconciler.gate.evidence import Evidence
from reconciler.results import ERROR, FAIL, StoredResult
from reconciler.timeutil import iso

DAY = timedelta(days=1)
WHAT = {"duplicate_bookings": "duplicate bookings", "access_codes": "bookings without a valid access code",
        "notifications": "bookings without a sent confirmation", "booking_summary": "status groups that differ",
        "overlapping_bookings": "overlapping pairs of bookings", "status_transitions": "illegal status transitions",
        "bookings_migrated": "bookings missing or changed"}
ONE = {"duplicate_bookings": "duplicate booking", "access_codes": "booking without a valid access code",
       "notifications": "booking without a sent confirmation", "booking_summary": "status group that differs",
       "overlapping_bookings": "overlapping pair of bookings", "status_transitions": "illegal status transition",
       "bookings_migrated": "booking missing or changed"}
# these fail on the rule's own verdict (new violations), not on inherited ones it only warns of
BY_VERDICT = ("overlapping_bookings", "status_transitions")


def _what(name: str, n: int) -> str:
    return ONE[name] if n == 1 else WHAT[name]


def _found(name: str, result) -> int:
    """What the criterion counts in one result: a criterion judged on the rule's verdict its new
    violations; another every violation on new (one inherited from old too)."""
    return failing_violations(result) if name in BY_VERDICT else int(result.violations or 0)


def _found_text(name: str, result) -> str:
    """'1 new illegal status transition (2 inherited from old, which the rule only warns of)';
    '4 bookings without a valid access code (2 new, 2 inherited from old)'."""
    n = _found(name, result)
    new, inherited = new_and_inherited(result)
    if new is None or not inherited:
        return f"{n} {_what(name, n)}"
    if name in BY_VERDICT:
        return f"{n} new {_what(name, n)} ({inherited} inherited from old, which the rule only warns of)"
    return f"{n} {_what(name, n)} ({new} new, {inherited} inherited from old)"


def _inherited(result) -> int:
    new, inherited = new_and_inherited(result)
    return inherited if new is not None else int(result.violations or 0)


def _selects(rule: str, stored: StoredResult) -> bool:
    """`rule` is a result name, or `*.suffix` (e.g. `*.summary`: every snapshot dataset's summary).
    A rule run on the old system alone says nothing about the new one."""
    result = stored.result
    if (result.details or {}).get("source") == "old":
        return False
    return result.check.endswith(rule[1:]) if rule.startswith("*") else result.check == rule


def _days_without(ev: Evidence, found: list[StoredResult]) -> list[dict]:
    out, day = [], ev.period.start
    while day < ev.period.end:
        if not any(day <= s.moment < day + DAY for s in found):
            out.append({"dataset": None, "hour": iso(day), "reason": "no result that day", "run_id": None})
        day += DAY
    return out


def rule_criterion(name: str):
    def judge(ev: Evidence, cfg: CriterionConfig) -> Outcome:
        rule = cfg.rule or PLAN_DEFAULTS[name]["rule"]
        bound = {"rule": rule, "max_violations": 0}
        found = [s for s in ev.point_in_time("bookings") if _selects(rule, s)]
        if not found:
            return Outcome(name, INCOMPLETE, f"no result of {rule} in the period: run it (e.g. a `sql` check of "
                           "checks/bookings, or the bookings snapshot's summary) in a job", bound)
        bad = [s for s in found if s.result.status == FAIL or (s.result.violations and name not in BY_VERDICT)]
        if bad:
            s = max(bad, key=lambda s: (_found(name, s.result), s.moment))
            worst = Worst(_moment(s), _found(name, s.result), s.run_id, None,
                          f"{s.result.check}: {_found_text(name, s.result)}")
            moments = ", ".join(_moment(b) for b in bad[:LISTED]) + \
                (f" and {len(bad) - LISTED} more" if len(bad) > LISTED else "")
            return Outcome(name, NOT_MET, f"{len(bad)} of {len(found)} result(s) of {rule} found {WHAT[name]} "
                           f"({moments}); worst {worst.at} {worst.text}", bound, worst,
                           gaps=[{"dataset": None, "hour": _moment(b), "reason": _found_text(name, b.result),
                                  "run_id": b.run_id} for b in bad])
        errors = [s for s in found if s.result.status == ERROR]
        clean = [s for s in found if s.result.status != ERROR]
        inherited = max((_inherited(s.result) for s in clean), default=0)
        zero = f"0 new {WHAT[name]}" if inherited else f"0 {WHAT[name]}"
        warned = f" (up to {inherited} inherited from old, which the rule only warns of)" if inherited else ""
        newest = clean[-1] if clean else None
        proof = newest and Worst(_moment(newest), 0, newest.run_id, None, f"{newest.result.check}: 0 {WHAT[name]}, "
                                 f"newest of {len(clean)} result(s)")
        missing = _days_without(ev, found) + [{"dataset": None, "hour": _moment(s), "reason": "error",
                                               "run_id": s.run_id} for s in errors]
        if missing:
            days = [g["hour"][:10] for g in missing if g["reason"] != "error"]
            parts = ([f"no result on {len(days)} day(s): {', '.join(days[:LISTED])}"
                      f"{' …' if len(days) > LISTED else ''}"] if days else []) + \
                    ([f"{len(errors)} result(s) in error, first {_moment(errors[0])}"] if errors else [])
            return Outcome(name, INCOMPLETE, f"{zero} in {len(clean)} result(s) of {rule}{warned}; "
                           + "; ".join(parts), bound, proof, gaps=missing)
        return Outcome(name, MET, f"{zero} in {len(clean)} result(s) of {rule}{warned}, every day of the period",
                       bound, proof)
    judge.__name__ = name
    return judge


CUTOVER_JUDGES = {name: rule_criterion(name) for name in WHAT}
