"""What the demo ends with: the alert, the recovery and the digest as Slack would show them,
from the dry-run payloads in the outbox (their JSON files sit beside the report)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from reconciler.notify.blocks import Links, render
from reconciler.notify.digest import DAY, digest_facts
from reconciler.notify.i18n import Texts
from reconciler.timeutil import Window, floor_hour


def as_text(payload: dict) -> str:
    """A payload's blocks as plain lines (headers, sections, fields, context)."""
    lines = []
    for block in payload.get("blocks", []):
        if block.get("text"):
            lines.append(block["text"]["text"])
        for f in block.get("fields") or []:
            lines.append(f["text"].replace("\n", " "))
        for e in block.get("elements") or []:
            lines.append(e.get("text", ""))
    return "\n".join(lines)


def demo_messages(store, loaded, reports_dir: Path, now: datetime) -> list[tuple[str, Path, dict]]:
    """(title, JSON path, payload) of the first alert, the first recovery and a digest of the
    24 hours before `now`'s hour (the demo's hours)."""
    from reconciler.notify import digest_scope

    notify = loaded.config.notify
    t, links = Texts(notify.locale), Links(notify.report_base_url, str(reports_dir))
    out = []
    for kind in ("alert", "recovered"):
        row = store.outbox.first_of_kind(kind)
        if row is not None:
            path = reports_dir / "notify" / f"{row['id']:06d}-{kind}.json"
            payload = json.loads(path.read_text()) if path.is_file() else render(kind, row["facts"], t, links)
            out.append((kind, path, payload))
    end = floor_hour(now)
    facts = digest_facts(store, Window(end - DAY, end), digest_scope(loaded, store, now))
    payload = {"channel": notify.slack.channel, **render("digest", facts, t, links)}
    path = reports_dir / "notify" / "digest-preview.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    out.append(("digest", path, payload))
    return out
