"""Great Expectations suites from expectations/*.json, validated in an ephemeral, offline
context. GX types stay inside this module: callers get CheckResults."""

from __future__ import annotations

import json
import os
import sys
import threading
import warnings
from dataclasses import replace
from pathlib import Path

from reconciler.deferred_import import defer
from reconciler.errors import ConfigError, first_line
from reconciler.results import DEFAULT_SAMPLE_LIMIT, ERROR, FAIL, PASS, SKIPPED, CheckResult
from reconciler.thresholds import Threshold, unit_of_column, value_set_words
from reconciler.timeutil import Window

_context = None
_context_lock = threading.Lock()
_import_thread: threading.Thread | None = None


def preload() -> None:
    """Start importing Great Expectations and making its context (~4 s of CPU) while the
    databases work: the import holds the interpreter, but waiting on a database does not.
    On Linux the thread runs at a lower priority, so the databases keep the CPU they need
    when they share the machine, and the import takes what they leave."""
    global _import_thread
    if _import_thread is None:
        def _prepare():
            if sys.platform == "linux":
                try:
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # this thread only
                except OSError:
                    pass
            try:
                _gx()
            except Exception:
                pass  # the real call in _gx() reports it

        _import_thread = threading.Thread(target=_prepare, name="gx-import", daemon=True)
        _import_thread.start()


# imported by Great Expectations at load time, used only by expectations our suites lack
_DEFERRED = ("altair", "scipy.stats")


def _import_gx():
    defer(*_DEFERRED)
    import great_expectations

    return great_expectations


def _gx():
    global _context
    with _context_lock:
        if _context is None:
            import logging

            gx = _import_gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            for name in list(logging.root.manager.loggerDict):
                if name.startswith("great_expectations"):
                    logging.getLogger(name).setLevel(logging.WARNING)

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            ctx.data_sources.add_pandas("evidence")
            _context = ctx
        return _context


def load_suite(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: suite file not found") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(f"{path}: expected a Great Expectations suite with an 'expectations' list")
    for i, exp in enumerate(data["expectations"]):
        if not isinstance(exp, dict) or "type" not in exp or not isinstance(exp.get("kwargs", {}), dict):
            raise ConfigError(f"{path}: expectations.{i}: needs 'type' and 'kwargs'")
    data.setdefault("name", Path(path).stem)
    return data


def _columns_used(kwargs: dict) -> set[str]:
    cols = {kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)}
    cols.update(c for c in kwargs.get("column_list", []) if isinstance(c, str))
    cond = kwargs.get("row_condition")
    if isinstance(cond, dict) and isinstance(cond.get("column"), dict):
        cols.add(cond["column"].get("name"))
    return cols


def check_name(suite_name: str, exp: dict) -> str:
    meta = exp.get("meta") or {}
    if meta.get("check"):
        return str(meta["check"])
    column = (exp.get("kwargs") or {}).get("column", "")
    return f"{suite_name}.{exp['type'].removeprefix('expect_')}" + (f".{column}" if column else "")


EXPECTATION_TEXT = {"expect_column_values_to_not_be_null": "not null",
                    "expect_column_values_to_be_unique": "unique"}


def _pair_text(kwargs: dict) -> str | None:
    a, b = kwargs.get("column_A"), kwargs.get("column_B")
    if not (isinstance(a, str) and isinstance(b, str)):
        return None
    return f"{a} {'≥' if kwargs.get('or_equal') else '>'} {b}"


def _threshold(kwargs: dict, expectation: str | None = None) -> Threshold:
    value_set = kwargs.get("value_set")
    text = EXPECTATION_TEXT.get(expectation or "") or value_set_words(kwargs.get("column"), value_set)
    if expectation == "expect_column_pair_values_a_to_be_greater_than_b":
        text = _pair_text(kwargs)
    return Threshold(text=text, min=kwargs.get("min_value"), max=kwargs.get("max_value"),
                     unit=unit_of_column(kwargs.get("column")), strict_min=bool(kwargs.get("strict_min")),
                     strict_max=bool(kwargs.get("strict_max")),
                     value_set=tuple(value_set) if isinstance(value_set, list) else None,
                     regex=kwargs.get("regex"), mostly=kwargs.get("mostly"))


def validate_frame(suite_path: Path, frame, window: Window | None = None, index_column: str = "hour",
                   sample_limit: int = DEFAULT_SAMPLE_LIMIT) -> list[CheckResult]:
    """One CheckResult per expectation. Expectations on columns the frame lacks (row
    columns in a counts-only run) are reported as skipped, not passed."""
    suite_data = load_suite(suite_path)
    name = suite_data["name"]
    present = set(frame.columns)
    runnable, results = [], {}
    for i, exp in enumerate(suite_data["expectations"]):
        missing = _columns_used(exp.get("kwargs", {})) - present
        if missing:
            results[i] = CheckResult(
                check_name(name, exp), SKIPPED, threshold=_threshold(exp.get("kwargs", {}), exp["type"]), window=window,
                message=f"evidence has no column {', '.join(sorted(missing))}", details={"suite": name},
            )
        else:
            runnable.append((i, exp))
    if runnable:
        for (i, exp), res in zip(runnable, _run(name, [e for _, e in runnable], frame, index_column)):
            results[i] = _to_result(name, exp, res, window, index_column, sample_limit)
    return [results[i] for i in sorted(results)]


def validate_table(suite_path: Path, url: str, table: str, window: Window | None = None, index_column: str = "id",
                   sample_limit: int = DEFAULT_SAMPLE_LIMIT) -> list[CheckResult]:
    """Validate a suite against database tables through GX's SQL data source, so the
    database does the work. An expectation may name another table in `meta.table`."""
    suite_data = load_suite(suite_path)
    by_table: dict[str, list] = {}
    for i, exp in enumerate(suite_data["expectations"]):
        by_table.setdefault((exp.get("meta") or {}).get("table", table), []).append((i, exp))
    results = {}
    for target, items in by_table.items():
        key = (items[0][1].get("meta") or {}).get("index_column", index_column)
        try:
            outcome = _run_sql(suite_data["name"], url, target, [e for _, e in items], key)
        except Exception as e:  # GX wraps driver errors in many ways; report, do not crash
            outcome = [e] * len(items)
        for (i, exp), res in zip(items, outcome):
            if isinstance(res, Exception):
                results[i] = CheckResult(check_name(suite_data["name"], exp), ERROR, window=window,
                                         message=f"{target}: {first_line(res)[:300]}",
                                         details={"suite": suite_data["name"], "table": target})
            else:
                result = _to_result(suite_data["name"], exp, res, window, key, sample_limit)
                results[i] = replace(result, details={**result.details, "table": target})
    return [_without_secrets(results[i], url) for i in sorted(results)]


def _without_secrets(result: CheckResult, url: str) -> CheckResult:
    """GX repeats its connection string in some error texts: never let the password through."""
    from reconciler.redact import scrub

    return replace(result, message=scrub(result.message, url)) if result.message else result


def _run_sql(name: str, url: str, table: str, expectations: list[dict], index_column: str) -> list:
    import great_expectations as gx

    from reconciler.sources.connection import read_only_url, safe_url

    ctx = _gx()
    with _context_lock, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*more specific .*Datasource may be more appropriate")
        source_name = f"sql_{abs(hash(safe_url(url)))}"
        try:
            source = ctx.data_sources.get(source_name)
        except (KeyError, LookupError, ValueError):
            source = ctx.data_sources.add_sql(source_name, connection_string=read_only_url(url))
        asset_name = f"{name}_{table}"
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            schema, _, bare = table.rpartition(".")
            where = {"schema_name": schema} if schema else {}
            asset = source.add_table_asset(asset_name, table_name=bare, **where)
        try:
            batch_def = asset.get_batch_definition("all")
        except (KeyError, LookupError):
            batch_def = asset.add_batch_definition_whole_table("all")
        suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=f"{name}_{table}", expectations=expectations))
        fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]}
        validation = batch_def.get_batch().validate(suite, result_format=fmt)
    by_id = {r.expectation_config.id: r for r in validation.results}
    return [by_id.get(e.id) for e in suite.expectations]


def _run(name: str, expectations: list[dict], frame, index_column: str) -> list:
    import great_expectations as gx

    ctx = _gx()
    with _context_lock:
        suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        source = ctx.data_sources.get("evidence")
        asset_name = f"frame_{name}"
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_dataframe_asset(name=asset_name)
        try:
            batch_def = asset.get_batch_definition("all")
        except (KeyError, LookupError):
            batch_def = asset.add_batch_definition_whole_dataframe("all")
        fmt = {"result_format": "COMPLETE"}
        if index_column in frame.columns:
            fmt["unexpected_index_column_names"] = [index_column]
        validation = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format=fmt)
    by_id = {r.expectation_config.id: r for r in validation.results}
    return [by_id.get(e.id) for e in suite.expectations]


OPERATORS = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", "IN": "in", "NOT_IN": "not in"}


def condition_text(cond) -> str | None:
    """An expectation's `row_condition` as a person reads it: {"type": "comparison", "column":
    {"name": "old"}, "operator": ">", "parameter": 0} -> "old > 0". It says which rows the
    expectation judged: a reason must not claim the others."""
    if cond is None or cond == "":
        return None
    if isinstance(cond, str):
        return cond.strip()
    if not isinstance(cond, dict):
        return str(cond)
    column = cond.get("column")
    name = column.get("name") if isinstance(column, dict) else column
    kind = cond.get("type")
    if kind == "comparison":
        value = cond.get("parameter")
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{name} {OPERATORS.get(cond.get('operator'), cond.get('operator'))} {shown}"
    if kind == "nullity":
        return f"{name} {'is' if cond.get('is_null') else 'is not'} null"
    if kind in ("and", "or") and isinstance(cond.get("conditions"), list):
        return f" {kind} ".join(condition_text(c) or "?" for c in cond["conditions"])
    return str(cond)


def _to_result(suite_name, exp, res, window, index_column, sample_limit) -> CheckResult:
    kwargs = exp.get("kwargs", {})
    check = check_name(suite_name, exp)
    details = {"suite": suite_name, "expectation": exp["type"], "column": kwargs.get("column")}
    if condition_text(kwargs.get("row_condition")):
        details["condition"] = condition_text(kwargs.get("row_condition"))
    info = (res.exception_info or {}) if res is not None else {}
    if res is None or info.get("raised_exception"):
        message = info.get("exception_message") or "expectation did not run"
        return CheckResult(check, ERROR, threshold=_threshold(kwargs, exp["type"]), window=window, message=message,
                           details=details)
    result = res.result or {}
    unexpected = int(result.get("unexpected_count") or 0)
    unexpected_rows = result.get("unexpected_index_list") or []
    samples = [dict(row) if isinstance(row, dict) else {"index": row} for row in unexpected_rows[:sample_limit]]
    details["unexpected_index"] = [row.get(index_column) for row in unexpected_rows if isinstance(row, dict)]
    observed = result.get("observed_value")
    if observed is None:
        observed = {"unexpected": unexpected, "of": result.get("element_count")}
    return CheckResult(check, PASS if res.success else FAIL, observed=observed, threshold=_threshold(kwargs, exp["type"]),
                       violations=unexpected, samples=samples, window=window, details=details)


def failing_indexes(results: list[CheckResult], index_column: str = "hour") -> set:
    """Values of the index column that any failed expectation flagged."""
    out = set()
    for r in results:
        if r.status == FAIL:
            out.update(r.details.get("unexpected_index") or [s.get(index_column) for s in r.samples])
    return out
