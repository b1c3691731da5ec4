"""Both sides of a dataset, opened for one comparison: source, relation and time axis,
checked against the database and connected in parallel."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from reconciler.config.loader import LoadedConfig
from reconciler.errors import ConfigError, first_line
from reconciler.sources.connection import Source, classify_query_error, is_unavailable, opened_sources
from reconciler.sources.relation import SideRelation, filter_clause
from reconciler.sources.timeaxis import TimeAxis


@dataclass
class Side:
    """One side of a dataset, opened: its source, relation and time axis."""

    name: str
    source: Source
    rel: SideRelation
    axis: TimeAxis | None = None


@dataclass(frozen=True)
class ConnectedSides:
    """Both sides prepared, each with its own open connection."""

    sides: dict[str, Side]
    conns: dict
    connect_seconds: float


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


def _wanted_columns(loaded: LoadedConfig, dataset: str, side: Side) -> list[tuple[tuple, str]]:
    """(config key path, column) for every column the comparison reads on this side."""
    cfg = side.rel.side
    wanted = [(("datasets", dataset, side.name, "time"), cfg.time)]
    wanted += [(("datasets", dataset, side.name, "key"), k) for k in cfg.key]
    ds = loaded.config.datasets[dataset]
    for old, new, settings in ds.column_pairs():
        if side.name == "new":
            wanted.append((("datasets", dataset, "columns", new), new))
        else:
            path = ("datasets", dataset, "columns", new) + (("old",) if settings.old else ())
            wanted.append((path, old))
    compared = {new for _, new, _ in ds.column_pairs()} | set(ds.new.key) | {ds.new.time}
    # an attribute_by column that is not compared is read under its own name on both sides
    wanted += [(("datasets", dataset, "attribute_by"), name) for name in ds.attribute_by or () if name not in compared]
    return wanted


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
    problems = [f"{loaded.where(*path)}: column {column!r} does not exist in {cfg.relation} "
                f"of source {cfg.source!r} (columns: {', '.join(present)})"
                for path, column in _wanted_columns(loaded, dataset, side) if column.lower() not in lowered]
    if problems:
        raise ConfigError(problems)
    if cfg.filter:
        _check_filter(loaded, dataset, side, conn)
    side.axis = side.rel.probe_time(conn, cfg.timezone)


def _check_filter(loaded: LoadedConfig, dataset: str, side: Side, conn) -> None:
    """Run the side's filter on no rows: a mistake in it is the config's (exit 2), not an
    unreachable source's. `1 = 0` is text so that SQLAlchemy keeps the filter in the statement."""
    cfg = side.rel.side
    stmt = (sa.select(sa.literal(1)).select_from(side.rel.relation)
            .where(filter_clause(cfg.filter, side.rel.now), sa.text("1 = 0")))
    try:
        conn.execute(stmt).all()
    except DBAPIError as e:
        if is_unavailable(e):
            raise classify_query_error(side.source, e) from None
        conn.rollback()
        raise ConfigError(f"{loaded.where('datasets', dataset, side.name, 'filter')}: cannot be run on "
                          f"{cfg.relation} in source {cfg.source!r}: {first_line(e)}") from None


@contextmanager
def connected_sides(loaded: LoadedConfig, dataset: str, sources: dict[str, Source] | None = None,
                    now: datetime | None = None):
    """Both sides opened, checked and connected at once (the sources are opened here when
    not given); the connections close at the end of the block."""
    loaded.require_sources(loaded.dataset_sources(dataset))  # both sides usable, before either is read
    with ExitStack() as stack:
        if sources is None:
            sources = stack.enter_context(opened_sources(loaded))
        sides = open_sides(loaded, dataset, sources, now)

        def connect(side: Side):
            started = time.perf_counter()
            conn = stack.enter_context(side.source.connect())
            prepare_side(loaded, dataset, side, conn)
            return conn, time.perf_counter() - started

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {name: pool.submit(connect, side) for name, side in sides.items()}
            opened = {name: f.result() for name, f in futures.items()}
        yield ConnectedSides(sides, {name: c for name, (c, _) in opened.items()},
                             max(t for _, t in opened.values()))
