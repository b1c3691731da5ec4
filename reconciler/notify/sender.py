"""Delivering the outbox: pending messages in id order, each marked sent with Slack's ts.

Never twice: before a message is posted its attempt is committed; a message found with an
attempt but not marked sent (the process died between posting and marking) is first looked
for in the channel (bot token: its metadata carries the message key) and only posted if it
is not there. A delivery error stops the drain, so the order holds and nothing is lost.
Without Slack configured (or with dry_run), the exact payloads are written or returned
instead of sent."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reconciler.config.models import NotifyConfig
from reconciler.notify.blocks import Links, render
from reconciler.notify.i18n import Texts
from reconciler.notify.slack import MESSAGE_ERRORS, BotDelivery, SlackDeliveryError, make_delivery
from reconciler.store import outbox
from reconciler.timeutil import Window

log = logging.getLogger(__name__)
UTC = timezone.utc
LOOKBACK = timedelta(minutes=10)  # how far before a recorded attempt its message may carry a ts
_DRAIN_CLAIM = ("notify-outbox", Window(datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, 1, tzinfo=UTC)))
THREADED = ("followup", "reminder", "recovered", "changed")


@dataclass
class DrainReport:
    sent: int = 0
    folded: int = 0
    skipped: int = 0
    recovered: int = 0  # found already posted after a crash, marked without posting again
    failed: list = field(default_factory=list)  # (message key, why): refused by Slack, set aside
    dry_run: list = field(default_factory=list)  # (message key, payload, path or None)
    pending: int = 0
    error: str | None = None
    busy: bool = False

    def to_dict(self) -> dict:
        return {"sent": self.sent, "folded": self.folded, "skipped": self.skipped, "found_posted": self.recovered,
                "failed": [{"key": key, "error": why} for key, why in self.failed],
                "dry_run": len(self.dry_run), "pending": self.pending, "error": self.error, "busy": self.busy}


def outbox_depth(store) -> int:
    """Messages waiting to be delivered (the integrator exposes it as a metric)."""
    return store.outbox.depth()


def drain_outbox(store, notify: NotifyConfig, *, now: datetime | None = None, dry_run: bool = False,
                 reports_dir: str | Path | None = None, digest=None, limit: int | None = None) -> DrainReport:
    """Deliver what is pending. Called by `reconciler run` after storing, by the scheduler after
    each window and by `reconciler notify flush`; first the daily digest is composed when it is
    due. `digest`: its DigestScope (the datasets it counts, when its period is judged, the gate)."""
    from reconciler.notify.digest import enqueue_digest_if_due

    now = now or datetime.now(UTC)
    if not dry_run:
        enqueue_digest_if_due(store, notify, now, digest)
    delivery = None if dry_run else make_delivery(notify.slack)
    sender = _Sender(store, notify, delivery, Links(notify.report_base_url, str(reports_dir) if reports_dir else None),
                     write_dir=None if dry_run else (Path(reports_dir) / "notify" if reports_dir else None))
    report = DrainReport()
    with store.claim(*_DRAIN_CLAIM) as claimed:
        if not claimed:
            report.busy = True
        else:
            sender.drain(report, limit)
    report.pending = outbox_depth(store)
    return report


class _Sender:
    def __init__(self, store, notify: NotifyConfig, delivery, links: Links, write_dir: Path | None):
        self.store, self.notify, self.delivery, self.links = store, notify, delivery, links
        self.t = Texts(notify.locale)
        self.write_dir = write_dir

    def drain(self, report: DrainReport, limit: int | None) -> None:
        rows = self.store.outbox.pending(limit)
        for row in rows:
            try:
                self._one(row, report)
            except SlackDeliveryError as e:
                if e.code in MESSAGE_ERRORS:
                    self.store.outbox.mark(row["id"], status=outbox.FAILED, last_error=str(e)[:1000])
                    log.error("Slack refused message %s, set aside: %s", row["message_key"], e)
                    report.failed.append((row["message_key"], str(e)))
                    continue
                self.store.outbox.mark(row["id"], last_error=str(e)[:1000])
                log.warning("Slack delivery stopped at message %s: %s (%d left in the outbox)",
                            row["message_key"], e, len(rows) - rows.index(row))
                report.error = str(e)
                return

    def _parent(self, row: dict) -> dict | None:
        if not row["parent_key"]:
            return None
        return self.store.outbox.by_key(row["parent_key"])

    def _one(self, row: dict, report: DrainReport) -> None:
        kind, facts = row["kind"], row["facts"]
        parent = self._parent(row)
        if self.delivery is None:
            return self._dry_run(row, kind, facts, parent, report)
        if self.delivery.mode == "webhook":
            if kind == "resolved":  # a webhook cannot edit what it posted
                return self._finish(row, outbox.SKIPPED, report)
            if kind == "followup":
                if not self._reminder_due(row):
                    return self._finish(row, outbox.FOLDED, report)
                kind = "reminder"
        payload = render(kind, facts, self.t, self.links)
        if kind == "resolved":
            if not parent or not parent.get("ts"):
                return self._finish(row, outbox.SKIPPED, report)
            posted = self.delivery.update(parent["channel"], parent["ts"], payload)
            return self._finish(row, outbox.SENT, report, posted)
        thread_ts = parent.get("ts") if parent and kind in THREADED else None
        if isinstance(self.delivery, BotDelivery) and row["attempted_at"] is not None:
            found = self._find_earlier(row, thread_ts)
            if found is not None:
                report.recovered += 1
                return self._finish(row, outbox.SENT, report, found)
        self.store.outbox.mark(row["id"], attempted_at=datetime.now(UTC), attempts=row["attempts"] + 1)
        posted = self.delivery.post(payload, row["message_key"], thread_ts=thread_ts)
        if kind == "reminder" and row["alert_id"] is not None:
            self.store.alerts.mark_reminded(row["alert_id"], row["created_at"])
        return self._finish(row, outbox.SENT, report, posted)

    def _find_earlier(self, row: dict, thread_ts: str | None):
        channel_id = self.store.outbox.known_channel_id()
        oldest = (row["attempted_at"] - LOOKBACK).timestamp()
        try:
            return self.delivery.find(row["message_key"], channel_id, oldest, thread_ts=thread_ts)
        except SlackDeliveryError as e:
            log.warning("could not look for an earlier copy of %s (%s); posting it", row["message_key"], e)
            return None

    def _reminder_due(self, row: dict) -> bool:
        alert = self.store.alerts.get(row["alert_id"]) if row["alert_id"] is not None else None
        if alert is None:
            return True
        last = alert["reminded_at"] or alert["opened_at"]
        return row["created_at"] - last >= self.notify.remind_every

    def _finish(self, row: dict, status: str, report: DrainReport, posted=None) -> None:
        values = {"status": status, "sent_at": datetime.now(UTC), "last_error": None}
        if posted is not None:
            values.update(channel=posted.channel, ts=posted.ts)
        self.store.outbox.mark(row["id"], **values)
        if status == outbox.SENT:
            report.sent += 1
        elif status == outbox.FOLDED:
            report.folded += 1
        else:
            report.skipped += 1

    def _dry_run(self, row: dict, kind: str, facts: dict, parent: dict | None, report: DrainReport) -> None:
        payload = {"channel": self.notify.slack.channel, **render(kind, facts, self.t, self.links)}
        if parent is not None and kind in THREADED:
            payload["thread_ts"] = parent.get("ts") or f"<ts of {parent['message_key']}>"
        if kind == "resolved":
            payload = {"method": "chat.update", "ts": f"<ts of {row['parent_key']}>", **payload}
        path = None
        if self.write_dir is not None:
            self.write_dir.mkdir(parents=True, exist_ok=True)
            path = self.write_dir / f"{row['id']:06d}-{kind}.json"
            path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
            self.store.outbox.mark(row["id"], status=outbox.DRY_RUN, sent_at=datetime.now(UTC))
        report.dry_run.append((row["message_key"], payload, path))
