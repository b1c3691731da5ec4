"""The go/no-go gate of a phase: its period, the evidence the store holds for it, each
criterion's outcome and the verdict. `gate_summary` is what the report index and the
Slack digest show."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from reconciler.errors import UsageError
from reconciler.formatting import number
from reconciler.gate.criteria import INCOMPLETE, JUDGES, MET, NOT_MET, Outcome, clean_hours
from reconciler.gate.evidence import read_evidence
from reconciler.gate.history import NAME as HISTORY_VERIFIED
from reconciler.gate.history import verification_view
from reconciler.results import jsonable
from reconciler.timeutil import HOUR, Window, floor_hour, iso

GO, NO_GO = "go", "no-go"
EXIT_CODES = {GO: 0, NO_GO: 1, INCOMPLETE: 4}
DEFAULT_PHASE = "shadow"
# the criteria that read the hourly ledger; the others read point-in-time results or verifications
HOURLY_CRITERIA = frozenset({"coverage", "drift", "match", "lag", "latency", "error_rate", "p99_latency",
                             "stable_split", "discrepancy", "error_rate_ratio", "p99_latency_ratio"})


@dataclass(frozen=True)
class GateReport:
    phase: str
    period: Window
    observed_until: datetime
    verdict: str
    outcomes: list[Outcome]
    clean_hours: int
    days_required: int
    datasets: tuple[str, ...]
    runs: dict  # run_id -> {id, job, window}: what the outcomes link to
    verifications: list[dict] = field(default_factory=list)  # per dataset, when history_verified is judged
    period_judged: bool = True  # False: every criterion reads whole-history verifications, not the period
    hourly: bool = True  # a criterion reads the hourly ledger: "clean evidence" (consecutive clean hours) means something

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def reasons(self) -> list[str]:
        """One line per criterion that keeps the gate shut."""
        return [f"{o.criterion} {o.state}: {o.summary}" for o in self.outcomes if o.state != MET]

    @property
    def headline(self) -> str:
        """One line for a digest: `gate shadow: NO-GO (not met: drift; incomplete: coverage), 2.5 of 7 days clean`."""
        not_met = [o.criterion for o in self.outcomes if o.state == NOT_MET]
        incomplete = [o.criterion for o in self.outcomes if o.state == INCOMPLETE]
        why = "; ".join(part for part in (f"not met: {', '.join(not_met)}" if not_met else "",
                                          f"incomplete: {', '.join(incomplete)}" if incomplete else "") if part)
        head = f"gate {self.phase}: {self.verdict.upper()}{f' ({why})' if why else ''}"
        if not self.period_judged:
            verified = sum(v["state"] == MET for v in self.verifications)
            return f"{head}, whole history verified for {verified} of {len(self.verifications)} dataset(s)"
        if not self.hourly:
            return f"{head}, point-in-time results over {self.days_required} days"
        return f"{head}, {number(self.clean_hours / 24, 1)} of {self.days_required} days clean"

    def to_dict(self) -> dict:
        return {
            "phase": self.phase, "verdict": self.verdict, "exit_code": self.exit_code, "headline": self.headline,
            "period": self.period.to_dict(), "hours": len(self.period.hours()),
            "observed_until": iso(self.observed_until), "datasets": list(self.datasets),
            "clean_evidence": {"hours": self.clean_hours, "days": round(self.clean_hours / 24, 2),
                               "days_required": self.days_required},
            "period_judged": self.period_judged, "hourly": self.hourly, "verifications": self.verifications,
            "criteria": [o.to_dict() for o in self.outcomes], "reasons": self.reasons,
            "runs": jsonable({str(k): v for k, v in self.runs.items()}),
        }


def verdict_of(outcomes: list[Outcome]) -> str:
    """Any criterion not met is a no-go, even where other evidence is incomplete."""
    states = {o.state for o in outcomes}
    if NOT_MET in states:
        return NO_GO
    return INCOMPLETE if INCOMPLETE in states or not outcomes else GO


def current_phase(loaded) -> str:
    """The phase under way (`current_phase:` in schedule.yaml; shadow without it)."""
    return loaded.config.current_phase or DEFAULT_PHASE


def phase_config(loaded, phase: str):
    phases = loaded.config.phases
    if phase not in phases:
        raise UsageError(f"unknown phase {phase!r} in {loaded.path} (known: {', '.join(phases) or 'none'})")
    return phases[phase]


def gate_period(now: datetime, days: int, settle: timedelta, start=None, end=None) -> tuple[Window, datetime]:
    """(period, observed_until). By days: `days` x 24 whole hours ending at the start of the
    hour that ended at least `settle` before now; point-in-time results count up to now.
    Explicit: [start, end) in whole hours; point-in-time results count up to end."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise UsageError("give both --start and --end, or --days")
        if start != floor_hour(start) or end != floor_hour(end):
            raise UsageError(f"the gate judges whole hours: --start {iso(start)} and --end {iso(end)} "
                             "must fall on the hour")
        if end <= start:
            raise UsageError(f"bad period: end {iso(end)} is not after start {iso(start)}")
        return Window(start, end), end
    last_end = floor_hour(now - settle)
    return Window(last_end - days * 24 * HOUR, last_end), now


def with_judged_next_hour(store, datasets, period: Window, now: datetime) -> Window:
    """The hour after the period, once it has ended and every dataset has a verdict on it,
    counts before the phase's settle has passed: the jobs settle sooner than the gate, and
    the index and digest beside an alert name the hour it is about."""
    following = Window(period.end, period.end + HOUR)
    if not datasets or following.end > now:
        return period
    judged = {row["dataset"] for row in store.ledger_period(following.start, following.end) if row["verdict"]}
    if not set(datasets) <= judged:
        return period
    return Window(period.start + HOUR, following.end)


def gate_datasets(loaded, cfg) -> tuple[str, ...]:
    if cfg.datasets is not None:
        unknown = [d for d in cfg.datasets if d not in loaded.config.datasets]
        if unknown:
            raise UsageError(f"{loaded.path}: phases: unknown dataset {unknown[0]!r}")
        return tuple(cfg.datasets)
    return tuple(n for n, d in loaded.config.datasets.items() if not d.snapshot)


def evaluate_gate(store, loaded, now: datetime, *, phase: str | None = None, days: int | None = None,
                  start: datetime | None = None, end: datetime | None = None) -> GateReport:
    """The gate of `phase` (default: the current phase)."""
    phase = current_phase(loaded) if phase is None else phase  # "" is no phase: unknown, not the default
    cfg = phase_config(loaded, phase)
    days = days or cfg.days
    period, observed_until = gate_period(now, days, cfg.settle, start, end)
    datasets = gate_datasets(loaded, cfg)
    if start is None and end is None:
        period = with_judged_next_hour(store, datasets, period, now)
    evidence = replace(read_evidence(store, datasets, period, observed_until), criteria=dict(cfg.criteria))
    outcomes = [JUDGES[name](evidence, criterion) for name, criterion in cfg.criteria.items()]
    hourly = any(name in HOURLY_CRITERIA for name in cfg.criteria)
    if hourly:
        outcomes += short_period(period, days)
    verifications = [verification_view(d, evidence.verifications.get(d)) for d in datasets] \
        if HISTORY_VERIFIED in cfg.criteria else []
    return GateReport(phase, period, observed_until, verdict_of(outcomes), outcomes, clean_hours(evidence), days,
                      datasets, evidence.runs, verifications,
                      period_judged=any(name != HISTORY_VERIFIED for name in cfg.criteria), hourly=hourly)


def short_period(period: Window, days: int) -> list[Outcome]:
    """An explicit period shorter than the phase's days cannot prove the phase: every hour of
    it may pass, and still the days in a row the plan asks for are not there."""
    hours = len(period.hours())
    if hours >= days * 24:
        return []
    return [Outcome("period", INCOMPLETE, f"the period holds {hours} hour{'s' if hours != 1 else ''}; the phase "
                    f"needs {days} days ({days * 24} hours) of evidence",
                    {"days": days})]


def gate_summary(store, loaded, now: datetime, phase: str | None = None) -> GateReport:
    """The phase's gate (default: the current phase) as of now over its configured days (for
    the report index, Slack)."""
    return evaluate_gate(store, loaded, now, phase=phase)
