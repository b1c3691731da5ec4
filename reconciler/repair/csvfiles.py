"""A repair plan as CSV for a loader: the rows to insert (new's columns), the values to update
(one line per key and column) and the keys of the extra rows. NULL is an unquoted empty
field and every other value is quoted, so an empty string stays distinguishable (PostgreSQL's
`COPY ... (FORMAT csv)` reads them so)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reconciler.repair.plan import RepairPlan


def field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ", timespec="microseconds")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return '"' + text.replace('"', '""') + '"'


def line(values) -> str:
    return ",".join(field(v) for v in values) + "\n"


def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(field(h) for h in header) + "\n")
        for row in rows:
            out.write(line(row))


def write_plan_csv(plan: RepairPlan, base: Path) -> list[Path]:
    """BASE-insert.csv, BASE-update.csv, BASE-delete.csv (the last one lists the extra rows
    whatever --delete-extra says: a loader decides what to do with them)."""
    paths = [base.with_name(base.name + f"-{part}.csv") for part in ("insert", "update", "delete")]
    write_csv(paths[0], plan.columns, ([row.get(c) for c in plan.columns] for row in plan.inserts))
    write_csv(paths[1], [*plan.key, "column", "value"],
              ([*key.values(), column, value] for key, values in plan.updates for column, value in values.items()))
    write_csv(paths[2], plan.key, (list(key.values()) for key in plan.deletes))
    return paths
