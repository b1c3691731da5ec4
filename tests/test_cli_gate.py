"""`reconciler gate` from the command line: exit 0 go, 1 no-go, 4 incomplete, 3 store
unreachable, 2 bad input; one JSON document with --format json; and the verdict on the
demo's stored runs (a few hours of evidence: no-go on its faults, the 7 days incomplete)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from gate_fixtures import END, NOW, START, fabricate_week, gate_config, open_store
from integrity_fixtures import CLOSED_PORT_PG, DEMO_HOURS, copy_project, run_cli, sqlite_demo, use_sources  # noqa: F401

from reconciler.timeutil import HOUR, iso


@pytest.fixture
def project(tmp_path, monkeypatch):
    loaded = gate_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    return loaded


def gate(capfd, loaded, *args):
    return run_cli(capfd, "--config", loaded.path, "gate", "--now", iso(NOW), *args)


def test_go_exits_0_with_one_line_per_criterion(project, capfd):
    store = open_store(project)
    fabricate_week(store)
    store.close()
    code, out, err = gate(capfd, project)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"gate shadow: {iso(START)} → {iso(END)} (168 hours; ")
    assert [line.split()[:2] for line in lines[1:] if line.startswith("  ") and not line.startswith("   ")] == [
        ["coverage", "MET"], ["drift", "MET"], ["match", "MET"], ["lag", "MET"], ["latency", "MET"],
        ["queues", "MET"], ["bookings", "MET"]]
    assert lines[-2:] == ["clean evidence: 7 days 0 hours of the 7 days required",
                          "verdict: GO — every criterion is met"]


def test_no_go_exits_1_and_json_names_the_hour(project, capfd):
    store = open_store(project)
    ids = fabricate_week(store, special={START + 2 * HOUR: {"new": 950}})
    store.close()
    code, out, _ = gate(capfd, project, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert (doc["verdict"], doc["exit_code"], doc["period"]) == ("no-go", 1, {"start": iso(START), "end": iso(END)})
    drift = next(c for c in doc["criteria"] if c["criterion"] == "drift")
    assert drift["state"] == "not met"
    assert drift["worst"] == {"at": iso(START + 2 * HOUR), "value": -5.0, "run_id": ids[START + 2 * HOUR],
                              "dataset": "device_events", "text": "\u22125.00 %"}
    assert doc["runs"][str(ids[START + 2 * HOUR])]["window"] == {"start": iso(START + 2 * HOUR),
                                                                 "end": iso(START + 3 * HOUR)}


def test_incomplete_exits_4(project, capfd):
    store = open_store(project)
    fabricate_week(store, skip={START + 30 * HOUR})
    store.close()
    code, out, _ = gate(capfd, project, "--days", "7")
    assert code == 4
    assert out.splitlines()[-1] == "verdict: INCOMPLETE — incomplete evidence: coverage, drift, match, lag"


def test_an_unreachable_store_exits_3_without_the_password(tmp_path, capfd):
    loaded = gate_config(tmp_path)
    text = loaded.path.read_text().replace("sqlite:///store/reconciler.db", CLOSED_PORT_PG)
    loaded.path.write_text(text)
    code, out, err = run_cli(capfd, "--config", loaded.path, "gate")
    assert (code, out) == (3, "")
    assert err.startswith("reconciler: report store postgresql+psycopg://reconciler:***@127.0.0.1:1/nowhere")
    assert "hunter2secret" not in err


@pytest.mark.parametrize("args, message", [
    (["--phase", "launch"], "reconciler: unknown phase 'launch' in"),
    (["--start", "2026-11-20T10:30Z", "--end", "2026-11-21T00:00Z"], "reconciler: the gate judges whole hours"),
    (["--days", "2", "--start", "2026-11-20"], "reconciler: give --days or --start/--end, not both"),
    (["--start", "2026-11-20"], "reconciler: give both --start and --end, or --days"),
])
def test_bad_input_exits_2(project, capfd, args, message):
    open_store(project).close()
    code, out, err = gate(capfd, project, *args)
    assert (code, out) == (2, "")
    assert err.startswith(message)


@pytest.mark.parametrize("phase", ["", " "])
def test_an_empty_phase_is_exit_2_naming_the_phases_not_the_default_phase(project, capfd, phase):
    open_store(project).close()
    code, out, err = gate(capfd, project, "--phase", phase)
    assert (code, out, err) == (2, "", f"reconciler: unknown phase {phase!r} in {project.path} "
                                       "(known: shadow, traffic-split, booking-cutover, decommission)\n")


def test_phases_in_schedule_yaml_override_the_plan(tmp_path, capfd, monkeypatch):
    loaded = gate_config(tmp_path, "phases:\n  shadow:\n    days: 1\n    criteria: {coverage: , drift: {max_abs_pct: 6}, "
                                   "match: false, lag: false, latency: false, queues: false, bookings: false}\n")
    monkeypatch.chdir(tmp_path)
    store = open_store(loaded)
    fabricate_week(store, start=END - 24 * HOUR, special={END - 3 * HOUR: {"new": 1050}})
    store.close()
    code, out, _ = gate(capfd, loaded, "--format", "json")
    doc = json.loads(out)
    assert (code, doc["verdict"], doc["hours"]) == (0, "go", 24)
    assert [(c["criterion"], c["state"], c["bound"]) for c in doc["criteria"]] == [
        ("coverage", "met", {"hours": 24}), ("drift", "met", {"max_abs_pct": 6.0})]


def test_an_unknown_criterion_is_a_config_error(tmp_path, capfd):
    loaded_path = tmp_path / "schedule.yaml"
    gate_config(tmp_path)
    loaded_path.write_text(loaded_path.read_text() + "phases:\n  shadow:\n    criteria: {speed: {}}\n")
    code, _, err = run_cli(capfd, "--config", loaded_path, "gate")
    assert code == 2
    assert "phases.shadow.criteria: unknown criterion 'speed' (known: coverage, drift, match" in err


def test_gate_on_the_demo_runs_is_no_go_with_its_reasons(tmp_path, monkeypatch, capfd, sqlite_demo):
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.chdir(tmp_path)
    start, end = sqlite_demo["start"], sqlite_demo["end"]
    code, _, _ = run_cli(capfd, "run", "hourly-shadow", "--start", iso(start), "--end", iso(end))
    assert code == 1
    now = end + timedelta(minutes=20)
    code, out, _ = run_cli(capfd, "gate", "--now", iso(now), "--format", "json")
    doc = json.loads(out)
    assert (code, doc["verdict"]) == (1, "no-go")
    hours = DEMO_HOURS
    state = {c["criterion"]: c for c in doc["criteria"]}
    assert state["coverage"]["state"] == "incomplete"
    assert state["coverage"]["summary"].startswith(f"{hours} of 168 dataset-hours judged; not judged: device_events "
                                                   f"{iso(end - 168 * HOUR)} … {iso(start - HOUR)} ({168 - hours} hours, "
                                                   "no run)")
    faulty = iso(end - HOUR)  # every injected fault of the small demo lies in its last hour
    assert (state["drift"]["state"], state["drift"]["worst"]["at"]) == ("not met", faulty)
    assert (state["match"]["state"], state["match"]["worst"]["at"]) == ("not met", faulty)
    # `reconciler run` heads the index with the gate as of the wall clock (its verdict depends on the minute)
    index = (tmp_path / "reports" / "index.html").read_text()
    assert '<section class="gate glance' in index and "<h2>Gate (shadow): " in index
    assert [r.split(":")[0] for r in doc["reasons"]] == [
        "coverage incomplete", "drift not met", "match not met", "lag incomplete", "latency incomplete",
        "queues incomplete", "bookings incomplete"]
