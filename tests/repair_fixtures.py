"""The repair tests' scenario: a legacy table (naive Europe/Madrid times, across the spring DST
change) and a reference table on any engine, with NULLs, a tolerance column, an exact float
column and text with quotes, backslashes, newlines and non-ASCII; and the engines' own clients
(sqlite3, psql, mariadb) to apply a repair file as an operator would."""

from __future__ import annotations

import random
import subprocess
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from rowdiff_fixtures import H, events, utc
from sqlalchemy.dialects import mysql
from timescale_fixtures import is_timescale, make_hypertable

from reconciler.demo.scenario import load, to_rows

START = utc(2026, 3, 29, 0)  # Europe/Madrid springs forward at 01:00 UTC
HOURS = 3
NASTY = ["it's", "back\\slash \\' \\\\ and a last \\", "ñandú 日本 😀 Ωmega", 'quote " and ; -- not a comment',
         "line one\nline two", "%s %% {} $1 :name", "", "tab\there", "trailing space "]
OLD_NAMES = {"id": "id", "device_id": "device", "event_type": "kind", "value": "reading", "ratio": "ratio",
             "note": "note", "time": "ts"}
NEW_NAMES = {"id": "event_id", "device_id": "device_id", "event_type": "event_type", "value": "value",
             "ratio": "ratio", "note": "note", "time": "time"}


def legacy(name: str = "legacy_fix") -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.BigInteger, nullable=False),
                    sa.Column("device", sa.String(32), nullable=False), sa.Column("kind", sa.String(32), nullable=False),
                    sa.Column("reading", sa.Float(precision=53)), sa.Column("ratio", sa.Float(precision=53)),
                    sa.Column("note", sa.Text),
                    sa.Column("ts", sa.DateTime().with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb"),
                              nullable=False, index=True))


def reference(name: str = "events_fix") -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("event_id", sa.BigInteger, nullable=False),
                    sa.Column("device_id", sa.Text, nullable=False), sa.Column("event_type", sa.Text, nullable=False),
                    sa.Column("value", sa.Float(precision=53)), sa.Column("ratio", sa.Float(precision=53)),
                    sa.Column("note", sa.Text),
                    sa.Column("time", sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql",
                                                                               "mariadb"), nullable=False, index=True))


def scenario(seed: int = 8) -> tuple[list, list, dict]:
    """(old events, new events, what was planted)."""
    rng = random.Random(seed)
    base = events(START, HOURS, rate=0.2, seed=seed)
    for i, e in enumerate(base):
        e["ratio"] = [0.1 + 0.2, 2 / 3, 1e-7, 123456789.12345679, -0.0, None][i % 6]
        e["note"] = NASTY[i % len(NASTY)] if i % 4 == 0 else (None if i % 4 == 1 else f"n{i}")
    old = {e["id"]: dict(e) for e in base}
    new = {e["id"]: dict(e) for e in base}
    ids = rng.sample(sorted(old), 40)
    missing, changed, extra = ids[:12], ids[12:30], []
    for i in missing:
        del new[i]
    for n, i in enumerate(changed):
        e = new[i]
        if n % 6 == 0:
            e["value"] = None if e["value"] is not None else 0.0
        elif n % 6 == 1:
            e["note"] = NASTY[n % len(NASTY)] + " (edited)"
        elif n % 6 == 2:
            e["ratio"] = 0.3 if e["ratio"] != 0.3 else 0.31
        elif n % 6 == 3:
            e["value"] = (e["value"] or 0.0) + 0.5
        elif n % 6 == 4:
            e["note"] = None if old[i]["note"] is not None else "'"
        else:
            e["device_id"] = e["device_id"].upper()  # a key column when the key is natural: then missing + extra
    for i in ids[30:36]:  # within the tolerance: equal, nothing to repair
        if new[i]["value"] is not None:
            new[i]["value"] += 4e-7
    next_id = max(old) + 1
    for k in range(4):
        t = START + timedelta(minutes=17 + 41 * k, milliseconds=rng.randrange(1000))
        extra.append(next_id + k)
        new[next_id + k] = {"id": next_id + k, "device_id": "dev-9000", "event_type": "motion", "value": None,
                            "ratio": 1.5, "note": NASTY[k], "time": t}
    return list(old.values()), list(new.values()), {"missing": missing, "changed": changed, "extra": extra}


def load_table(url: str, table: sa.Table, rows: list, kind: str) -> None:
    engine = sa.create_engine(url)
    try:
        table.metadata.drop_all(engine)
        table.metadata.create_all(engine)
        if is_timescale(kind):
            make_hypertable(engine, table.name, "time")
        load(engine, table, rows)
    finally:
        engine.dispose()


def load_pair(old_url: str, new_url: str, old_kind: str, new_kind: str, planted: tuple) -> None:
    old, new, _ = planted
    load_table(old_url, legacy(), to_rows(old, OLD_NAMES, zone="Europe/Madrid"), old_kind)
    load_table(new_url, reference(), to_rows(new, NEW_NAMES), new_kind)


def write_config(directory: Path, old_url: str, new_url: str, natural_key: bool = False, diff: str = "") -> Path:
    keys = ("[device, ts, kind]", "[device_id, time, event_type]") if natural_key else ("[id]", "[event_id]")
    columns = ("      device_id: {old: device}\n      event_type: {old: kind}\n" if not natural_key else "")
    path = directory / "schedule.yaml"
    path.write_text(f"""sources:
  old: {{url: "{old_url}"}}
  new: {{url: "{new_url}"}}
datasets:
  device_events:
    old: {{source: old, table: legacy_fix, time: ts, timezone: Europe/Madrid, key: {keys[0]}}}
    new: {{source: new, table: events_fix, time: time, key: {keys[1]}}}
    columns:
{columns}      value: {{old: reading, tolerance: 0.000001}}
      ratio: {{}}
      note: {{}}
{"      event_id: {old: id}" + chr(10) if natural_key else ""}    diff: {{sample_limit: 1000{diff}}}
""")
    return path


def apply_file(url: str, path: Path) -> None:
    """Run a repair file with the engine's own command-line client, stopping at the first error."""
    u = sa.engine.make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        command, stdin = ["sqlite3", "-bail", u.database], path.open("rb")
    elif backend == "postgresql":
        target = u.set(drivername="postgresql").render_as_string(hide_password=False)
        command, stdin = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target, "-f", str(path)], None
    else:
        command = ["mariadb", "--protocol=tcp", "-h", u.host, "-P", str(u.port or 3306), "-u", u.username,
                   "--default-character-set=utf8mb4", u.database]
        stdin = path.open("rb")
    try:
        done = subprocess.run(command, stdin=stdin, capture_output=True, timeout=120)
    finally:
        if stdin:
            stdin.close()
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr.decode()


WINDOW_ARGS = ["--start", "2026-03-29T00:00:00Z", "--end", "2026-03-29T03:00:00Z"]
__all__ = ["H", "START", "HOURS", "NASTY", "WINDOW_ARGS", "scenario", "load_pair", "write_config", "apply_file"]
