"""`reconciler calibrate`: the noise floor of a source, measured with no migration at all.

One side of a dataset is compared with itself: either its source read twice, `between`
apart (counts per hour first, then a row comparison of the source against itself, whose
counts are the second read), or its source against a replica (`replica_url`), row by row.
Whatever drift and mismatch appear are noise; the suggested thresholds sit above it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from reconciler.compare.counts import count_by_hour
from reconciler.compare.drift import drift_pct
from reconciler.config.loader import LoadedConfig
from reconciler.config.models import ColumnConfig, SourceConfig
from reconciler.sources.connection import opened_sources, safe_url
from reconciler.thresholds import DEFAULT_DRIFT_PCT, DEFAULT_MATCH_PCT
from reconciler.timeutil import Window, iso

CALIBRATION = "calibration"


def _twin_names(source: str, replica: bool) -> tuple[str, str]:
    """The names the two reads go by in messages: the side's own source (an operator knows
    'old', not an internal name), and its replica or second read."""
    return source, f"{source} (replica)" if replica else f"{source} (second read)"


@dataclass(frozen=True)
class Calibration:
    dataset: str
    side: str
    mode: str                       # "read twice" | "replica"
    window: Window
    hours: list                     # [{"hour", "first", "second", "rows_added", "drift_pct"}]
    totals: dict                    # the A/A row comparison's totals
    configured_drift_pct: float
    configured_match_pct: float
    replica: str | None = None

    @property
    def drift_noise_pct(self) -> float:
        values = [abs(h["drift_pct"]) for h in self.hours if h["drift_pct"] is not None]
        return max(values, default=0.0)

    @property
    def rows_added(self) -> int:
        return sum(h["rows_added"] for h in self.hours)

    @property
    def match_pct(self) -> float | None:
        return self.totals.get("match_pct")

    @property
    def suggested_drift_pct(self) -> float:
        """Twice the noise, rounded up to two significant digits; at least 0.01 %."""
        return max(0.01, _round_up(2 * self.drift_noise_pct))

    @property
    def suggested_match_pct(self) -> float:
        noise = 100 - (self.match_pct if self.match_pct is not None else 100)
        return round(max(0.0, 100 - max(0.0001, _round_up(2 * noise))), 4)

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset, "side": self.side, "mode": self.mode, "replica": self.replica,
            "window": self.window.to_dict(), "hours": self.hours, "totals": self.totals,
            "noise": {"max_abs_drift_pct": self.drift_noise_pct, "rows_added": self.rows_added,
                      "match_pct": self.match_pct},
            "suggested": {"max_abs_drift_pct": self.suggested_drift_pct, "min_match_pct": self.suggested_match_pct},
            "configured": {"max_abs_drift_pct": self.configured_drift_pct, "min_match_pct": self.configured_match_pct},
            "configured_above_noise": {"drift": self.configured_drift_pct > self.drift_noise_pct,
                                       "match": self.match_pct is None or self.configured_match_pct < self.match_pct},
        }


def _round_up(value: float) -> float:
    if value <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return math.ceil(value * 10 ** digits) / 10 ** digits


def self_comparison(loaded: LoadedConfig, dataset: str, side: str, replica_url: str | None) -> LoadedConfig:
    """A config whose dataset `calibration` compares the chosen side with itself (or its replica)."""
    ds = loaded.config.datasets[dataset]
    chosen = getattr(ds, side)
    loaded.require_sources({chosen.source: ("datasets", dataset, side, "source")})
    source = loaded.config.sources[chosen.source]
    a, b = _twin_names(chosen.source, bool(replica_url))
    columns = {(old if side == "old" else new): ColumnConfig(**{**(cfg or ColumnConfig()).model_dump(), "old": None})
               for old, new, cfg in ds.column_pairs()}
    sources = {a: source, b: SourceConfig(**{**source.model_dump(), "url": replica_url}) if replica_url else source}
    twin = ds.model_copy(update={"old": chosen.model_copy(update={"source": a}),
                                 "new": chosen.model_copy(update={"source": b}), "columns": columns})
    config = loaded.config.model_copy(update={"sources": sources, "datasets": {CALIBRATION: twin}, "checks": {},
                                              "jobs": {}})
    return LoadedConfig(config, loaded.path, loaded.lines)


def configured_thresholds(loaded: LoadedConfig) -> tuple[float, float]:
    shadow = loaded.config.phases.get("shadow")
    criteria = shadow.criteria if shadow else {}
    drift = criteria["drift"].bound("drift", "max_abs_pct") if "drift" in criteria else DEFAULT_DRIFT_PCT
    match = criteria["match"].bound("match", "min_pct") if "match" in criteria else DEFAULT_MATCH_PCT
    return drift, match


def calibrate_dataset(loaded: LoadedConfig, dataset: str, window: Window, *, side: str = "new",
                      replica_url: str | None = None, between=None) -> Calibration:
    """Read twice (`between` runs between the reads: a sleep, or a test's hook) or, with
    `replica_url`, the source against its replica."""
    from reconciler.compare.dataset import collect_evidence, log_timings
    from reconciler.compare.sides import open_sides, prepare_side

    twin = self_comparison(loaded, dataset, side, replica_url)
    first = None
    with opened_sources(twin) as sources:
        if not replica_url:
            sides = open_sides(twin, CALIBRATION, sources)
            first_read = sources[twin.config.datasets[CALIBRATION].old.source]
            with first_read.connect() as conn:
                prepare_side(twin, CALIBRATION, sides["old"], conn)
                first = count_by_hour(first_read, sides["old"].rel, sides["old"].axis, window, conn)
            if between is not None:
                between()
        started = time.perf_counter()
        evidence = collect_evidence(twin, CALIBRATION, window, rows=True, sources=sources)
        log_timings(CALIBRATION, window, {**evidence.timings, "total": time.perf_counter() - started})
    hours = []
    for hour, row in zip(window.hours(), evidence.hours):
        before = first.get(hour, 0) if first is not None else row["old"]
        hours.append({"hour": iso(hour), "first": before, "second": row["new"], "rows_added": row["new"] - before,
                      "drift_pct": drift_pct(before, row["new"])})
    drift_bound, match_bound = configured_thresholds(loaded)
    return Calibration(dataset, side, "replica" if replica_url else "read twice", window, hours,
                       dict(evidence.totals), drift_bound, match_bound, safe_url(replica_url) if replica_url else None)


def calibration_lines(c: Calibration) -> list[str]:
    how = f"against the replica {c.replica}" if c.replica else "read twice"
    lines = [f"calibrate {c.dataset} ({c.side} side, {how}) {iso(c.window.start)} → {iso(c.window.end)}",
             f"  {'hour':<20} {'first':>10} {'second':>10} {'added':>8} {'drift %':>9}"]
    for h in c.hours:
        drift = "n/a" if h["drift_pct"] is None else f"{h['drift_pct']:+.4f}"
        lines.append(f"  {h['hour']:<20} {h['first']:>10} {h['second']:>10} {h['rows_added']:>8} {drift:>9}")
    t = c.totals
    lines.append(f"noise: drift up to {c.drift_noise_pct:.4f} % ({c.rows_added} rows added between the reads); "
                 f"row comparison {t.get('match_pct')} % matched ({t.get('mismatched')} mismatched, "
                 f"{t.get('missing_in_new')} missing, {t.get('extra_in_new')} extra)")
    lines.append(f"suggested: drift threshold ±{c.suggested_drift_pct:g} % (configured ±{c.configured_drift_pct:g} %"
                 f"{'' if c.configured_drift_pct > c.drift_noise_pct else ', NOT above the noise'}); "
                 f"match ≥ {c.suggested_match_pct:g} % (configured {c.configured_match_pct:g} %)")
    return lines
