"""Secrets never leave the process: one place that masks a URL's password and removes
known secrets from any text bound for a log, a report, Slack or the terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable

_USERINFO = re.compile(r"(://[^:/@\s]+):[^@\s]*@")


def safe_url(url: str) -> str:
    """The URL with its password replaced by ***; never fails, even on garbage."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return _USERINFO.sub(r"\1:***@", url)


def url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password
    except Exception:
        match = _USERINFO.search(url or "")
        return url.split("@", 1)[0].rsplit(":", 1)[-1] if match else None


def scrub(text: str, urls: str | Iterable[str] = (), secrets: Iterable[str] = ()) -> str:
    """`text` without the passwords of `urls`, the given `secrets`, or any password written
    inside a URL in the text itself."""
    if isinstance(urls, str):
        urls = (urls,)
    hidden = [p for p in (url_password(u) for u in urls if u) if p]
    hidden += [s for s in secrets if s]
    for secret in sorted(set(hidden), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _USERINFO.sub(r"\1:***@", text)
