"""A repair plan as SQL for the new side's engine: SQLAlchemy's compiler renders every literal
for that dialect (quotes doubled, backslashes escaped where the server treats them as escapes,
times with or without their offset), nothing is written by hand."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import sqlalchemy as sa

from reconciler.repair.plan import RepairPlan
from reconciler.repair.values import literal_type

INSERT_ROWS = 100  # rows per INSERT statement


def target_table(name: str, columns: list[str]) -> sa.TableClause:
    schema, _, table = name.rpartition(".")
    return sa.table(table, *[sa.column(c) for c in columns], schema=schema or None)


def literal(value):
    if isinstance(value, UUID):  # its canonical text: a uuid column takes it, a CHAR(36) column holds it
        value = str(value)
    return sa.null() if value is None else sa.literal(value, literal_type(value))


def render(statement, dialect) -> str:
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) + ";"


def _where(table: sa.TableClause, key: dict, engine) -> list:
    def equal(column, value):
        if value is None:
            return column.is_(None)
        return engine.exact_equal(column, literal(value)) if isinstance(value, str) else column == literal(value)

    return [equal(table.c[k], v) for k, v in key.items()]


def plan_statements(plan: RepairPlan, table_name: str, dialect, engine, delete_extra: bool) -> Iterator[str]:
    """The DELETEs of the extra rows first (commented out unless `delete_extra`), so that a row
    re-inserted under a key a collation finds equal is not deleted again; then the UPDATEs of
    the changed columns and the INSERTs of the missing rows. `dialect`: SQLAlchemy's, connected
    (it knows how the server quotes); `engine`: ours (reconciler.dialects)."""
    columns = list(dict.fromkeys([*plan.columns, *plan.key]))
    table = target_table(table_name, columns)
    for key in plan.deletes:
        text = render(sa.delete(table).where(*_where(table, key, engine)), dialect)
        yield text if delete_extra else "\n".join(f"-- {line}" for line in text.split("\n"))
    for key, values in plan.updates:
        yield render(sa.update(table).where(*_where(table, key, engine))
                     .values({c: literal(v) for c, v in values.items()}), dialect)
    for start in range(0, len(plan.inserts), INSERT_ROWS):
        rows = [{c: literal(v) for c, v in row.items()} for row in plan.inserts[start:start + INSERT_ROWS]]
        yield render(sa.insert(table).values(rows), dialect)
