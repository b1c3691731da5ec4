"""`reconciler repair`: the statements that would make new equal old over a window, written to a
file and never executed. The row diff finds the differing rows (within its budget), plan.py
turns them into inserts, updates and deletes, sql.py or csvfiles.py writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.compare.sides import connected_sides
from reconciler.config.loader import LoadedConfig
from reconciler.errors import ConfigError, UsageError
from reconciler.formatting import count
from reconciler.repair.csvfiles import write_plan_csv
from reconciler.repair.plan import RepairPlan, plan_repair
from reconciler.repair.sql import plan_statements
from reconciler.timeutil import Window, iso

LISTED = 10

@dataclass(frozen=True)
class RepairResult:
    plan: RepairPlan
    paths: list[Path]
    header: list[str]

    @property
    def needed(self) -> bool:
        return self.plan.statements > 0 or bool(self.plan.ambiguous)


def _check_dataset(loaded: LoadedConfig, dataset: str) -> None:
    ds = loaded.config.datasets[dataset]
    if ds.snapshot:
        raise UsageError(f"{loaded.where('datasets', dataset, 'snapshot')}: repair covers datasets compared "
                         "hour by hour; this one is a snapshot")
    if not ds.new.table:
        raise ConfigError(f"{loaded.where('datasets', dataset, 'new', 'query')}: repair writes statements for a "
                          "table, and the new side of this dataset is a query: give it a `table`")


def header_lines(loaded: LoadedConfig, dataset: str, window: Window, plan: RepairPlan, engine: str,
                 delete_extra: bool, command: str, now: datetime) -> list[str]:
    ds = loaded.config.datasets[dataset]
    changed = ", ".join(f"{c} {count(n)}" for c, n in sorted(plan.changed_columns.items(), key=lambda cn: (-cn[1], cn[0])))
    deletes = ("DELETEs included (--delete-extra)" if delete_extra else
               "their DELETEs are commented out (give --delete-extra to include them)")
    lines = [
        f"reconciler repair: what would make new equal old in dataset {dataset}",
        f"window: [{iso(window.start)}, {iso(window.end)}) UTC, half-open",
        f"new side: source {ds.new.source!r} ({engine}), table {ds.new.table}, key [{', '.join(plan.key)}]",
        f"{count(len(plan.inserts) + len(plan.ambiguous))} rows missing in new: INSERTs with old's values"
        + (f" for {count(len(plan.inserts))} (the other {count(len(plan.ambiguous))} are not repaired: see below)"
           if plan.ambiguous else ""),
        f"{count(len(plan.updates))} changed rows: UPDATEs of the differing columns"
        + (f" ({changed})" if changed else ""),
        f"{count(len(plan.deletes))} rows extra in new: {deletes}",
        f"produced by: {command}",
        f"generated at {iso(now)}; NOTHING HERE HAS BEEN EXECUTED. Review it, then apply it to new in one "
        "transaction.",
        "Order: the DELETEs of extra rows, the UPDATEs, then the INSERTs.",
        "Columns the dataset does not compare are left out of the INSERTs: their defaults apply.",
    ]
    if plan.ambiguous:
        zone = loaded.config.datasets[dataset].old.timezone
        listed = "; ".join(f"{_key_text(k)} at {wall} {zone} ({iso(a)} or {iso(b)})"
                           for k, wall, (a, b) in plan.ambiguous[:LISTED])
        more = f"; and {count(len(plan.ambiguous) - LISTED)} more" \
            if len(plan.ambiguous) > LISTED else ""
        lines.append(f"not repaired: {count(len(plan.ambiguous))} missing rows at a local time a fall-back repeats: "
                     f"old's naive time names two UTC instants, and which one is not known: {listed}{more}")
    if plan.duplicates_old or plan.duplicates_new:
        lines.append(f"not repaired: {plan.duplicates_old} duplicate key(s) in old (the first row is used) and "
                     f"{plan.duplicates_new} in new (a DELETE by key would remove every copy)")
        for side in ("old", "new"):
            keys = plan.duplicate_keys.get(side) or []
            if keys:
                more = len(keys) > LISTED
                lines.append(f"  held twice in {side}: " + "; ".join(_key_text(k) for k in keys[:LISTED])
                             + ("; …" if more else ""))
    if plan.truncated:
        lines.append(f"TRUNCATED: the diff budget (datasets.{dataset}.diff.max_rows_fetched "
                     f"{count(ds.diff.max_rows_fetched)}, max_seconds {ds.diff.max_seconds:g}) ran out; "
                     f"{count(plan.unverified)} rows were not compared and are not repaired here: "
                     "repair a narrower window")
    if not plan.statements and not plan.ambiguous:
        lines.append("no statement to write: apart from the keys held twice, new equals old in this window"
                     if plan.duplicates_old or plan.duplicates_new else "nothing to repair: new equals old in this window")
    return lines


def _key_text(key: dict) -> str:
    return ", ".join(f"{name} {value}" for name, value in key.items())


def file_base(out_dir: Path, dataset: str, window: Window) -> Path:
    def stamp(t: datetime) -> str:
        return iso(t).replace("-", "").replace(":", "")

    return out_dir / f"repair-{dataset}-{stamp(window.start)}-{stamp(window.end)}"


def write_repair(loaded: LoadedConfig, dataset: str, window: Window, *, out_dir: Path, fmt: str = "sql",
                 delete_extra: bool = False, command: str, now: datetime, sources=None,
                 reporter=None) -> RepairResult:
    """Diff the window, plan the repair and write it under `out_dir`; nothing is executed."""
    from reconciler.compare.rowdiff.engine import diff_dataset

    _check_dataset(loaded, dataset)
    ds = loaded.config.datasets[dataset]
    with connected_sides(loaded, dataset, sources, now) as pair:
        diff = diff_dataset(ds, pair.sides, window, pair.conns, reporter=reporter)
        new = pair.sides["new"]
        dialect = new.source.engine.dialect  # initialized by the connection: it knows the server's quoting
        engine = new.source.dialect
        plan = plan_repair(diff, pair.sides["old"].axis, new.axis)
    header = header_lines(loaded, dataset, window, plan, dialect.name, delete_extra, command, now)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out_dir}: cannot create the directory: {e.strerror}") from None
    base = file_base(out_dir, dataset, window)
    if fmt == "csv":
        paths = write_plan_csv(plan, base)
        notes = base.with_name(base.name + ".txt")
        notes.write_text("".join(f"{line}\n" for line in header) + "CSV: NULL is an unquoted empty field, every "
                         "other value is quoted.\n", encoding="utf-8")
        return RepairResult(plan, [notes, *paths], header)
    path = base.with_name(base.name + ".sql")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(f"-- {line}\n" for line in header)
        out.write("BEGIN;\n")
        for statement in plan_statements(plan, ds.new.table, dialect, engine, delete_extra):
            out.write(statement + "\n")
        out.write("COMMIT;\n")
    tmp.replace(path)  # nothing half-written under the final name
    return RepairResult(plan, [path], header)
