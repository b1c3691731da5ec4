"""Relational integrity rules: plain SQL files whose SELECT returns the violating rows.

A rule file starts with comment lines of the form `-- key: value` (continuation lines
are indented comments) and then holds one SELECT:

    -- description: Two non-cancelled bookings of one property whose stays intersect.
    -- severity: critical
    -- key: booking_id, other_booking_id      (optional, see below; `identity:` is its older name)
    SELECT ...

Any other header key is an error (a typo such as `severty:` must not pass silently).
`NAME.SOURCE.sql` beside `NAME.sql` is the rule's SQL for the source named SOURCE (a legacy
schema with other table and column names); it returns the same columns and may carry only
a `description:` header. A rule with variants must declare its `key:`.

The runner binds `:today` (the run's UTC date) and `:now` (naive UTC datetime) where
the SQL uses them, so tests freeze the clock by passing it in.

Run on one side, a rule fails when it returns rows and its severity is `critical`; a
`warning` rule with rows passes, with the count in `violations` and a `message`.

Run on old and new ("both"), the violation sets are compared. A violation's identity is
its whole row (or the columns listed under `key:`), normalized so the same row
read from MariaDB, PostgreSQL or SQLite compares equal: dates and datetimes as ISO text
(aware ones in UTC, midnight as the bare date), Decimals as int or float, datetime-like
SQLite text parsed. Rows selected by a rule should therefore hold no volatile column
(updated_at...). Violations only in new are `new` (a migration regression, severity
critical); those also in old are `inherited` (a pre-existing data problem, severity
warning); those only in old are counted as `resolved`. The rule FAILS only when the
new system has a `new` violation: the question this mode answers is "did the migration
make anything worse?", and a gate that failed on problems the old system already had
could never turn green while they are being fixed. Inherited violations are still
counted, sampled and named in `message`, and one-side runs report them in full.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Date, DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from reconciler.errors import ConfigError, SourceError, UsageError, did_you_mean
from reconciler.results import DEFAULT_SAMPLE_LIMIT, ERROR, FAIL, PASS, CheckResult, jsonable, worst
from reconciler.thresholds import Threshold

SEVERITIES = ("critical", "warning")
_HEADER = re.compile(r"^--\s*([A-Za-z_]+)\s*:\s*(.*)$")
_CONTINUATION = re.compile(r"^--\s{2,}(\S.*)$")
_DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


HEADER_KEYS = ("description", "severity", "key", "identity", "noun")  # identity: the older name of key
VARIANT_HEADER_KEYS = ("description",)


@dataclass(frozen=True)
class Variant:
    """The rule's SQL for one source, from `NAME.SOURCE.sql` beside the portable `NAME.sql`."""

    source: str
    path: Path
    sql: str


@dataclass(frozen=True)
class Rule:
    name: str
    path: Path
    description: str
    severity: str
    sql: str
    identity: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    noun: str = ""   # what one row is, "singular / plural": "overlapping pair / overlapping pairs"

    def variant(self, side: str) -> Variant | None:
        return next((v for v in self.variants if v.source == side), None)

    def sql_for(self, side: str) -> tuple[Path, str]:
        """(file, SQL) the rule runs on source `side`: its variant there, else the portable one."""
        v = self.variant(side)
        return (v.path, v.sql) if v else (self.path, self.sql)


def _split_header(path: Path, allowed: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """The `-- key: value` header (unknown keys are errors) and the SQL, header lines blanked
    so that line numbers in the database's messages still match the file."""
    source = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    key = None
    lines = source.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        lines[number] = ""
        if (m := _CONTINUATION.match(stripped)) and key:
            header[key] += " " + m.group(1).strip()
        elif m := _HEADER.match(stripped):
            key = m.group(1).lower()
            if key not in allowed:
                raise ConfigError(f"unknown header key {m.group(1)!r} (known: {', '.join(allowed)})"
                                  f"{did_you_mean(key, allowed)}", file=f"{path}:{number + 1}")
            header[key] = m.group(2).strip()
    return header, "\n".join(lines).rstrip().rstrip(";").rstrip()


def parse_rule(path: Path, variants: tuple[Variant, ...] = ()) -> Rule:
    header, sql = _split_header(path, HEADER_KEYS)
    severity = header.get("severity", "critical").lower()
    if severity not in SEVERITIES:
        raise ConfigError(f"severity: {severity!r} is not one of {', '.join(SEVERITIES)}", file=str(path))
    if "key" in header and "identity" in header:
        raise ConfigError("give 'key' or its older name 'identity', not both", file=str(path))
    columns = header.get("key", header.get("identity", ""))
    identity = tuple(c.strip().lower() for c in columns.split(",") if c.strip())
    if variants and not identity:
        raise ConfigError(
            f"this rule has per-source variants ({', '.join(v.path.name for v in variants)}): declare the "
            "columns that identify a violation on every side with a header line such as `-- key: booking_id`",
            file=str(path))
    return Rule(path.stem, path, header.get("description", ""), severity, sql, identity, variants,
                header.get("noun", ""))


def parse_variant(path: Path) -> Variant:
    _, sql = _split_header(path, VARIANT_HEADER_KEYS)
    return Variant(path.name.split(".")[-2], path, sql)


def load_rules(path: str | Path) -> list[Rule]:
    """Every rule of a directory (sorted by name), or one file. `NAME.sql` is a rule and
    `NAME.SOURCE.sql` beside it that rule's SQL for the source named SOURCE."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.sql"))
        if not files:
            raise ConfigError(f"no *.sql rule files in {path}/", file=str(path))
        portable = [f for f in files if "." not in f.stem]
        names = {f.stem for f in portable}
        variants: dict[str, list[Variant]] = {}
        for f in files:
            if "." in f.stem:
                rule_name = f.stem.split(".")[0]
                if rule_name not in names or f.stem.count(".") != 1:
                    raise ConfigError(
                        f"a per-source variant is named RULE.SOURCE.sql beside RULE.sql, and there is no "
                        f"{rule_name}.sql{did_you_mean(rule_name, names)}", file=str(f))
                variants.setdefault(rule_name, []).append(parse_variant(f))
        return [parse_rule(f, tuple(variants.get(f.stem, ()))) for f in portable]
    if path.is_file():
        return [parse_rule(path)]
    raise ConfigError("rules path does not exist (expected a directory of .sql files or one .sql file)",
                      file=str(path))


def with_severities(rules: list[Rule], overrides: dict[str, str]) -> list[Rule]:
    """The rules with schedule.yaml's `severity_overrides` applied."""
    return [replace(r, severity=overrides[r.name]) if r.name in overrides else r for r in rules]


def select_rules(rules: list[Rule], names) -> list[Rule]:
    """The rules named (all when none are), in the order given; unknown names are a UsageError."""
    if not names:
        return list(rules)
    by_name = {r.name: r for r in rules}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UsageError(f"unknown rule {', '.join(map(repr, unknown))}; known rules: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def normalize_value(value: Any, midnight_as_date: bool = True) -> Any:
    """One engine-independent, hashable form of a value read from any source."""
    if isinstance(value, datetime):
        if value.tzinfo:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        if midnight_as_date and value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and _DATETIME_TEXT.match(value):
        return normalize_value(datetime.fromisoformat(value), midnight_as_date)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def violation_identity(row: dict, columns: tuple[str, ...] = ()) -> tuple:
    keys = columns or tuple(row)
    return tuple(normalize_value(row.get(k)) for k in keys)


@dataclass(frozen=True)
class Classified:
    new: list[dict]
    inherited: list[dict]
    resolved: int


def classify(old_rows: list[dict], new_rows: list[dict], identity: tuple[str, ...] = ()) -> Classified:
    """Split the new system's violations into new and inherited (multiset semantics:
    two identical rows in new and one in old are one inherited, one new)."""
    unmatched_old = Counter(violation_identity(r, identity) for r in old_rows)
    new, inherited = [], []
    for row in new_rows:
        key = violation_identity(row, identity)
        if unmatched_old[key] > 0:
            unmatched_old[key] -= 1
            inherited.append(row)
        else:
            new.append(row)
    return Classified(new, inherited, sum(unmatched_old.values()))


def sample(row: dict) -> dict:
    return {k: jsonable(normalize_value(v, midnight_as_date=False)) for k, v in row.items()}


class RuleFailure(Exception):
    """A rule's SQL could not run; the message names the file and the database's error."""


def _statement(sql: str, params: dict):
    clause = text(sql)
    types = {"today": Date(), "now": DateTime()}
    used = clause.compile().params
    binds = [bindparam(k, v, type_=types.get(k)) for k, v in params.items() if k in used]
    return clause.bindparams(*binds) if binds else clause


def _db_error(exc: SQLAlchemyError) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    message = " ".join(str(original).split())
    return message[:500]


_MISSING_TABLE = (
    re.compile(r'relation "([^"]+)" does not exist'),                # PostgreSQL
    re.compile(r"Table '(?:[^'.]+\.)?([^']+)' doesn't exist"),        # MariaDB / MySQL
    re.compile(r"no such table: (\S+)"),                             # SQLite
)


def _missing_table(message: str) -> str | None:
    for pattern in _MISSING_TABLE:
        if m := pattern.search(message):
            return m.group(1)
    return None


def fetch_violations(conn: Connection, rule: Rule, params: dict, side: str = "new") -> list[dict]:
    """All rows of the rule on source `side` (its variant there, if it has one), inside a
    savepoint so a failing rule leaves `conn` usable."""
    path, sql = rule.sql_for(side)
    try:
        with conn.begin_nested():
            result = conn.execute(_statement(sql, params))
            return [{k.lower(): v for k, v in row.items()} for row in result.mappings()]
    except SQLAlchemyError as exc:
        message = _db_error(exc)
        table = _missing_table(message)
        if table:
            hint = (f"the rule expects the reference booking schema of docs/rules.md; for another schema "
                    f"add {rule.name}.{side}.sql beside it" if not rule.variant(side) else "")
            raise RuleFailure(f"{path}: table {table} does not exist on source {side!r}"
                              f"{' (' + hint + ')' if hint else ''}: {message}") from exc
        raise RuleFailure(f"{path}: {message}") from exc


def _details(rule: Rule, source: str, severity: str, new=None, inherited=None, resolved=None) -> dict:
    return {"severity": severity, "source": source, "description": rule.description, "noun": rule.noun or None,
            "file": str(rule.path), "new": new, "inherited": inherited, "resolved": resolved}


def _error(rule: Rule, source: str, message: str) -> CheckResult:
    return CheckResult(check=rule.name, status=ERROR, message=message,
                       details=_details(rule, source, rule.severity))


def _one_side(rule: Rule, side: str, rows: list[dict], sample_limit: int) -> CheckResult:
    status, message = PASS, None
    if rows and rule.severity == "critical":
        status = FAIL
    elif rows:
        message = f"{len(rows)} violation(s) of a warning rule on {side}"
    return CheckResult(check=rule.name, status=status, observed=len(rows), threshold=Threshold.at_most(0, "violations"),
                       violations=len(rows), samples=[sample(r) for r in rows[:sample_limit]],
                       message=message, details=_details(rule, side, rule.severity))


def _both_sides(rule: Rule, old_rows: list[dict], new_rows: list[dict], sample_limit: int) -> CheckResult:
    split = classify(old_rows, new_rows, rule.identity)
    tagged = ([{"classification": "new", **r} for r in split.new]
              + [{"classification": "inherited", **r} for r in split.inherited])
    status = FAIL if split.new else PASS
    severity = "critical" if split.new else ("warning" if split.inherited else rule.severity)
    message = None
    if split.inherited:
        message = (f"{len(split.inherited)} inherited violation(s) also present in old (warning); "
                   f"{len(split.new)} new")
    # observed is what the threshold bounds: the new violations; `violations` counts every row
    # of the new side (the inherited too), as the samples and the alert's items do
    return CheckResult(check=rule.name, status=status, observed=len(split.new),
                       threshold=Threshold.at_most(0, "new violations"),
                       violations=len(new_rows), samples=[sample(r) for r in tagged[:sample_limit]],
                       message=message,
                       details=_details(rule, "both", severity, len(split.new), len(split.inherited),
                                        split.resolved))


Connectable = Engine | Connection | Callable[[], Any]


@contextmanager
def _connect(side: str, target: Connectable):
    with ExitStack() as stack:
        if isinstance(target, Connection):
            conn = target
        else:
            try:
                conn = stack.enter_context(target.connect() if isinstance(target, Engine) else target())
            except SQLAlchemyError as exc:
                raise SourceError(f"could not connect to source {side!r}: {_db_error(exc)}") from exc
        started_here = not conn.in_transaction()
        try:
            yield conn
        finally:
            if started_here and conn.in_transaction():
                conn.rollback()


def _rows_per_side(rules, connections, sides, params) -> dict[str, dict[str, list | RuleFailure]]:
    out: dict[str, dict] = {}
    for side in sides:
        if side not in connections:
            raise UsageError(f"no connection for source {side!r} (have: {', '.join(connections)})")
        out[side] = {}
        with _connect(side, connections[side]) as conn:
            for rule in rules:
                try:
                    out[side][rule.name] = fetch_violations(conn, rule, params, side)
                except RuleFailure as exc:
                    out[side][rule.name] = exc
    return out


def _combine(rule: Rule, per_side: dict, sides: tuple, sample_limit: int) -> CheckResult:
    failures = [f"{side}: {per_side[side][rule.name]}" for side in sides
                if isinstance(per_side[side][rule.name], RuleFailure)]
    source = "both" if len(sides) > 1 else sides[0]
    if failures:
        return _error(rule, source, "; ".join(failures))
    missing = [f"{side}: {rule.sql_for(side)[0]} returns no column {c!r} (its key)" for side in sides
               for c in rule.identity if per_side[side][rule.name] and c not in per_side[side][rule.name][0]]
    if missing:
        return _error(rule, source, "; ".join(missing))
    if len(sides) == 1:
        return _one_side(rule, sides[0], per_side[sides[0]][rule.name], sample_limit)
    return _both_sides(rule, per_side["old"][rule.name], per_side["new"][rule.name], sample_limit)


def run_rules(rules: list[Rule], connections: dict[str, Connectable], sides=("new",),
              today: date | None = None, now: datetime | None = None,
              sample_limit: int = DEFAULT_SAMPLE_LIMIT) -> list[CheckResult]:
    """Run every rule on each side (one connection per side) and return one result per rule.

    `connections` maps a side name to an Engine, a Connection or a callable returning a
    connection context manager (e.g. `Source.connect`). `sides` is ("new",), ("old",) or
    ("old", "new") for the comparison described in the module docstring. A rule whose SQL
    fails gets status `error`; the others still run. An unreachable source is a SourceError.
    """
    sides = tuple(sides)
    if len(sides) > 1 and set(sides) != {"old", "new"}:
        raise UsageError(f"sides must be one source or old and new, not {', '.join(sides)}")
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    if now.tzinfo:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    params = {"today": today or now.date(), "now": now}
    per_side = _rows_per_side(rules, connections, sides, params)
    return [_combine(rule, per_side, sides, sample_limit) for rule in rules]


def rules_to_json(results: list[CheckResult]) -> dict:
    """DESIGN.md's JSON of `reconciler check`: overall status and one entry per rule."""
    rules = []
    for r in results:
        d = r.details or {}
        rules.append({"rule": r.check, "status": r.status, "reason": r.reason, "violations": r.violations,
                      "severity": d.get("severity"), "source": d.get("source"),
                      "new": d.get("new"), "inherited": d.get("inherited"),
                      "message": r.message, "file": d.get("file"), "samples": jsonable(r.samples)})
    return {"status": worst(r.status for r in results), "rules": rules}
