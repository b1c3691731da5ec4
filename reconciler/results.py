"""The one result model. Every check, whatever produced it, becomes a CheckResult;
a comparison of a dataset is a CompareResult; a job run groups them in a RunResult.
Renderers (JSON, terminal, HTML, Slack) read these and nothing else."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, iso


class Status(StrEnum):
    """A verdict. Its value is what JSON, the store and the templates hold."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"       # the checker could not judge (a source unreachable, a query failed)
    SKIPPED = "skipped"   # nothing to judge (no aggregate, no events in the hour)
    EMPTY = "empty"       # no row on either side: missing evidence, not a pass


class Mode(StrEnum):
    """How a dataset was compared."""

    COUNTS = "counts"       # rows per hour only
    ROWS = "rows"           # every row, by key
    SNAPSHOT = "snapshot"   # every row the filters select, as of one moment


PASS, FAIL, ERROR, SKIPPED, EMPTY = Status
STATUSES = tuple(s.value for s in Status)
NOT_PASSING = (FAIL, ERROR)
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
    """`reason` is the one-line verdict a person reads first; `threshold` is always a
    Threshold (older shapes given here are converted). A result is about a `window` (a
    windowed check: UTC hours) or a moment, `as_of` (a point-in-time check), never both.
    `check_type` names its type (reconciler/checks/types/) and `config_check` the
    configured check it came from (under `checks:`)."""

    check: str
    status: Status
    observed: Any = None
    threshold: Threshold | None = None
    violations: int = 0
    samples: list = field(default_factory=list)
    window: Window | None = None
    message: str | None = None
    details: dict = field(default_factory=dict)
    reason: str | None = None
    samples_total: int | None = None  # samples found when the store kept fewer (`samples` holds the first)
    as_of: datetime | None = None
    check_type: str | None = None
    config_check: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))
        if self.threshold is not None and not isinstance(self.threshold, Threshold):
            object.__setattr__(self, "threshold", Threshold.from_dict(self.threshold))
        if "config_check" in self.details:  # where versions before the typed field kept it (to_dict still writes it)
            details = dict(self.details)
            named = details.pop("config_check")
            object.__setattr__(self, "details", details)
            object.__setattr__(self, "config_check", self.config_check or named)
        if self.window is not None and self.as_of is not None:
            raise ValueError(f"result {self.check!r} has both a window and an as_of: it is one or the other")

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
        if self.as_of is not None:
            out["as_of"] = iso(self.as_of)
        if self.check_type is not None:
            out["check_type"] = self.check_type
        if self.config_check is not None:
            out["config_check"] = self.config_check
        if self.message:
            out["message"] = self.message
        details = {"config_check": self.config_check, **self.details} if self.config_check else self.details
        if details:
            out["details"] = jsonable(details)  # details.config_check: where earlier versions kept it
        if self.samples_total is not None:
            out["samples_total"] = self.samples_total
        return out

    @classmethod
    def from_dict(cls, d: dict, as_of: datetime | str | None = None) -> "CheckResult":
        """The inverse of to_dict, for any stored shape: older thresholds are converted, the
        type of a result stored before results carried it is read from its shape
        (`legacy_check_type`), and a result with no window is as of `as_of` (its run's moment)
        when it does not say itself."""
        details = dict(d.get("details") or {})
        details.pop("point_in_time", None)  # the marker older versions wrote: `as_of` says it now
        window = window_from_dict(d.get("window"))
        moment = None if window is not None else d.get("as_of") or as_of  # a window says what it is about
        return cls(check=d["check"], status=d["status"], observed=d.get("observed"),
                   threshold=Threshold.from_dict(d.get("threshold")), violations=int(d.get("violations") or 0),
                   samples=list(d.get("samples") or []), window=window,
                   message=d.get("message"), details=details, reason=d.get("reason"),
                   samples_total=d.get("samples_total"), as_of=time_from_text(moment) if moment else None,
                   check_type=d.get("check_type") or legacy_check_type(d), config_check=d.get("config_check"))


def legacy_check_type(d: dict) -> str | None:
    """The type of a result stored before results carried one, read from its shape. The one
    place that still does: everything else reads `check_type`."""
    details = d.get("details") or {}
    measure = details.get("measure")
    if measure == "dlq_depth":
        return "health"
    if measure in ("processing_lag", "newest_event_age"):
        return "lag"
    if measure == "write_latency":
        return "latency"
    if "aggregate" in details:
        return "caggs"
    if str(d.get("check", "")).endswith((".complete", ".summary")):
        return "rows"
    if "severity" in details:
        return "sql"
    if "dataset" in details or "unexpected_index" in details:
        return "rows" if details.get("column") in ("match_pct", "truncated") else "counts"
    if details.get("expectation"):
        return "suite"
    return None


@dataclass(frozen=True)
class StoredResult:
    """A result as the report store holds it: the run it belongs to and the moment it
    describes (its as_of; for a windowed result, its run's start)."""

    result: CheckResult
    run_id: int
    moment: datetime


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
    duplicates_old: int | None = None
    duplicates_new: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))

    def to_dict(self) -> dict:
        return {"hour": iso(self.hour), "old": self.old, "new": self.new,
                "drift_pct": self.drift_pct, "status": self.status, "missing_in_new": self.missing_in_new,
                "extra_in_new": self.extra_in_new, "mismatched": self.mismatched,
                "duplicates_old": self.duplicates_old, "duplicates_new": self.duplicates_new, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> "HourCount":
        return cls(hour=time_from_text(d["hour"]), old=d["old"], new=d["new"], drift_pct=d.get("drift_pct"),
                   status=d["status"], missing_in_new=d.get("missing_in_new"), extra_in_new=d.get("extra_in_new"),
                   mismatched=d.get("mismatched"), reason=d.get("reason"), duplicates_old=d.get("duplicates_old"),
                   duplicates_new=d.get("duplicates_new"))


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
    mode: Mode = Mode.COUNTS
    samples_total: dict | None = None  # per kind, samples found when the store kept fewer
    as_of: datetime | None = None
    findings: list[Finding] = field(default_factory=list)  # why the failing hours' rows differ

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "mode", Mode(self.mode))

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
    def from_dict(cls, d: dict, as_of: datetime | str | None = None) -> "CompareResult":
        """A snapshot has no window but the moment it was read (`as_of`, else its run's, given
        here); older versions stored it with a sentinel window of two centuries."""
        mode = Mode(d.get("mode") or Mode.COUNTS)
        window = None if mode == Mode.SNAPSHOT else window_from_dict(d.get("window"))
        moment = d.get("as_of") or (as_of if window is None else None)
        moment = time_from_text(moment) if moment else None
        return cls(dataset=d["dataset"], window=window, status=d["status"],
                   totals=dict(d.get("totals") or {}), hours=[HourCount.from_dict(h) for h in d.get("hours") or []],
                   samples=dict(d.get("samples") or {}), timings=dict(d.get("timings") or {}),
                   checks=[CheckResult.from_dict(c, as_of=moment) for c in d.get("checks") or []],
                   truncated=bool(d.get("truncated")), mode=mode,
                   samples_total=dict(d["samples_total"]) if d.get("samples_total") else None,
                   as_of=moment,
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

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))

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
        moment = as_of or d["started_at"]  # of its results that have no window and do not say
        return cls(job=d["job"], window=window, started_at=time_from_text(d["started_at"]),
                   finished_at=time_from_text(d["finished_at"]), status=d["status"],
                   results=[CheckResult.from_dict(r, as_of=moment) for r in d.get("results") or []],
                   compares=[CompareResult.from_dict(c, as_of=moment) for c in d.get("compares") or []],
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


@dataclass(frozen=True)
class StoredWindow:
    """What a job judged and stored for one window, or (no window) for its point-in-time checks
    as of `as_of`: the run's id and status, the ledger verdicts it recorded, its failing
    results, and, once written, its reports."""

    id: int
    window: Window | None
    as_of: datetime | None
    status: Status
    verdicts: tuple[str, ...] = ()
    failing: tuple[CheckResult, ...] = ()
    message: str | None = None
    unreachable: bool = False      # a source could not be reached: stored as error
    seconds: float | None = None   # to judge and store it
    html: Any = None               # the report paths, once written
    json: Any = None

    @property
    def outcome(self) -> Status:
        """Its status, except that a passing window with an hour of no rows is `empty`."""
        return EMPTY if self.status == PASS and EMPTY in self.verdicts else self.status

    def moment_dict(self) -> dict:
        """{"start", "end"} of its window, or {"as_of"}."""
        return self.window.to_dict() if self.window is not None else {"as_of": iso(self.as_of)}


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
