"""Outbox facts -> Slack payloads (`text` + Block Kit `blocks`), built with
slack_sdk.models.blocks and kept inside Slack's limits: at most 50 blocks, 3 000 characters
a section, 150 a header; a list that does not fit ends with "…and N more" and the report link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reconciler.formatting import count, instant
from reconciler.notify.i18n import Texts
from reconciler.notify.phrasebook import in_locale, item_in_locale
from reconciler.notify.story import add_same, add_told_stories, add_why, fault_sections

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000  # the notification fallback; Slack truncates beyond 40 000 anyway
MAX_ITEM = 280
MAX_ITEMS_CHARS = 12_000  # a list stays readable, and the whole message well under Slack's size limits


@dataclass(frozen=True)
class Links:
    """Where a stored report is: `report_base_url/runs/...html`, else its path on disk."""

    base_url: str | None = None
    directory: str | None = None

    def of(self, report: str | None) -> str | None:
        if not report:
            return None
        if self.base_url:
            return self.base_url.rstrip("/") + "/" + report.lstrip("/")
        return str(Path(self.directory) / report) if self.directory else report

    @property
    def clickable(self) -> bool:
        return bool(self.base_url)


def when(text: str | None) -> str:
    """`2026-11-27T10:00:00.123Z` -> `2026-11-27T10:00:00Z` (formatting.instant)."""
    return instant(text) if text else "?"


class _Builder:
    """Collects blocks; a list of lines becomes as many sections as fit the block budget."""

    def __init__(self, t: Texts, links: Links):
        from slack_sdk.models import blocks as b

        self.b, self.t, self.links = b, t, links
        self.blocks = []

    def header(self, text: str) -> None:
        self.blocks.append(self.b.HeaderBlock(text=_clip(text, MAX_HEADER)))

    def section(self, text: str, fields: list[str] | None = None) -> None:
        kwargs = {"text": self.b.MarkdownTextObject(text=_clip(text, MAX_SECTION))} if text else {}
        if fields:
            kwargs["fields"] = [self.b.MarkdownTextObject(text=_clip(f, 2000)) for f in fields[:10]]
        self.blocks.append(self.b.SectionBlock(**kwargs))

    def context(self, text: str) -> None:
        self.blocks.append(self.b.ContextBlock(elements=[self.b.MarkdownTextObject(text=_clip(text, 3000))]))

    def divider(self) -> None:
        self.blocks.append(self.b.DividerBlock())

    def report_link(self, report: str | None) -> str | None:
        link = self.links.of(report)
        if link is None:
            return None
        return self.t("report_link" if self.links.clickable else "report_path", link=link)

    def items(self, title: str, lines: list[str], total: int, report: str | None, reserve: int = 0) -> None:
        """Lines packed into sections; beyond the block budget (less `reserve` blocks kept for
        what follows) or the lines given, the last line says how many more and where."""
        lines = [_clip(line, MAX_ITEM) for line in lines]
        budget = MAX_BLOCKS - len(self.blocks) - reserve
        sections: list[list[str]] = []
        current: list[str] = [title]
        size = len(title)
        shown, total_chars = 0, 0
        for line in lines:
            total_chars += len(line) + 1
            if total_chars > MAX_ITEMS_CHARS:
                break
            if size + 1 + len(line) > MAX_SECTION - 200:  # room left for the closing "…and N more"
                if len(sections) + 2 > budget:
                    break
                sections.append(current)
                current, size = [], 0
            current.append(line)
            size += 1 + len(line)
            shown += 1
        if total > shown:
            current.append(self._more(total - shown, report))
        sections.append(current)
        for lines_of_section in sections:
            self.section("\n".join(lines_of_section))

    def _more(self, n: int, report: str | None) -> str:
        link = self.links.of(report)
        if link is None:
            return self.t("more", n=n)
        return self.t("more_link" if self.links.clickable else "more_path", n=n, link=link)

    def with_report_link(self, facts: dict, text: str) -> dict:
        """The payload, ending with the link to the run's report when there is one."""
        link = self.report_link(facts.get("report"))
        if link:
            self.context(link)
        return self.payload(text)

    def payload(self, text: str) -> dict:
        assert len(self.blocks) <= MAX_BLOCKS, len(self.blocks)
        return {"text": _clip(text, MAX_TEXT), "blocks": [block.to_dict() for block in self.blocks]}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_label(facts: dict) -> str:
    check = facts.get("check") or facts.get("job") or "?"
    return f"{check} ({facts['dataset']})" if facts.get("dataset") else check


def _tool_title(t: Texts, kind: str, facts: dict) -> str:
    """A whole run that could not be computed, or one configured check that could not be evaluated."""
    if facts.get("check"):
        return t(f"{kind}.tool.check_title", check=_check_label(facts), job=facts["job"])
    return t(f"{kind}.tool.title", job=facts["job"])


def render(kind: str, facts: dict, t: Texts, links: Links) -> dict:
    """The payload (without channel/thread) of one outbox message; the reasons, findings and
    items its facts hold in English are read in the reader's language (phrasebook.py)."""
    return RENDERERS[kind](in_readers_words(facts, t.locale), t, links)


WORDED = ("reason", "text")  # the facts' keys whose text is a result's reason or a finding's sentence


def in_readers_words(facts, locale: str):
    if isinstance(facts, dict):
        return {k: in_locale(v, locale) if k in WORDED and isinstance(v, str) else
                [item_in_locale(i, locale) if isinstance(i, str) else i for i in v] if k == "items" and isinstance(v, list)
                else in_readers_words(v, locale) for k, v in facts.items()}
    if isinstance(facts, list):
        return [in_readers_words(v, locale) for v in facts]
    return facts


def render_alert(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    tool = facts.get("alert_kind") == "tool"
    check = _check_label(facts)
    rule = not tool and facts.get("rule")
    measure = not tool and not rule and facts.get("measure")
    intro = not tool and not rule and not measure and facts.get("intro")  # the check type's own words
    title = _tool_title(t, "alert", facts) if tool else \
        t("alert.rule.title" if rule else "alert.measure.title" if measure else f"alert.{intro or 'data'}.title",
          check=check)
    out.header(title)
    if tool:
        out.section(t("alert.tool.intro"))
    elif measure:
        out.section(t("alert.measure.intro", job=facts["job"], check=facts.get("check") or "?"))
    elif rule:
        where = t(f"rule.on.{facts.get('source')}") if facts.get("source") in ("old", "new", "both") else ""
        out.section(t("alert.rule.intro", job=facts["job"], check=facts.get("check") or "?", where=where))
    else:
        on = t("on_dataset", dataset=facts["dataset"]) if facts.get("dataset") else ""
        breached = "; ".join(t(f"alert.{intro}.{name}", **(facts.get("bounds") or {})) for name in facts.get("alerts") or [])
        out.section(t(f"alert.{intro or 'data'}.intro", job=facts["job"], check=facts.get("check") or "?",
                      on_dataset=on, breached=breached))
    out.section(f"{t('field.reason')}\n{facts.get('reason') or '?'}")
    add_why(out, facts)
    fields = [f"{_hour_label(t, facts)}\n{when(facts.get('hour'))}", f"{t('field.job')}\n{facts['job']}"]
    if not tool:
        fields.append(f"{t('field.violations')}\n{count(facts.get('violations', 0))}")
    link = out.report_link(facts.get("report"))
    if link:
        fields.append(f"{t('field.report')}\n{link}")
    out.section("", fields)
    items = facts.get("items") or []
    if items:
        total = max(int(facts.get("items_total") or 0), len(items))
        heading = "items.tool.title" if tool else "items.rule.title" if rule else "items.title"
        out.items(t(heading), items, total, facts.get("report"), reserve=1)
    out.context(f"`{facts.get('fingerprint', '')}`")
    return out.payload(f"{title}: {facts.get('reason') or ''}")


def _moments(facts: dict) -> bool:
    """The alert counts moments checked (point-in-time results), not hours judged."""
    return facts.get("scope") == "moments"


def _hour_label(t: Texts, facts: dict) -> str:
    if _moments(facts):
        return t("field.as_of")
    return t("field.hour" if facts.get("alert_kind") == "tool" else "field.worst_hour")


def _progress_key(kind: str, facts: dict) -> str:
    """followup.tool | followup.moment | followup.data(.value), and the same for reminders."""
    if facts.get("alert_kind") == "tool":
        return f"{kind}.tool"
    if _moments(facts):
        return f"{kind}.moment.measure" if facts.get("measure") else f"{kind}.moment"
    return "followup.data.value" if kind == "followup" and facts.get("change") == "value" else f"{kind}.data"


def render_followup(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    if facts.get("change") == "fault":  # the failing hour tells another story (notify/story.py)
        return out.with_report_link(facts, fault_sections(out, facts, _progress_values(facts)))
    text = t(_progress_key("followup", facts), **_progress_values(facts))
    out.section(text)
    return out.with_report_link(facts, text)


def render_reminder(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    text = t(_progress_key("reminder", facts), **_progress_values(facts))
    out.section(text)
    if facts.get("reason"):
        out.section(f"{t('field.reason')}\n{facts['reason']}")
    add_same(out, facts)
    return out.with_report_link(facts, text)


def _progress_values(facts: dict) -> dict:
    return {"check": _check_label(facts), "job": facts["job"], "hour": when(facts.get("hour")),
            "failures": facts.get("failures", 1), "hours": facts.get("failed_hours", 1),
            "since": when(facts.get("first_hour") or facts.get("opened_at")), "reason": facts.get("reason") or "?",
            "violations": facts.get("violations", "?"), "previous": facts.get("previous", "?")}


def render_recovered(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    key = "recovered.tool" if facts.get("alert_kind") == "tool" else \
        "recovered.moment" if _moments(facts) else "recovered.data"
    text = t(key, check=_check_label(facts), job=facts["job"], hour=when(facts.get("hour")),
             duration=t.duration(facts.get("duration_s") or 0), hours=facts.get("failed_hours", 0),
             failures=facts.get("failures", 0))
    out.section(text)
    return out.with_report_link(facts, text)


def render_resolved(facts: dict, t: Texts, links: Links) -> dict:
    """The alert's top message, rewritten once it recovered (chat.update)."""
    out = _Builder(t, links)
    tool = facts.get("alert_kind") == "tool"
    check = _check_label(facts)
    title = _tool_title(t, "resolved", facts) if tool else t("resolved.data.title", check=check)
    out.header(title)
    # the checker's own fault counts the ticks it failed, over the wall clock; the data's, hours
    since, until = (facts.get("opened_at"), facts.get("resolved_at")) if tool else \
        (facts.get("first_hour"), facts.get("hour"))
    summary = t("resolved.summary.moment" if _moments(facts) or tool else "resolved.summary",
                duration=t.duration(facts.get("duration_s") or 0), since=when(since or facts.get("first_hour")),
                until=when(until or facts.get("hour")), hours=facts.get("failed_hours", 0),
                failures=facts.get("failures", 0))
    out.section(summary)
    add_told_stories(out, facts)
    out.section(f"{t('field.reason')}\n~{facts.get('reason') or '?'}~")
    fields = [f"{_hour_label(t, facts)}\n{when(_resolved_hour(facts))}", f"{t('field.job')}\n{facts['job']}"]
    link = out.report_link(facts.get("first_report"))
    if link:
        fields.append(f"{t('field.report')}\n{link}")
    out.section("", fields)
    out.context(f"`{facts.get('fingerprint', '')}`")
    return out.payload(f"{title}. {summary}")


def _resolved_hour(facts: dict) -> str | None:
    """What the resolved message's hour field holds: a data alert's worst hour of the stretch;
    the first hour (or moment) of the checker's faults and of moments."""
    if facts.get("alert_kind") == "tool" or _moments(facts):
        return facts.get("first_hour")
    return facts.get("worst_hour") or facts.get("first_hour")


def render_changed(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    text = t("changed.title", hour=when(facts.get("hour")), check=_check_label(facts),
             after=t(f"status.{facts['after']}"), before=t(f"status.{facts['before']}"))
    out.section(text)
    if facts.get("reason"):
        out.section(t("changed.reason", reason=facts["reason"]))
    return out.with_report_link(facts, text)


def render_test(facts: dict, t: Texts, links: Links) -> dict:
    out = _Builder(t, links)
    title = t("test.title")
    out.header(title)
    body = t("test.body", mode=t(f"mode.{facts.get('mode', 'bot')}"))
    out.section(body)
    return out.payload(f"{title}: {body}")


def render_digest(facts: dict, t: Texts, links: Links) -> dict:
    from reconciler.notify.digest import render_digest_blocks

    out = _Builder(t, links)
    text = render_digest_blocks(out, facts)
    return out.payload(text)


RENDERERS = {"alert": render_alert, "followup": render_followup, "reminder": render_reminder,
             "recovered": render_recovered, "resolved": render_resolved, "changed": render_changed,
             "digest": render_digest, "test": render_test}


def dump(payload: dict) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True)
