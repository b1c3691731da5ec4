"""Compare one dataset over one window: hourly counts, optionally rows, judged by its suite."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from reconciler.compare.counts import count_by_hour, group_summary
from reconciler.compare.drift import drift_pct
from reconciler.config.loader import LoadedConfig
from reconciler.errors import ConfigError, UsageError
from reconciler.reasons import hour_reason, hourly_check_reason, with_reason
from reconciler.results import FAIL, PASS, CheckResult, CompareResult, HourCount, worst
from reconciler.sources.connection import Source, classify_query_error, first_line, is_unavailable, opened_sources
from reconciler.sources.relation import SideRelation
from reconciler.sources.timeaxis import TimeAxis
from reconciler.thresholds import Threshold
from reconciler.timeutil import Window, iso

log = logging.getLogger(__name__)
DEFAULT_DRIFT_PCT = 1.0
DEFAULT_MATCH_PCT = 99.9
SNAPSHOT_WINDOW = Window(datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))


@dataclass
class Side:
    """One side of a dataset, opened: its source, relation and time axis."""

    name: str
    source: Source
    rel: SideRelation
    axis: TimeAxis | None = None


def resolve_dataset(loaded: LoadedConfig, name: str | None) -> str:
    datasets = loaded.config.datasets
    if name is None:
        if len(datasets) == 1:
            return next(iter(datasets))
        if not datasets:
            raise UsageError(f"no dataset is configured in {loaded.path} (datasets:)")
        raise UsageError(f"name the dataset to compare: {loaded.path} configures {len(datasets)} "
                         f"({', '.join(datasets)}), e.g. reconciler compare {next(iter(datasets))}")
    if name not in datasets:
        import difflib

        close = difflib.get_close_matches(name, list(datasets), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown dataset {name!r} in {loaded.path} (known: {', '.join(datasets)}){hint}")
    return name


def suite_for(loaded: LoadedConfig, dataset: str) -> Path | None:
    for check in loaded.config.checks.values():
        if check.dataset == dataset and check.suite and check.type in ("counts", "rows"):
            return loaded.resolve(f"expectations/{check.suite}.json")
    default = loaded.resolve(f"expectations/{dataset}.json")
    return default if default.is_file() else None


def open_sides(loaded: LoadedConfig, dataset: str, sources: dict[str, Source],
               now: datetime | None = None) -> dict[str, Side]:
    ds = loaded.config.datasets[dataset]
    pairs = ds.column_pairs()
    old_cols = [o for o, _, _ in pairs]
    new_cols = [n for _, n, _ in pairs]
    return {
        "old": Side("old", sources[ds.old.source], SideRelation.build(ds.old, old_cols, now)),
        "new": Side("new", sources[ds.new.source], SideRelation.build(ds.new, new_cols, now)),
    }


def prepare_side(loaded: LoadedConfig, dataset: str, side: Side, conn) -> None:
    """Check that the relation and its columns exist, then learn how time is stored."""
    cfg = side.rel.side
    try:
        present = side.rel.column_names(conn)
    except DBAPIError as e:
        if is_unavailable(e):
            raise classify_query_error(side.source, e) from None
        conn.rollback()
        key = "table" if cfg.table else "query"
        raise ConfigError(
            f"{loaded.where('datasets', dataset, side.name, key)}: {cfg.relation} cannot be read in source "
            f"{cfg.source!r}: {first_line(e)}"
        ) from None
    lowered = {c.lower() for c in present}
    problems = []
    ds = loaded.config.datasets[dataset]
    wanted = [(("datasets", dataset, side.name, "time"), cfg.time)]
    wanted += [(("datasets", dataset, side.name, "key"), k) for k in cfg.key]
    for old, new, settings in ds.column_pairs():
        if side.name == "new":
            wanted.append((("datasets", dataset, "columns", new), new))
        else:
            path = ("datasets", dataset, "columns", new) + (("old",) if settings.old else ())
            wanted.append((path, old))
    for path, column in wanted:
        if column.lower() not in lowered:
            problems.append(f"{loaded.where(*path)}: column {column!r} does not exist in {cfg.relation} "
                            f"of source {cfg.source!r} (columns: {', '.join(present)})")
    if problems:
        raise ConfigError(problems)
    side.axis = side.rel.probe_time(conn, cfg.timezone)


def hour_rows(window: Window, old_counts, new_counts) -> list[dict]:
    rows = []
    for hour in window.hours():
        old, new = int(old_counts.get(hour, 0)), int(new_counts.get(hour, 0))
        rows.append({"hour": iso(hour), "old": old, "new": new, "drift_pct": drift_pct(old, new)})
    return rows


def builtin_judgement(rows: list[dict], window: Window) -> list[CheckResult]:
    """Used only when a dataset has no suite: the DESIGN.md defaults (drift within
    ±1 %, and with rows: match at least 99.9 %, no truncated comparison)."""
    def check(name, bad, threshold, shown):
        return CheckResult(name, FAIL if bad else PASS, observed=len(bad), threshold=threshold,
                           violations=len(bad), samples=[{"hour": r["hour"], shown: r[shown]} for r in bad[:20]],
                           window=window, details={"unexpected_index": [r["hour"] for r in bad], "column": shown})

    drift = [r for r in rows if r["drift_pct"] is None or abs(r["drift_pct"]) > DEFAULT_DRIFT_PCT]
    results = [check("hourly_count_drift", drift, Threshold.symmetric(DEFAULT_DRIFT_PCT, "%"), "drift_pct")]
    if rows and "match_pct" in rows[0]:
        low = [r for r in rows if r["match_pct"] is not None and r["match_pct"] < DEFAULT_MATCH_PCT]
        results.append(check("row_match", low, Threshold.at_least(DEFAULT_MATCH_PCT, "%"), "match_pct"))
        cut = [r for r in rows if r["truncated"]]
        results.append(check("row_diff_complete", cut, Threshold(value_set=(False,)), "truncated"))
    return results


def judge(suite: Path | None, rows: list[dict], window: Window):
    """Run the suite over the hourly evidence; returns (check results, failing hours)."""
    if suite is None:
        results = builtin_judgement(rows, window)
        failing = {h for r in results if r.status == FAIL for h in r.details["unexpected_index"]}
        return results, failing
    import pandas as pd

    from reconciler.checks.suites import failing_indexes, validate_frame

    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["hour", "old", "new", "drift_pct"])
    frame["drift_pct"] = frame["drift_pct"].astype("float64")
    results = validate_frame(suite, frame, window)
    return results, failing_indexes(results)


def compare_dataset(loaded: LoadedConfig, dataset: str, window: Window, *, rows: bool = False,
                    sources: dict[str, Source] | None = None, reporter=None,
                    now: datetime | None = None) -> CompareResult:
    from reconciler.checks import suites

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    snapshot = loaded.config.datasets[dataset].snapshot
    if snapshot:
        window, rows = SNAPSHOT_WINDOW, True
    suite = None if snapshot else suite_for(loaded, dataset)
    if suite is not None:
        suites.preload()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        if sources is None:
            sources = stack.enter_context(opened_sources(loaded))
        sides = open_sides(loaded, dataset, sources, now)
        def connect(side: Side):
            started = time.perf_counter()
            conn = stack.enter_context(side.source.connect())
            prepare_side(loaded, dataset, side, conn)
            return conn, time.perf_counter() - started

        futures = {name: pool.submit(connect, side) for name, side in sides.items()}
        opened = {name: f.result() for name, f in futures.items()}
        conns = {name: c for name, (c, _) in opened.items()}
        timings["connect"] = max(t for _, t in opened.values())
        diff = None
        if rows:
            from reconciler.compare.rowdiff.engine import diff_dataset

            diff = diff_dataset(loaded.config.datasets[dataset], sides, window, conns, reporter=reporter)
            counts = {"old": diff.hour_old, "new": diff.hour_new}
            timings.update(diff.timings)
            if snapshot and loaded.config.datasets[dataset].summary_by:
                summaries = _summaries(loaded.config.datasets[dataset], sides, window, conns)
        else:
            if reporter:
                reporter(f"counting rows per hour in {dataset} ({window.seconds / 3600:g} h)")

            def count(name):
                started = time.perf_counter()
                side = sides[name]
                result = count_by_hour(side.source, side.rel, side.axis, window, conns[name])
                return result, time.perf_counter() - started

            futures = {name: pool.submit(count, name) for name in sides}
            done = {name: f.result() for name, f in futures.items()}
            counts = {name: c for name, (c, _) in done.items()}
            timings["query_old"], timings["query_new"] = done["old"][1], done["new"][1]
            timings["counts"] = max(timings["query_old"], timings["query_new"])
    if snapshot:
        result = _snapshot_result(dataset, diff, timings, t0)
        if loaded.config.datasets[dataset].summary_by:
            result.checks.append(summary_check(dataset, loaded.config.datasets[dataset], summaries))
            result = replace(result, status=worst(c.status for c in result.checks))
        return result
    evidence = hour_rows(window, counts["old"], counts["new"])
    totals = _count_totals(evidence)
    if diff is not None:
        diff.annotate(evidence)
        totals.update(diff.totals())
    if reporter and suite is not None:
        reporter("judging the evidence with the expectation suite")
    t = time.perf_counter()
    checks, failing = judge(suite, evidence, window)
    timings["suite"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    checks, hours = explain(checks, failing, evidence, totals)
    log.info("window %s → %s, dataset %s: %.2f s (%s)", iso(window.start), iso(window.end), dataset,
             timings["total"], ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if k != "total"))
    samples = diff.samples if diff else {"missing_in_new": [], "extra_in_new": [], "mismatched": []}
    return CompareResult(dataset=dataset, window=window, status=worst(c.status for c in checks), totals=totals,
                         hours=hours, samples=samples, timings=timings, checks=checks,
                         truncated=bool(diff and diff.truncated), mode="rows" if rows else "counts")


def explain(checks: list[CheckResult], failing: set, evidence: list[dict],
            totals: dict) -> tuple[list[CheckResult], list[HourCount]]:
    """The judged checks with their reasons, and the hours with their classes and reasons."""
    checks = [replace(c, reason=hourly_check_reason(c, evidence, totals)) for c in checks]
    return checks, [_hour_count(r, failing, checks) for r in evidence]


def _hour_count(row: dict, failing: set, checks: list[CheckResult]) -> HourCount:
    """One hour of evidence as a HourCount, with its row classes and the reason of its verdict."""
    flagging = [c for c in checks if c.status == FAIL and row["hour"] in (c.details.get("unexpected_index") or ())]
    return HourCount(_parse(row["hour"]), row["old"], row["new"], row["drift_pct"],
                     FAIL if row["hour"] in failing else PASS, missing_in_new=row.get("missing_in_new"),
                     extra_in_new=row.get("extra_in_new"), mismatched=row.get("mismatched"),
                     reason=hour_reason(row, flagging))


def _summaries(ds, sides: dict, window: Window, conns: dict) -> dict:
    """The migration plan's own integrity query on each side: rows and distinct values per group."""
    names = {new: (old or new) for old, new, _ in ds.column_pairs()}
    for column in (ds.summary_by, ds.summary_distinct):
        names.setdefault(column, column)
    out = {}
    for name, side in sides.items():
        by = ds.summary_by if name == "new" else names[ds.summary_by]
        distinct = ds.summary_distinct and (ds.summary_distinct if name == "new" else names[ds.summary_distinct])
        out[name] = group_summary(side.rel, side.axis, window, by, distinct, conns[name])
    return out


def summary_check(dataset: str, ds, summaries: dict) -> CheckResult:
    """Fails when any group's row or distinct count differs between old and new."""
    rows, bad = [], []
    for group in sorted(set(summaries["old"]) | set(summaries["new"])):
        old, new = summaries["old"].get(group, (0, 0)), summaries["new"].get(group, (0, 0))
        row = {ds.summary_by: group, "old": old[0], "new": new[0]}
        if ds.summary_distinct:
            row |= {f"old_{ds.summary_distinct}": old[1], f"new_{ds.summary_distinct}": new[1]}
        rows.append(row)
        if old != new:
            bad.append(row)
    return with_reason(CheckResult(f"{dataset}.summary", FAIL if bad else PASS, observed=rows,
                                   threshold=Threshold(text="equal on both sides"), violations=len(bad), samples=bad,
                                   details={"severity": "critical", "source": "both"}))


def _snapshot_result(dataset: str, diff, timings: dict, t0: float) -> CompareResult:
    """A snapshot dataset (e.g. bookings that must have been migrated) has no hours: it
    passes when every selected old row exists in new with equal fields. Rows only in new
    are reported, not failed: the new system may have taken bookings of its own."""
    totals = {"old": sum(diff.hour_old.values()), "new": sum(diff.hour_new.values()), **diff.totals()}
    totals["drift_pct"] = drift_pct(totals["old"], totals["new"])
    t = diff.tally
    failing = t.total("missing_in_new") + t.total("mismatched")
    checks = [CheckResult(f"{dataset}.complete", FAIL if failing or diff.truncated else PASS,
                          observed={"missing_in_new": t.total("missing_in_new"), "mismatched": t.total("mismatched"),
                                    "extra_in_new": t.total("extra_in_new")},
                          threshold=Threshold.at_most(0, "rows missing or changed"), violations=failing,
                          samples=(diff.samples["missing_in_new"] + diff.samples["mismatched"])[:20],
                          message="truncated by the row budget" if diff.truncated else None,
                          details={"severity": "critical", "source": "both"})]
    checks = [with_reason(c) for c in checks]
    timings["total"] = time.perf_counter() - t0
    return CompareResult(dataset=dataset, window=SNAPSHOT_WINDOW, status=worst(c.status for c in checks),
                         totals=totals, hours=[], samples=diff.samples, timings=timings, checks=checks,
                         truncated=diff.truncated, mode="snapshot")


def _count_totals(evidence: list[dict]) -> dict:
    old = sum(r["old"] for r in evidence)
    new = sum(r["new"] for r in evidence)
    return {"old": old, "new": new, "matched": None, "mismatched": None, "missing_in_new": None,
            "extra_in_new": None, "duplicates_old": None, "duplicates_new": None,
            "drift_pct": drift_pct(old, new), "match_pct": None}


def _parse(text: str):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
