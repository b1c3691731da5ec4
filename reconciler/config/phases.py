"""`phases:` in schedule.yaml: each migration phase and the criteria that let it end.

A criterion names what it judges; every bound left out takes the migration plan's number
(PLAN_DEFAULTS), so `lag: {}` means "processing lag p99 under 5 s"."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.config.durations import Duration
from reconciler.thresholds import DEFAULT_DRIFT_PCT, DEFAULT_MATCH_PCT

# criterion -> the plan's bounds (docs/gate.md says where each comes from)
PLAN_DEFAULTS: dict[str, dict] = {
    "coverage": {},
    "drift": {"max_abs_pct": DEFAULT_DRIFT_PCT},
    "match": {"min_pct": DEFAULT_MATCH_PCT},
    "lag": {"max_seconds": 5.0, "percentile": "p99"},
    "latency": {"max_ms": 10.0, "percentile": "p99"},
    "queues": {"max_depth": 0},
    "bookings": {"severity": "critical"},
    # traffic-split: the new system's figures from stored `traffic` results (docs/gate.md)
    "error_rate": {"max_pct": 0.1},
    "p99_latency": {"max_ms": 500.0},
    "stable_split": {"days": 7, "min_split_pct": 99.9},
    "discrepancy": {"max_pct": 1.0},
    # earlier versions' shape of the phase, measured now: new / old, in hours both systems served
    "error_rate_ratio": {"max_ratio": 1.0},
    "p99_latency_ratio": {"max_ratio": 1.1},
    # booking-cutover: point-in-time booking results of the period, one rule (or result) each
    "duplicate_bookings": {"rule": "no_duplicate_bookings"},
    "access_codes": {"rule": "access_code_valid"},
    "notifications": {"rule": "notifications_sent"},
    "booking_summary": {"rule": "*.summary"},
    "overlapping_bookings": {"rule": "no_overlapping_bookings"},
    "status_transitions": {"rule": "valid_status_transitions"},
    "bookings_migrated": {"rule": "*.complete"},
    "history_verified": {},   # the latest complete `reconciler verify`: whole history, no difference, old read-only
}
CRITERIA = tuple(PLAN_DEFAULTS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionConfig(_Strict):
    max_abs_pct: float | None = Field(default=None, ge=0)
    min_pct: float | None = Field(default=None, ge=0, le=100)
    max_seconds: float | None = Field(default=None, gt=0)
    max_ms: float | None = Field(default=None, gt=0)
    percentile: Literal["p50", "p95", "p99", "max"] | None = None
    max_depth: int | None = Field(default=None, ge=0)
    severity: Literal["critical", "warning"] | None = None
    max_ratio: float | None = Field(default=None, gt=0)
    max_pct: float | None = Field(default=None, ge=0, le=100)
    days: int | None = Field(default=None, ge=1)
    min_split_pct: float | None = Field(default=None, gt=0, le=100)
    rule: str | None = Field(default=None, min_length=1, description="the booking rule (or result name; "
                             "`*.summary`: every dataset's summary) the criterion reads")

    def bound(self, criterion: str, key: str):
        value = getattr(self, key)
        return PLAN_DEFAULTS[criterion].get(key) if value is None else value


def _shadow_criteria() -> dict[str, CriterionConfig]:
    return {name: CriterionConfig() for name in ("coverage", "drift", "match", "lag", "latency", "queues", "bookings")}


class PhaseConfig(_Strict):
    days: int = Field(default=7, ge=1, description="consecutive days of evidence the phase needs")
    datasets: list[str] | None = Field(default=None, description="datasets judged hour by hour (default: every "
                                       "dataset that is not a snapshot)")
    settle: Duration = Field(default=timedelta(minutes=15), description="the last hour counts once it ended this long ago, or once every dataset has a verdict on it")
    criteria: dict[str, CriterionConfig | None] = Field(default_factory=_shadow_criteria)

    @field_validator("criteria")
    @classmethod
    def _known(cls, v):
        unknown = [name for name in v if name not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r} (known: {', '.join(CRITERIA)})")
        return {name: c or CriterionConfig() for name, c in v.items()}


def default_phases() -> dict[str, PhaseConfig]:
    return {
        "shadow": PhaseConfig(),
        "traffic-split": PhaseConfig(criteria=_criteria("coverage", "error_rate", "p99_latency", "stable_split",
                                                        "discrepancy")),
        "booking-cutover": PhaseConfig(criteria=_criteria("duplicate_bookings", "access_codes", "notifications",
                                                          "booking_summary", "overlapping_bookings",
                                                          "status_transitions", "bookings_migrated")),
        "decommission": PhaseConfig(criteria=_criteria("history_verified")),
    }


def with_plan_criteria(raw: dict) -> dict:
    """`phases:` as written, each built-in phase's criteria completed with the plan's: a phase
    that tunes one criterion (or only its `days`) keeps the others, so a tuned bound never
    drops a criterion unnoticed. `NAME: false` drops one, in any phase."""
    plan = default_phases()
    out = {}
    for name, phase in raw.items():
        if isinstance(phase, dict) and isinstance(phase.get("criteria", {}), dict | None):
            given = phase.get("criteria") or {}
            base = {c: {} for c in plan[name].criteria} if name in plan else {}
            if name in plan or "criteria" in phase:
                criteria = {c: v for c, v in {**base, **given}.items() if v is not False}
                phase = {**phase, "criteria": criteria}
        out[name] = phase
    return out


def with_plan_phases(named: dict) -> dict:
    """The phases a `phases:` key names (tuned or new), then the plan's phases it does not name."""
    return {**named, **{name: phase for name, phase in default_phases().items() if name not in named}}


def _criteria(*names: str) -> dict[str, CriterionConfig]:
    return {name: CriterionConfig() for name in names}
