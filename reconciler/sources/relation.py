"""SQLAlchemy Core objects for one side of a dataset: its relation, time predicate, probe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from reconciler.config.models import SideConfig
from reconciler.sources.timeaxis import TimeAxis
from reconciler.timeutil import Window


def filter_clause(sql: str, now: datetime | None = None):
    """A side's `filter:`; it may use :today (UTC date) and :now (naive UTC)."""
    now = now or datetime.now(timezone.utc)
    clause = sa.text(f"({sql})")
    binds = {k: v for k, v in (("today", now.date()), ("now", now.replace(tzinfo=None))) if f":{k}" in sql}
    return clause.bindparams(**binds) if binds else clause


@dataclass(frozen=True)
class SideRelation:
    side: SideConfig
    relation: sa.FromClause
    now: datetime | None = None  # the run's clock, for :today / :now in the side's filter

    @classmethod
    def build(cls, side: SideConfig, columns: list[str], now: datetime | None = None) -> "SideRelation":
        names = list(dict.fromkeys([side.time, *side.key, *columns]))
        cols = [sa.column(c) for c in names]
        if side.table:
            schema, _, table = side.table.rpartition(".")
            rel = sa.table(table, *cols, schema=schema or None)
        else:
            rel = sa.text(side.query).columns(*cols).subquery("q")
        return cls(side, rel, now)

    def col(self, name: str):
        return self.relation.c[name]

    @property
    def time(self):
        return self.relation.c[self.side.time]

    def where(self, axis: TimeAxis, window: Window, prefix: str = "w") -> list:
        """The window as a comparison of the raw time column with bound parameters."""
        conds = [
            self.time >= sa.bindparam(f"{prefix}_start", axis.bound(window.start)),
            self.time < sa.bindparam(f"{prefix}_end", axis.bound(window.end)),
        ]
        if self.side.filter:
            conds.append(filter_clause(self.side.filter, self.now))
        return conds

    def probe_time(self, conn, zone_name: str) -> TimeAxis:
        """Learn how the time column is stored from one non-null value."""
        stmt = sa.select(self.time).where(self.time.isnot(None)).limit(1)
        sample = conn.execute(stmt).scalar()
        return TimeAxis.from_sample(sample, zone_name)

    def column_names(self, conn) -> list[str]:
        """The relation's real column names (raises if the table or query is broken)."""
        if self.side.table:
            schema, _, table = self.side.table.rpartition(".")
            stmt = sa.select(sa.text("*")).select_from(sa.table(table, schema=schema or None)).where(sa.false())
        else:
            stmt = sa.select(sa.text("*")).select_from(sa.text(f"({self.side.query}) AS q")).where(sa.false())
        return list(conn.execute(stmt).keys())
