"""The one result model. Every check, whatever produced it, becomes a CheckResult;
a comparison of a dataset is a CompareResult; a job run groups them in a RunResult.
Renderers (JSON, terminal, HTML, Slack) read these and nothing else."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, iso

PASS, FAIL, ERROR, SKIPPED, EMPTY = "pass", "fail", "error", "skipped", "empty"
STATUSES = (PASS, FAIL, ERROR, SKIPPED, EMPTY)
DEFAULT_SAMPLE_LIMIT = 20  # samples a result keeps when no dataset configures diff.sample_limit


def worst(statuses) -> str:
    """error beats fail beats empty (no evidence) beats pass; skipped counts as pass only when
    nothing else ran."""
    seen = set(statuses)
    for s in (ERROR, FAIL, EMPTY, PASS):
        if s in seen:
            return s
    return SKIPPED if seen else PASS


def jsonable(value: Any) -> Any:
    """Plain JSON values: datetimes as ISO, Decimals and numpy scalars as numbers, NaN as null."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, Window):
        return value.to_dict()
    if hasattr(value, "item"):  # numpy scalar
        return jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if type(value).__name__ == "Decimal":
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


@dataclass(frozen=True)
class CheckResult:
    """`reason` is the one-line verdict a person reads first (reconciler/reasons.py);
    `threshold` is always a Threshold (older shapes given here are converted)."""

    check: str
    status: str
    observed: Any = None
    threshold: Threshold | None = None
    violations: int = 0
    samples: list = field(default_factory=list)
    window: Window | None = None
    message: str | None = None
    details: dict = field(default_factory=dict)
    reason: str | None = None
    samples_total: int | None = None  # samples found when the store kept fewer (`samples` holds the first)

    def __post_init__(self):
        if self.threshold is not None and not isinstance(self.threshold, Threshold):
            object.__setattr__(self, "threshold", Threshold.from_dict(self.threshold))

    def to_dict(self) -> dict:
        out = {
            "check": self.check,
            "status": self.status,
            "reason": self.reason,
            "observed": jsonable(self.observed),
            "threshold": self.threshold.to_dict() if self.threshold is not None else None,
            "violations": self.violations,
            "samples": jsonable(self.samples),
            "window": self.window.to_dict() if self.window else None,
        }
        if self.message:
            out["message"] = self.message
        if self.details:
            out["details"] = jsonable(self.details)
        if self.samples_total is not None:
            out["samples_total"] = self.samples_total
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "CheckResult":
        """The inverse of to_dict, for any stored shape: older thresholds are converted, a
        point-in-time result has no window."""
        return cls(check=d["check"], status=d["status"], observed=d.get("observed"),
                   threshold=Threshold.from_dict(d.get("threshold")), violations=int(d.get("violations") or 0),
                   samples=list(d.get("samples") or []), window=window_from_dict(d.get("window")),
                   message=d.get("message"), details=dict(d.get("details") or {}), reason=d.get("reason"),
                   samples_total=d.get("samples_total"))


@dataclass(frozen=True)
class HourCount:
    """One hour of a comparison. The row classes are None when only counts were compared."""

    hour: datetime
    old: int
    new: int
    drift_pct: float | None
    status: str
    missing_in_new: int | None = None
    extra_in_new: int | None = None
    mismatched: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict:
        return {"hour": iso(self.hour), "old": self.old, "new": self.new,
                "drift_pct": self.drift_pct, "status": self.status, "missing_in_new": self.missing_in_new,
                "extra_in_new": self.extra_in_new, "mismatched": self.mismatched, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> "HourCount":
        return cls(hour=time_from_text(d["hour"]), old=d["old"], new=d["new"], drift_pct=d.get("drift_pct"),
                   status=d["status"], missing_in_new=d.get("missing_in_new"), extra_in_new=d.get("extra_in_new"),
                   mismatched=d.get("mismatched"), reason=d.get("reason"))


@dataclass(frozen=True)
class Finding:
    """Why rows of one hour differ: one pattern among the hour's differences of one class
    (`about`: missing_in_new, extra_in_new or mismatched), in one sentence (`text`) with the
    numbers behind it (`evidence`). `share` is the part of that class's differences in the
    hour the finding accounts for (0..1), `rows` their number. `signature` is stable across
    hours: two findings telling the same story (the same gap kind, the same device, the same
    +1.5 offset) have the same signature whatever their counts and times."""

    hour: datetime
    about: str
    kind: str
    text: str
    rows: int
    share: float
    signature: str
    evidence: dict = field(default_factory=dict)
    sample_keys: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"hour": iso(self.hour), "about": self.about, "kind": self.kind, "text": self.text,
                "rows": self.rows, "share": round(self.share, 4), "signature": self.signature,
                "evidence": jsonable(self.evidence), "sample_keys": jsonable(self.sample_keys)}

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(hour=time_from_text(d["hour"]), about=d["about"], kind=d["kind"], text=d["text"],
                   rows=int(d.get("rows") or 0), share=float(d.get("share") or 0.0), signature=d.get("signature", ""),
                   evidence=dict(d.get("evidence") or {}), sample_keys=list(d.get("sample_keys") or []))


@dataclass(frozen=True)
class CompareResult:
    """What `reconciler compare` reports for one dataset and window (DESIGN.md JSON); a
    comparison read at one moment has `as_of` and no window."""

    dataset: str
    window: Window | None
    status: str
    totals: dict
    hours: list[HourCount]
    samples: dict
    timings: dict
    checks: list[CheckResult] = field(default_factory=list)
    truncated: bool = False
    mode: str = "counts"
    samples_total: dict | None = None  # per kind, samples found when the store kept fewer
    as_of: datetime | None = None
    findings: list[Finding] = field(default_factory=list)  # why the failing hours' rows differ

    @property
    def is_snapshot(self) -> bool:
        return self.mode == "snapshot"

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "window": self.window.to_dict() if self.window else None,
            "status": self.status,
            "mode": self.mode,
            "truncated": self.truncated,
            "totals": jsonable(self.totals),
            "hours": [h.to_dict() for h in self.hours],
            "samples": jsonable(self.samples),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            **({"samples_total": dict(self.samples_total)} if self.samples_total is not None else {}),
            **({"as_of": iso(self.as_of)} if self.as_of is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "CompareResult":
        return cls(dataset=d["dataset"], window=window_from_dict(d["window"]), status=d["status"],
                   totals=dict(d.get("totals") or {}), hours=[HourCount.from_dict(h) for h in d.get("hours") or []],
                   samples=dict(d.get("samples") or {}), timings=dict(d.get("timings") or {}),
                   checks=[CheckResult.from_dict(c) for c in d.get("checks") or []],
                   truncated=bool(d.get("truncated")), mode=d.get("mode") or "counts",
                   samples_total=dict(d["samples_total"]) if d.get("samples_total") else None,
                   as_of=time_from_text(d["as_of"]) if d.get("as_of") else None,
                   findings=[Finding.from_dict(f) for f in d.get("findings") or []])


@dataclass(frozen=True)
class RunResult:
    """One job run over one window, or (window None) of the point-in-time checks as of one
    moment: what the report store keeps."""

    job: str
    window: Window | None
    started_at: datetime
    finished_at: datetime
    status: str
    results: list[CheckResult]
    compares: list[CompareResult] = field(default_factory=list)
    message: str | None = None
    as_of: datetime | None = None

    def to_dict(self) -> dict:
        out = {
            "job": self.job,
            "window": self.window.to_dict() if self.window else None,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "status": self.status,
            "message": self.message,
            "results": [r.to_dict() for r in self.results],
            "compares": [c.to_dict() for c in self.compares],
        }
        if self.as_of is not None:
            out["as_of"] = iso(self.as_of)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "RunResult":
        """A run as `to_dict` wrote it or as the report store reads it back: a stored
        point-in-time run (both window ends at its moment) comes back with no window and `as_of`."""
        window = window_from_dict(d.get("window"))
        as_of = d.get("as_of") or (d["window"]["start"] if d.get("window") and window is None else None)
        return cls(job=d["job"], window=window, started_at=time_from_text(d["started_at"]),
                   finished_at=time_from_text(d["finished_at"]), status=d["status"],
                   results=[CheckResult.from_dict(r) for r in d.get("results") or []],
                   compares=[CompareResult.from_dict(c) for c in d.get("compares") or []],
                   message=d.get("message"), as_of=time_from_text(as_of) if as_of else None)


@dataclass(frozen=True)
class StoredRun:
    """A run as the report store holds it: the RunResult and where it came from. `id` is None
    for a run that was never stored (rendered straight from a RunResult)."""

    run: RunResult
    id: int | None = None
    recorded_at: datetime | None = None
    tool_version: str | None = None
    config_fingerprint: str | None = None
    source_names: list | dict | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "StoredRun":
        """A stored run dict (`ReportStore.get_run`, a run report's JSON, a 0.1 golden)."""
        recorded = d.get("recorded_at")
        return cls(run=RunResult.from_dict(d), id=int(d["id"]) if d.get("id") is not None else None,
                   recorded_at=time_from_text(recorded) if recorded else None, tool_version=d.get("tool_version"),
                   config_fingerprint=d.get("config_fingerprint"), source_names=d.get("source_names"))

    @classmethod
    def of(cls, run: "StoredRun | RunResult | dict") -> "StoredRun":
        """Whatever a renderer is given, as a StoredRun: dicts are read with `from_dict` first."""
        if isinstance(run, StoredRun):
            return run
        if isinstance(run, RunResult):
            return cls(run=run)
        return cls.from_dict(run)


def time_from_text(text: str | datetime) -> datetime:
    """An ISO time as the JSON and the store write it (`...Z`), as an aware UTC datetime."""
    if isinstance(text, datetime):
        return text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def window_from_dict(d: dict | None) -> Window | None:
    """A window dict back to a Window; None for no window or a zero-length (point-in-time) one."""
    if not d or not d.get("start") or d.get("start") == d.get("end"):
        return None
    return Window(time_from_text(d["start"]), time_from_text(d["end"]))
