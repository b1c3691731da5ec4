"""One sentence a person can act on for a result: the check's own reason when it has one
(the verdicts work adds `reason` to CheckResult), else a short one built here."""

from __future__ import annotations

from reconciler.report.observed import observed_text
from reconciler.results import ERROR
from reconciler.thresholds import Threshold

MAX_REASON = 300


def _get(result, key: str):
    if isinstance(result, dict):
        return result.get(key)
    return getattr(result, key, None)


def reason_of(result) -> str:
    """`result` is a CheckResult or its dict (as stored: the reason may sit in `details`)."""
    reason = _get(result, "reason") or (_get(result, "details") or {}).get("reason")
    if reason:
        return _clip(str(reason))
    message = _get(result, "message")
    check, status = _get(result, "check") or "?", _get(result, "status") or "?"
    if status == ERROR:
        return _clip(f"{check} could not be evaluated: {message or 'unknown error'}")
    threshold = Threshold.from_dict(_get(result, "threshold"))
    violations = _get(result, "violations") or 0
    parts = [f"{check}: observed {_short(observed_text(_get(result, 'observed'), threshold))}"]
    if threshold is not None:
        parts.append(f"threshold {_short(threshold.describe())}")
    if violations:
        parts.append(f"{violations} violation{'s' if violations != 1 else ''}")
    text = ", ".join(parts)
    if message:
        text += f" ({message})"
    return _clip(text)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:79] + "…"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
