"""Stories in Slack. The alert of a failing dataset check says why (its hour's lead findings)
and since when the same fault goes on; a further failing hour that tells the same story adds
nothing to the thread (a reminder every `remind_every` says "still the same"), a changed fault
is a follow-up ("now a different fault", with what it was before); the digest lists each
dataset's stories of its period.

The facts (what lifecycle.py writes into the outbox, in the run's transaction) and their words
(what blocks.py and digest_render.py call) are here. A finding is said through one function,
`finding_sentence`; the stories come from compare/findings/stories.py over the findings the
store keeps (store/finding_history.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from reconciler.compare.findings.stories import Story, build_stories, lead_findings, stories_at
from reconciler.results import CheckResult, Finding, Mode, RunResult, time_from_text
from reconciler.store.finding_history import hour_findings
from reconciler.timeutil import HOUR, iso

LEFT_OUT = ("per_minute", "per_minute_rows", "samples")  # evidence no sentence needs: kept out of the outbox
DIGEST_SHOWN = 5  # story lines per dataset in the digest
DIGEST_FINDINGS = 2  # findings named on one digest line
# evidence columns the hour's findings (about its missing, extra and changed rows) do not explain
NOT_EXPLAINED_BY_ROWS = frozenset({"duplicates_new", "duplicates_old"})


def finding_facts(finding: Finding) -> dict:
    """What a message keeps of a finding: enough to say it (kind, evidence, text), not its strips."""
    return {"about": finding.about, "kind": finding.kind, "text": finding.text, "rows": finding.rows,
            "share": round(finding.share, 4), "signature": finding.signature,
            "evidence": {k: v for k, v in finding.evidence.items() if k not in LEFT_OUT}}


def finding_sentence(finding: dict, t) -> str:
    """The one place a finding becomes words in a message: its own sentence for now; a
    sentence in the reader's language (`t.locale`) from its kind and evidence goes here."""
    return finding.get("text") or "?"


def _report(run: dict | None) -> str | None:
    from reconciler.report.model import run_basename

    return f"runs/{run_basename(run)}.html" if run else None


def story_facts(story: Story) -> dict:
    low, high = story.rows_range
    return {"key": story.key, "signature": story.signature, "first_hour": iso(story.first_hour),
            "last_hour": iso(story.last_hour), "hours": story.hours, "rows": [low, high], "ended_by": story.ended_by,
            "finding": finding_facts(story.latest), "first_report": _report(story.first_run)}


def _signature(key: str) -> str:
    return key.rsplit("@", 1)[0]


@dataclass(frozen=True)
class HourStory:
    """A failing hour of a dataset among its stories: its lead findings (and how many more it
    has), the stories that hold it, and every story of its failing stretch."""

    hour: datetime
    lead: tuple[Finding, ...]
    more: int
    at: tuple[Story, ...]
    stretch: tuple[Story, ...]

    @property
    def lead_stories(self) -> list[Story]:
        by_signature = {s.signature: s for s in self.at}
        return [by_signature[f.signature] for f in self.lead if f.signature in by_signature]

    def facts(self) -> dict:
        """`why` (the hour's lead findings), `stories` (theirs) and `fault` (their keys: what the
        follow-up rule compares)."""
        stories = self.lead_stories
        return {"why": {"hour": iso(self.hour), "findings": [finding_facts(f) for f in self.lead], "more": self.more},
                "stories": [story_facts(s) for s in stories], "fault": [s.key for s in stories]}

    def changed_since(self, told: dict) -> bool | None:
        """Is this hour's fault another than the one told last (`told`: that message's facts)?
        None when neither says why (no findings either side) or the told message did not
        look: the usual rule decides then. Changed when a lead story is new (a finding not
        told, or told but broken off since) or none of the told ones goes on to this hour."""
        if "fault" not in told or not (told["fault"] or self.lead):
            return None
        told_signatures = {_signature(k) for k in told["fault"]}
        told_hour = time_from_text(told["hour"]) if told.get("hour") else self.hour
        new = any(s.signature not in told_signatures or s.first_hour > told_hour for s in self.lead_stories)
        going_on = told_signatures & {s.signature for s in self.at}
        return new or not going_on

    def before(self, told: dict) -> list[dict]:
        """The told stories as they stand now (how far they went on), else as they were told."""
        keys = set(told.get("fault") or ())
        now = [story_facts(s) for s in self.stretch if s.key in keys]
        return now or list(told.get("stories") or [])


def hour_story(conn: Connection, run: RunResult, result: CheckResult, hour: datetime) -> HourStory | None:
    """The story of `hour` for a failing result about a dataset compared row by row in `run`;
    None for anything else (a rule, a counts-only comparison, a moment)."""
    dataset = (result.details or {}).get("dataset")
    compared = [c for c in run.compares if c.dataset == dataset and c.window is not None]
    if not dataset or run.window is None or not any(c.mode == Mode.ROWS for c in compared):
        return None
    if (result.details or {}).get("column") in NOT_EXPLAINED_BY_ROWS:
        return None
    findings = [f for c in compared for f in c.findings if f.hour == hour]
    lead = lead_findings(findings)
    stretch = build_stories(hour_findings(conn, dataset, hour, hour + HOUR))
    more = len({f.signature for f in findings}) - len(lead)
    return HourStory(hour, tuple(lead), more, tuple(stories_at(stretch, hour)), tuple(stretch))


# -- words -------------------------------------------------------------------------------------


def _when(text: str | None) -> str:
    from reconciler.notify.blocks import when

    return when(text)


def _rows(story: dict) -> str:
    low, high = story.get("rows") or (0, 0)
    return str(low) if low == high else f"{low}–{high}"


def span_text(t, story: dict) -> str:
    """How long a story went on: since (still going), from .. to (ended), or one hour."""
    values = {"since": _when(story.get("first_hour")), "until": _when(story.get("last_hour")),
              "hours": story.get("hours", 1), "rows": _rows(story)}
    if story.get("hours", 1) == 1:
        return t("story.one", **values)
    return t("story.since" if story.get("ended_by") is None else "story.span", **values)


def story_line(t, story: dict) -> str:
    return t("story.line", finding=finding_sentence(story.get("finding") or {}, t), span=span_text(t, story))


def why_lines(t, facts: dict) -> list[str]:
    """The hour's lead findings, each with how long its story goes on when that is longer
    than this hour."""
    why = facts.get("why") or {}
    stories = {s["signature"]: s for s in facts.get("stories") or []}
    lines = []
    for finding in why.get("findings") or []:
        story = stories.get(finding.get("signature"))
        text = finding_sentence(finding, t)
        if story and story.get("hours", 1) > 1:
            text = t("story.line", finding=text, span=span_text(t, story))
        lines.append(f"• {text}")
    if why.get("more"):
        lines.append(t("why.more", n=why["more"]))
    return lines


def add_why(out, facts: dict) -> None:
    """The alert's "Why" section, when the alert is about a dataset compared row by row."""
    if "why" not in facts:
        return
    lines = why_lines(out.t, facts) or [out.t("why.none", hour=_when(facts.get("hour")),
                                              reason=facts.get("reason") or "?")]
    out.section("\n".join([out.t("why.title"), *lines]))


def add_same(out, facts: dict) -> None:
    """A reminder's "still the same": the stories told, as far as they went on."""
    stories = facts.get("stories") or []
    if stories:
        out.section("\n".join([out.t("story.same")] + [f"• {story_line(out.t, s)}" for s in stories]))


def fault_sections(out, facts: dict, values: dict) -> str:
    """A follow-up whose fault changed: the new hour's findings, then what was told before.
    Returns the notification text."""
    t = out.t
    head = t("followup.data.fault", **values)
    lines = why_lines(t, facts) or [t("why.none", hour=values["hour"], reason=facts.get("reason") or "?")]
    out.section("\n".join([head, *lines]))
    before = facts.get("before") or []
    if before:
        out.section("\n".join([t("followup.data.before")] + [f"• {story_line(t, s)}" for s in before]))
    first = (facts.get("why") or {}).get("findings") or []
    return f"{head} {finding_sentence(first[0], t)}" if first else head


# -- the digest ------------------------------------------------------------------------------


def story_lines(hours, start: datetime, end: datetime) -> tuple[list[dict], int]:
    """The stories of a dataset's hours (store/finding_history.py) that touch [start, end),
    stories that span the same hours as one line (their findings, the largest first), oldest
    first: at most DIGEST_SHOWN lines, and how many more there are."""
    stories = [s for s in build_stories(hours) if s.first_hour < end and s.last_hour >= start]
    spans: dict[tuple, list[Story]] = {}
    for s in stories:
        spans.setdefault((s.first_hour, s.last_hour), []).append(s)
    lines = []
    for group in spans.values():
        group = sorted(group, key=lambda s: -s.latest.rows)
        line = story_facts(group[0])
        line["findings"] = [finding_facts(s.latest) for s in group[:DIGEST_FINDINGS]]
        line["more"] = max(0, len(group) - DIGEST_FINDINGS)
        lines.append(line)
    return lines[:DIGEST_SHOWN], max(0, len(lines) - DIGEST_SHOWN)


def period_stories(store, datasets, start: datetime, end: datetime) -> list[dict]:
    """Per dataset with any, its stories that touch [start, end) (the digest)."""
    out = []
    for dataset in datasets:
        lines, more = story_lines(store.findings.hours(dataset, start, end), start, end)
        if lines:
            out.append({"dataset": dataset, "stories": lines, "more": more})
    return out


def alert_stories(conn: Connection, dataset: str | None, start: datetime, end: datetime) -> dict:
    """What a recovered alert of a dataset was, as stories: `{"stories": [...], "more": n}`,
    or nothing when its hours have no findings."""
    if not dataset:
        return {}
    lines, more = story_lines(hour_findings(conn, dataset, start, end), start, end)
    return {"stories": lines, "stories_more": more} if lines else {}


def add_told_stories(out, facts: dict) -> None:
    """The rewritten top message of a recovered alert: what it was, story by story."""
    lines = [f"• {_story_group(out.t, s)}" for s in facts.get("stories") or []]
    if facts.get("stories_more"):
        lines.append(out.t("more", n=facts["stories_more"]))
    if lines:
        out.section("\n".join([out.t("resolved.stories"), *lines]))


def _story_group(t, story: dict) -> str:
    findings = "; ".join(finding_sentence(f, t) for f in story.get("findings") or [story.get("finding") or {}])
    if story.get("more"):
        findings += f" ({t('more', n=story['more'])})"
    return t("story.line", finding=findings, span=span_text(t, story))


def digest_story_lines(t, datasets: list[dict]) -> list[str]:
    lines = []
    for d in datasets:
        lines += [f"{d['dataset']}: {_story_group(t, story)}" for story in d["stories"]]
        if d.get("more"):
            lines.append(t("digest.story.more", dataset=d["dataset"], n=d["more"]))
    return lines
