"""`reconciler repair` writes what makes new equal old: applied with the new engine's own client
to the new side, the next comparison matches 100 %. On every engine as the new side (SQLite,
MariaDB, PostgreSQL, TimescaleDB), keyed by an id and by a natural key holding the time, with
NULLs, a tolerance column, an exact float column, naive Europe/Madrid times across a DST
change and text with quotes, backslashes, newlines and non-ASCII."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from repair_fixtures import HOURS, START, WINDOW_ARGS, apply_file, load_pair, scenario, write_config
from rowdiff_fixtures import H, server_url
from test_cli_compare import run

from reconciler.checks.judgement import compare_dataset
from reconciler.config import load_config
from reconciler.timeutil import Window

WINDOW = Window(START, START + HOURS * H)
PAIRS = [("mariadb", "sqlite"), ("sqlite", "mariadb"), ("mariadb", "postgresql"), ("postgresql", "timescaledb")]
DIFFERENCES = ("mismatched", "missing_in_new", "extra_in_new", "duplicates_old", "duplicates_new")


@pytest.fixture(scope="module")
def planted():
    return scenario()


def differences(result) -> dict:
    return {k: result.totals[k] for k in DIFFERENCES}


@pytest.fixture(params=[(pair, natural) for pair in PAIRS for natural in (False, True)],
                ids=lambda p: f"{p[0][0]}-{p[0][1]}-{'natural' if p[1] else 'id'}-key")
def project(request, planted, tmp_path):
    (old_kind, new_kind), natural = request.param
    old_url, new_url = server_url(request, old_kind, "rep_old"), server_url(request, new_kind, "rep_new")
    load_pair(old_url, new_url, old_kind, new_kind, planted)
    return {"config": write_config(tmp_path, old_url, new_url, natural_key=natural), "new_url": new_url,
            "out": tmp_path / "repairs", "natural": natural}


def test_applying_the_repair_makes_the_next_comparison_match_100_percent(project, planted, capfd):
    before = compare_dataset(load_config(project["config"]), "device_events", WINDOW, rows=True)
    missing, extra = (15, 7) if project["natural"] else (12, 4)  # a changed key column is missing + extra
    assert differences(before) == {"mismatched": 15 if project["natural"] else 18, "missing_in_new": missing,
                                   "extra_in_new": extra, "duplicates_old": 0, "duplicates_new": 0}

    code, out, err = run(capfd, "--config", str(project["config"]), "repair", "device_events", *WINDOW_ARGS,
                         "--out", str(project["out"]), "--delete-extra")
    assert code == 1, err
    [path] = project["out"].glob("*.sql")
    assert out.startswith(f"{missing} insert(s), {before.totals['mismatched']} update(s), {extra} extra row(s) "
                          "(deletes included): ")
    apply_file(project["new_url"], path)

    after = compare_dataset(load_config(project["config"]), "device_events", WINDOW, rows=True)
    assert differences(after) == dict.fromkeys(DIFFERENCES, 0)
    assert (after.status, after.totals["match_pct"], after.findings) == ("pass", 100.0, [])
    assert after.totals["old"] == before.totals["old"] == after.totals["new"]

    code, out, _ = run(capfd, "--config", str(project["config"]), "repair", "device_events", *WINDOW_ARGS,
                       "--out", str(project["out"] / "again"))
    assert (code, out.split(":")[0]) == (0, "0 insert(s), 0 update(s), 0 extra row(s) (deletes commented out)")


@pytest.fixture
def pg_project(request, planted, tmp_path):
    old_url, new_url = server_url(request, "sqlite", "rep1_old"), server_url(request, "postgresql", "rep1_new")
    load_pair(old_url, new_url, "sqlite", "postgresql", planted)
    return {"config": write_config(tmp_path, old_url, new_url), "new_url": new_url, "out": tmp_path / "repairs"}


def test_without_delete_extra_the_extra_rows_are_listed_and_stay(pg_project, capfd):
    code, _, err = run(capfd, "--config", str(pg_project["config"]), "repair", *WINDOW_ARGS, "--out",
                       str(pg_project["out"]))
    assert code == 1, err
    [path] = pg_project["out"].glob("*.sql")
    text = path.read_text()
    assert text.count("\n-- DELETE FROM events_fix WHERE events_fix.event_id = ") == 4
    apply_file(pg_project["new_url"], path)
    after = compare_dataset(load_config(pg_project["config"]), "device_events", WINDOW, rows=True)
    assert differences(after) == {**dict.fromkeys(DIFFERENCES, 0), "extra_in_new": 4}


def test_the_header_gives_the_window_the_counts_and_the_command(pg_project, capfd):
    run(capfd, "--config", str(pg_project["config"]), "repair", "device_events", *WINDOW_ARGS,
        "--out", str(pg_project["out"]))
    [path] = pg_project["out"].glob("*.sql")
    assert path.name == "repair-device_events-20260329T000000Z-20260329T030000Z.sql"
    head = [line for line in path.read_text().splitlines() if line.startswith("-- ")][:9]
    nbsp = "\u00a0"
    assert [line.replace(nbsp, " ") for line in head[:7]] == [
        "-- reconciler repair: what would make new equal old in dataset device_events",
        "-- window: [2026-03-29T00:00:00Z, 2026-03-29T03:00:00Z) UTC, half-open",
        "-- new side: source 'new' (postgresql), table events_fix, key [event_id]",
        "-- 12 rows missing in new: INSERTs with old's values",
        "-- 18 changed rows: UPDATEs of the differing columns (note 6, value 6, device_id 3, ratio 3)",
        "-- 4 rows extra in new: their DELETEs are commented out (give --delete-extra to include them)",
        f"-- produced by: reconciler repair device_events --start 2026-03-29T00:00:00Z --end 2026-03-29T03:00:00Z "
        f"--format sql --out {pg_project['out']} --config {pg_project['config']}",
    ]
    assert "NOTHING HERE HAS BEEN EXECUTED" in head[7]
    body = path.read_text().split("\nBEGIN;\n")[1]
    assert body.endswith("COMMIT;\n") and "TRUNCATED" not in path.read_text()


def test_the_csv_holds_the_same_rows_and_loads_with_copy(pg_project, planted, capfd):
    code, out, err = run(capfd, "--config", str(pg_project["config"]), "repair", *WINDOW_ARGS, "--format", "csv",
                         "--out", str(pg_project["out"]))
    assert code == 1, err
    names = sorted(p.name for p in pg_project["out"].iterdir())
    base = "repair-device_events-20260329T000000Z-20260329T030000Z"
    assert names == [f"{base}-delete.csv", f"{base}-insert.csv", f"{base}-update.csv", f"{base}.txt"]
    inserts = list(csv.reader(io.StringIO((pg_project["out"] / f"{base}-insert.csv").read_text())))
    assert inserts[0] == ["event_id", "time", "device_id", "event_type", "value", "ratio", "note"]
    assert sorted(int(r[0]) for r in inserts[1:]) == sorted(planted[2]["missing"])
    updates = list(csv.reader(io.StringIO((pg_project["out"] / f"{base}-update.csv").read_text())))
    assert updates[0] == ["event_id", "column", "value"] and len(updates) == 1 + 18
    deletes = list(csv.reader(io.StringIO((pg_project["out"] / f"{base}-delete.csv").read_text())))
    assert sorted(int(r[0]) for r in deletes[1:]) == planted[2]["extra"]
    engine = sa.create_engine(pg_project["new_url"])
    try:
        with engine.begin() as conn:
            cursor = conn.connection.cursor()
            with cursor.copy("COPY events_fix (event_id, time, device_id, event_type, value, ratio, note) "
                             "FROM STDIN (FORMAT csv, HEADER)") as copy:
                copy.write((pg_project["out"] / f"{base}-insert.csv").read_bytes())
    finally:
        engine.dispose()
    after = compare_dataset(load_config(pg_project["config"]), "device_events", WINDOW, rows=True)
    assert (after.totals["missing_in_new"], after.totals["mismatched"], after.totals["extra_in_new"]) == (0, 18, 4)


def test_a_truncated_diff_says_so_in_the_header_and_exits_1(request, planted, tmp_path, capfd):
    old_url, new_url = server_url(request, "sqlite", "rep2_old"), server_url(request, "sqlite", "rep2_new")
    load_pair(old_url, new_url, "sqlite", "sqlite", planted)
    config = write_config(tmp_path, old_url, new_url, diff=", max_rows_fetched: 30, chunk_rows: 10")
    code, out, _ = run(capfd, "--config", str(config), "repair", *WINDOW_ARGS, "--out", str(tmp_path / "r"))
    assert code == 1 and "TRUNCATED by the diff budget" in out
    [path] = (tmp_path / "r").glob("*.sql")
    [line] = [line for line in path.read_text().splitlines() if "TRUNCATED" in line]
    assert line.startswith("-- TRUNCATED: the diff budget (datasets.device_events.diff.max_rows_fetched 30, "
                           "max_seconds 900) ran out; ")
    assert line.endswith("rows were not compared and are not repaired here: repair a narrower window")


def test_a_uuid_key_on_the_new_side_is_repaired_by_its_text(request, tmp_path, capfd):
    """psycopg gives a uuid column's values as uuid.UUID; the repair once failed to render them."""
    import uuid

    old_url, new_url = server_url(request, "postgresql", "rep_uuid_old"), server_url(request, "postgresql",
                                                                                      "rep_uuid_new")
    ids = [str(uuid.UUID(int=i * 7919)) for i in range(1, 7)]
    rows = [(ids[i], f"dev{i}", float(i), f"2026-03-29T00:{i * 5:02d}:00Z") for i in range(6)]
    for url, kind in ((old_url, "text"), (new_url, "uuid")):
        with sa.create_engine(url).begin() as c:
            c.exec_driver_sql(f"CREATE TABLE ev (id {kind} PRIMARY KEY, device text, value float8, time timestamptz)")
            for r in rows:
                c.exec_driver_sql("INSERT INTO ev VALUES (%s, %s, %s, %s)", r)
    with sa.create_engine(new_url).begin() as c:
        c.exec_driver_sql(f"DELETE FROM ev WHERE id = '{ids[0]}'")
        c.exec_driver_sql(f"UPDATE ev SET value = 99 WHERE id = '{ids[1]}'")
        c.exec_driver_sql(f"INSERT INTO ev VALUES ('{uuid.UUID(int=1)}', 'devx', 1, '2026-03-29T00:50:00Z')")
    config = tmp_path / "schedule.yaml"
    config.write_text(f"""sources:
  old: {{url: "{old_url}"}}
  new: {{url: "{new_url}"}}
datasets:
  ev:
    old: {{source: old, table: ev, time: time, key: [id]}}
    new: {{source: new, table: ev, time: time, key: [id]}}
    columns: {{device: {{}}, value: {{}}}}
""")
    window = ("--start", "2026-03-29T00:00Z", "--end", "2026-03-29T01:00Z")
    code, out, err = run(capfd, "--config", str(config), "repair", "ev", *window, "--out", str(tmp_path / "r"),
                         "--delete-extra")
    assert (code, out.split(":")[0]) == (1, "1 insert(s), 1 update(s), 1 extra row(s) (deletes included)"), err
    [path] = (tmp_path / "r").glob("*.sql")
    apply_file(new_url, path)
    after = compare_dataset(load_config(config), "ev", Window(START, START + H), rows=True)
    assert (after.status, after.totals["matched"], after.totals["match_pct"]) == ("pass", 6, 100.0)
