"""Stories read from the store (store/finding_history.py): each judged hour's verdict in force
and the findings of the run that gave it, only the failing stretches near the hours asked
about, on SQLite and PostgreSQL; a recheck of a middle hour reads as the recheck."""

from __future__ import annotations

from datetime import timedelta

from store_fixtures import pg_database, pg_url, store_url  # noqa: F401  (fixtures)
from story_fixtures import PROVENANCE, T6, device, gap, record_hour, story_run

from reconciler.compare.findings.stories import build_stories
from reconciler.store import ReportStore
from reconciler.timeutil import HOUR


def h(i: int):
    return T6 + i * HOUR


def shape(stories) -> list[tuple]:
    return [(s.signature.split("|")[-1], int((s.first_hour - T6) / HOUR), s.hours, s.ended_by) for s in stories]


def open_store(url: str) -> ReportStore:
    store = ReportStore(url)
    store.upgrade()
    return store


def test_stories_from_the_store_with_a_recheck_of_a_middle_hour(store_url):  # noqa: F811
    store = open_store(store_url)
    try:
        ids = [record_hour(store, h(i), [device(h(i), 40 + i)]) for i in range(4)]   # 06-09: one device
        ids += [record_hour(store, h(4), [gap(h(4), 650)])]                          # 10: a gap
        ids += [record_hour(store, h(5), [])]                                        # 11: passes
        ids += [record_hour(store, h(6), [gap(h(6), 640)])]                          # 12: the gap again
        record_hour(store, h(2), [device(h(2), 3)], dataset="other_events")          # another dataset
        hours = store.findings.hours("device_events", h(1), h(2))
        assert [(int((x.hour - T6) / HOUR), x.verdict, len(x.findings)) for x in hours] == [
            (0, "fail", 1), (1, "fail", 1), (2, "fail", 1), (3, "fail", 1), (4, "fail", 1), (5, "pass", 0)]
        assert [x.run["id"] for x in hours] == ids[:6]
        assert hours[0].run == {"id": ids[0], "job": "hourly-shadow",
                                "window": {"start": "2026-11-12T06:00:00Z", "end": "2026-11-12T07:00:00Z"}}
        assert hours[1].findings == (device(h(1), 41),)
        assert shape(build_stories(hours)) == [("dev-0341", 0, 4, "fail"), ("time_gap", 4, 1, "pass")]
        # around 12:00 only its own stretch is read: the pass at 11:00 cut it from the rest
        assert [(x.hour, x.verdict) for x in store.findings.hours("device_events", h(6), h(7))] == [(h(6), "fail")]
        # 08:00 judged again, later: the same device lost in the first half only, and a gap
        recheck = story_run(h(2), [gap(h(2), 300, minutes=5)])
        store.record_run(recheck, now=recheck.finished_at + 2 * HOUR, **PROVENANCE)
        stories = build_stories(store.findings.hours("device_events", h(0), h(1)))
        assert shape(stories) == [("dev-0341", 0, 2, "fail"), ("time_gap", 2, 1, "fail"), ("dev-0341", 3, 1, "fail"),
                                  ("time_gap", 4, 1, "pass")]
        assert stories[1].latest.text.endswith("a gap of 5\u00a0min 49\u00a0s")
    finally:
        store.close()


def test_an_hour_not_judged_yet_leaves_the_story_going_on_a_missing_one_ends_it(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        for i in (0, 1, 3):
            record_hour(store, h(i), [device(h(i), 40)])
        store.note_hours("device_events", [h(4), h(5)], now=h(4) + timedelta(minutes=30), settle=timedelta(minutes=10))
        stories = build_stories(store.findings.hours("device_events", h(0), h(6)))
        assert shape(stories) == [("dev-0341", 0, 2, "unjudged"), ("dev-0341", 3, 1, None)]
    finally:
        store.close()
