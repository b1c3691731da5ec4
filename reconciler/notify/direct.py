"""When the report store itself is down, the outbox (which lives in it) cannot carry the
alert: it goes to Slack directly, at most every `remind_every`, remembered in a small state
file beside the reports; the first drain after the store is back says it recovered."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from reconciler.notify.blocks import Links, render
from reconciler.notify.i18n import Texts
from reconciler.notify.slack import SlackDeliveryError, make_delivery
from reconciler.timeutil import floor_hour, iso

log = logging.getLogger(__name__)
FINGERPRINT = "tool|report-store"


def _state_path(reports_dir: Path) -> Path:
    return Path(reports_dir) / "notify" / "store-down.json"


def _send(notify, kind: str, facts: dict, reports_dir: Path, key: str, thread_ts: str | None = None):
    payload = render(kind, facts, Texts(notify.locale), Links(notify.report_base_url, str(reports_dir)))
    delivery = make_delivery(notify.slack)
    if delivery is None:
        path = Path(reports_dir) / "notify" / f"{key.replace(':', '-')}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"channel": notify.slack.channel, **payload}, indent=2, ensure_ascii=False) + "\n")
        return None
    return delivery.post(payload, key, thread_ts=thread_ts if delivery.mode == "bot" else None)


def alert_store_down(notify, job: str, error: Exception, now: datetime, reports_dir: Path) -> bool:
    """Tell Slack the checker cannot store anything; True when a message went out."""
    path = _state_path(reports_dir)
    state = json.loads(path.read_text()) if path.is_file() else None
    if state and now - datetime.fromisoformat(state["last_sent"]) < notify.remind_every:
        return False
    since = state["since"] if state else iso(now)
    facts = {"alert_kind": "tool", "fingerprint": FINGERPRINT, "job": job, "check": None, "dataset": None,
             "reason": str(error), "hour": iso(floor_hour(now)), "failures": (state or {}).get("failures", 0) + 1,
             "failed_hours": 1, "first_hour": since}
    try:
        posted = _send(notify, "alert" if state is None else "reminder", facts, reports_dir,
                       f"store-down:{since}:{facts['failures']}", thread_ts=(state or {}).get("ts"))
    except SlackDeliveryError as e:
        log.warning("could not tell Slack that the report store is down: %s", e)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"since": since, "last_sent": now.isoformat(), "failures": facts["failures"], "job": job,
                                "ts": (state or {}).get("ts") or (posted.ts if posted else None)}))
    return True


def store_back(notify, now: datetime, reports_dir: Path) -> None:
    """The store answers again: close the store-down alert, if one was sent."""
    path = _state_path(reports_dir)
    if not path.is_file():
        return
    state = json.loads(path.read_text())
    since = datetime.fromisoformat(state["since"].replace("Z", "+00:00"))
    facts = {"alert_kind": "tool", "fingerprint": FINGERPRINT, "job": state["job"], "hour": iso(floor_hour(now)),
             "duration_s": (now - since).total_seconds(), "failed_hours": 0}
    try:
        _send(notify, "recovered", facts, reports_dir, f"store-back:{state['since']}", thread_ts=state.get("ts"))
    except SlackDeliveryError as e:
        log.warning("could not tell Slack that the report store is back: %s", e)
        return
    path.unlink(missing_ok=True)
