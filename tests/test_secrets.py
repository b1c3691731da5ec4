"""Passwords and tokens never reach a repr, a log line, a report or an error text."""

from __future__ import annotations

from reconciler.checks.suites import _without_secrets
from reconciler.config.models import Config, SourceConfig
from reconciler.redact import safe_url, scrub
from reconciler.results import ERROR, CheckResult
from reconciler.sources.connection import Source

URL = "postgresql+psycopg://reader:s3cret-pw@db.internal:5432/events"


def test_repr_and_str_of_the_config_mask_urls_and_tokens():
    config = Config(sources={"old": SourceConfig(url=URL)},
                    report_store={"url": "postgresql://store:st0re-pw@h/reports"},
                    notify={"slack": {"token": "xoxb-123-456", "webhook_url": "https://hooks.slack.com/services/T/B/X"}})
    for text in (repr(config), str(config)):
        assert "s3cret-pw" not in text and "st0re-pw" not in text
        assert "xoxb-123-456" not in text and "services/T/B/X" not in text
        assert "reader:***@db.internal" in text
    assert config.sources["old"].url == URL  # the value itself is intact


def test_repr_of_a_source_masks_its_password():
    text = repr(Source("old", SourceConfig(url=URL)))
    assert "s3cret-pw" not in text and "reader:***@db.internal" in text


def test_scrub_removes_passwords_of_given_urls_secrets_and_urls_inside_the_text():
    text = f"could not connect with {URL}; auth s3cret-pw refused; token xoxb-9 bad; mysql://a:b4d@h/x"
    assert scrub(text, [URL], secrets=["xoxb-9"]) == (
        "could not connect with postgresql+psycopg://reader:***@db.internal:5432/events; auth *** refused; "
        "token *** bad; mysql://a:***@h/x")


def test_safe_url_masks_unparseable_text_too():
    assert safe_url("not a url://user:pw@host") == "not a url://user:***@host"


def test_great_expectations_error_texts_are_scrubbed():
    result = CheckResult("bookings.x", ERROR, message=f"(psycopg.OperationalError) connection to {URL} failed")
    assert _without_secrets(result, URL).message == (
        "(psycopg.OperationalError) connection to postgresql+psycopg://reader:***@db.internal:5432/events failed")
