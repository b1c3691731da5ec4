"""Findings across hours (compare/findings/stories.py): planted sequences of (hour, verdict,
findings) and the exact stories they make: one going on, a break, a changed finding, two
findings at once, a recheck of a middle hour, a rate that stays "about" the same or does not."""

from __future__ import annotations

from datetime import datetime

from story_fixtures import ROWS, T6, device, gap, spread

from reconciler.compare.findings.stories import (
    UNJUDGED,
    HourFindings,
    build_stories,
    lead_findings,
    same_fault,
    stories_at,
)
from reconciler.results import Finding
from reconciler.timeutil import HOUR


def hour(i: int) -> datetime:
    return T6 + i * HOUR


def failing(i: int, *findings: Finding, run: int | None = None) -> HourFindings:
    return HourFindings(hour(i), "fail", tuple(findings), {"id": run or 100 + i})


def passing(i: int) -> HourFindings:
    return HourFindings(hour(i), "pass")


def shape(stories) -> list[tuple]:
    """(signature, first hour index, hours, ended_by) of each story."""
    return [(s.signature, int((s.first_hour - T6) / HOUR), s.hours, s.ended_by) for s in stories]


def test_about_3_percent_lost_every_hour_is_one_story_going_on():
    shares = [0.028, 0.031, 0.030, 0.029, 0.032]
    stories = build_stories([failing(i, spread(hour(i), round(s * ROWS))) for i, s in enumerate(shares)])
    [story] = stories
    assert shape(stories) == [("missing_in_new|time_spread", 0, 5, None)]
    assert story.key == "missing_in_new|time_spread@2026-11-12T06:00:00Z"
    assert (story.first_hour, story.last_hour, story.rows_range) == (T6, hour(4), (202, 230))
    assert [r["id"] for r in story.runs] == [100, 101, 102, 103, 104]
    assert story.position(hour(4)) == 5 and story.position(hour(5)) is None
    assert story.finding_at(hour(1)).rows == 223


def test_a_passing_hour_breaks_the_story():
    stories = build_stories([failing(0, device(hour(0), 40)), failing(1, device(hour(1), 38)), passing(2),
                             failing(3, device(hour(3), 41))])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 0, 2, "pass"),
                              ("missing_in_new|dimension|device_id|dev-0341", 3, 1, None)]
    assert stories[0].key != stories[1].key


def test_an_hour_not_judged_breaks_it_too():
    stories = build_stories([failing(0, gap(hour(0), 600)), failing(2, gap(hour(2), 610)),
                             HourFindings(hour(3), None), HourFindings(hour(4), "error")])
    assert shape(stories) == [("missing_in_new|time_gap", 0, 1, UNJUDGED), ("missing_in_new|time_gap", 2, 1, UNJUDGED)]


def test_a_changed_finding_ends_one_story_and_starts_another():
    stories = build_stories([failing(0, device(hour(0), 40)), failing(1, device(hour(1), 39)),
                             failing(2, gap(hour(2), 650)), failing(3, gap(hour(3), 640))])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 0, 2, "fail"),
                              ("missing_in_new|time_gap", 2, 2, None)]
    assert stories_at(stories, hour(1)) == [stories[0]] and stories_at(stories, hour(3)) == [stories[1]]


def test_another_device_is_another_story():
    stories = build_stories([failing(0, device(hour(0), 40)), failing(1, device(hour(1), 40, "dev-0007"))])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 0, 1, "fail"),
                              ("missing_in_new|dimension|device_id|dev-0007", 1, 1, None)]


def test_two_findings_at_once_are_two_stories_each_with_its_own_end():
    hours = [failing(i, spread(hour(i), 216), device(hour(i), 216)) for i in range(3)]
    hours.append(failing(3, device(hour(3), 44)))
    stories = build_stories(hours)
    assert shape(stories) == [("missing_in_new|time_spread", 0, 3, "fail"),
                              ("missing_in_new|dimension|device_id|dev-0341", 0, 4, None)]
    assert stories_at(stories, hour(2)) == stories and stories_at(stories, hour(3)) == [stories[1]]


def test_a_recheck_of_a_middle_hour_is_the_verdict_in_force():
    first = [failing(i, device(hour(i), 40)) for i in range(5)]
    # the hour 08:00 judged again: it passes now (a late batch arrived) -> two stories
    stories = build_stories(first + [passing(2)])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 0, 2, "pass"),
                              ("missing_in_new|dimension|device_id|dev-0341", 3, 2, None)]
    # judged again and failing with another finding: split around it
    stories = build_stories(first + [failing(2, gap(hour(2), 700), run=900)])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 0, 2, "fail"),
                              ("missing_in_new|time_gap", 2, 1, "fail"),
                              ("missing_in_new|dimension|device_id|dev-0341", 3, 2, None)]
    assert stories[1].runs == ({"id": 900},)
    # judged again with the same finding: still one story, with the recheck's run
    [story] = build_stories(first + [failing(2, device(hour(2), 41), run=901)])
    assert (story.hours, [r["id"] for r in story.runs]) == (5, [100, 101, 901, 103, 104])


def test_a_rate_ten_times_higher_is_a_different_fault():
    stories = build_stories([failing(0, spread(hour(0), 216)), failing(1, spread(hour(1), 223)),
                             failing(2, spread(hour(2), 2160))])
    assert shape(stories) == [("missing_in_new|time_spread", 0, 2, "fail"), ("missing_in_new|time_spread", 2, 1, None)]


def test_a_rate_that_doubles_by_chance_on_few_rows_is_still_about_the_same():
    # 12 then 26 of 7 000 rows: a factor 2.2, yet z = 2.3 (< 3): chance
    assert same_fault([spread(hour(0), 12, 7000)], spread(hour(1), 26, 7000))
    # the same factor on many rows is not chance
    assert not same_fault([spread(hour(0), 1200, 70_000)], spread(hour(1), 2600, 70_000))
    # the story's rate so far is pooled: 2.8 %, 3.1 % then 6.5 % (a factor 2.16 of 3.0 %)
    earlier = [spread(hour(0), 202), spread(hour(1), 223)]
    assert not same_fault(earlier, spread(hour(2), 468))
    assert same_fault(earlier, spread(hour(2), 420))  # 5.8 %: within a factor 2 of 2.95 %
    assert same_fault(earlier, device(hour(2), 5000))  # a finding that states no rate


def test_a_passing_hour_with_findings_makes_no_story_and_findings_come_once_per_signature():
    stories = build_stories([HourFindings(hour(0), "pass", (device(hour(0), 2),)),
                             failing(1, device(hour(1), 40), device(hour(1), 40))])
    assert shape(stories) == [("missing_in_new|dimension|device_id|dev-0341", 1, 1, None)]


def test_an_hour_is_told_by_its_largest_findings():
    f = [spread(hour(0), 20), device(hour(0), 216), gap(hour(0), 600), device(hour(0), 216, "dev-9"),
         device(hour(0), 216)]
    assert [x.rows for x in lead_findings(f)] == [600, 216, 216]
    assert [x.signature for x in lead_findings(f)][1:] == ["missing_in_new|dimension|device_id|dev-0341",
                                                           "missing_in_new|dimension|device_id|dev-9"]


def test_a_run_page_says_which_story_each_hour_belongs_to():
    from reconciler.report.why import story_notes

    hours = [failing(i, spread(hour(i), 216), device(hour(i), 216)) for i in range(3)]
    hours += [failing(3, gap(hour(3), 650)), passing(4)]
    notes = story_notes(build_stories(hours), 101, lambda run: f"run-{run['id']}.html")
    assert sorted(notes) == ["2026-11-12T06:00:00Z", "2026-11-12T07:00:00Z", "2026-11-12T08:00:00Z"]  # the gap lasted one hour
    [note] = notes["2026-11-12T07:00:00Z"]  # both findings span 06:00-08:00: one note
    assert (note["position"], note["hours"], note["ongoing"], note["href"]) == (2, 3, False, "run-100.html")
    assert note["text"] == ("hour 2 of a story from 2026-11-12T06:00:00Z to 2026-11-12T08:00:00Z (3 h), every hour: "
                            "spread through the hour: about 3\u00a0% of the hour's rows missing, at random; all 216 "
                            "missing rows have `device_id` = dev-0341 (0.6\u00a0% of the hour's rows)")
    ongoing = story_notes(build_stories(hours[:3]), 100, lambda run: f"run-{run['id']}.html")
    [first] = ongoing["2026-11-12T06:00:00Z"]
    assert (first["href"], first["text"][:57]) == (None, "hour 1 of a story since 2026-11-12T06:00:00Z (3 h so far)")
