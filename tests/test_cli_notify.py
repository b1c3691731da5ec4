"""`reconciler notify test|flush` and `reconciler run` telling a local Slack, through the CLI."""

from __future__ import annotations

import json

import pytest
from fake_slack import CHANNEL_ID, GOOD_TOKEN, FakeSlack
from integrity_fixtures import copy_project, run_cli, sqlite_demo, use_sources  # noqa: F401  (fixtures)
from notify_helpers import T0, record, with_lifecycle

from reconciler.config import load_config
from reconciler.notify import outbox_depth
from reconciler.store import open_report_store
from reconciler.timeutil import iso


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def project(tmp_path, monkeypatch, slack):
    """The shipped schedule.yaml, its Slack pointed at the local one; no digest unless asked."""
    copy_project(tmp_path)
    use_sources(monkeypatch, "sqlite:///old.db", "sqlite:///new.db")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("NOTIFY_DIGEST_AT", "")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_notify_test_reports_what_slack_accepted(project, slack, capfd):
    code, out, err = run_cli(capfd, "notify", "test")
    assert (code, err) == (0, "")
    assert out.startswith(f"Slack accepted the test message: channel #migration-updates (id {CHANNEL_ID}), ts ")
    assert [m["text"].split(":")[0] for m in slack.messages] == ["👋 reconciler test message"]


@pytest.mark.parametrize("error, expected", [
    ("missing_scope", "reconciler: the bot lacks the chat:write scope (missing_scope): add it under OAuth & "
                      "Permissions, reinstall the app and update SLACK_BOT_TOKEN\n"),
    ("not_in_channel", "reconciler: the bot is not a member of #migration-updates (not_in_channel): invite it "
                       "there with /invite @your-app\n"),
    ("channel_not_found", "reconciler: Slack has no channel #migration-updates the bot can see (channel_not_found): "
                          "check notify.slack.channel, and invite the bot if the channel is private\n"),
])
def test_notify_test_explains_each_refusal_and_exits_3(project, slack, capfd, error, expected):
    slack.errors = [error]
    code, out, err = run_cli(capfd, "notify", "test")
    assert (code, out, err) == (3, "", expected)
    assert slack.messages == []


def test_notify_test_with_a_wrong_token_says_invalid_auth_and_never_prints_it(project, monkeypatch, capfd):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong-WRONGSECRET")
    code, out, err = run_cli(capfd, "-vv", "notify", "test")
    assert (code, out) == (3, "")
    assert err.endswith("reconciler: Slack rejected the token (invalid_auth): check notify.slack.token "
                        "(SLACK_BOT_TOKEN); a bot token starts with xoxb-\n")
    assert "WRONGSECRET" not in err


def test_notify_test_by_webhook(project, slack, monkeypatch, capfd):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
    code, out, err = run_cli(capfd, "notify", "test")
    assert code == 0
    assert out == f"Slack accepted the test message through the incoming webhook http://127.0.0.1:{slack.port}/***\n"
    assert len(slack.webhook_posts) == 1
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url.replace("WEBHOOKSECRET456", "GONE789"))
    code, out, err = run_cli(capfd, "notify", "test")
    assert code == 3
    assert err == ("reconciler: the webhook no longer exists (no_service): create a new incoming webhook and update "
                   f"SLACK_WEBHOOK_URL (webhook http://127.0.0.1:{slack.port}/***, HTTP 404)\n")
    assert "GONE789" not in err


def test_notify_test_without_slack_prints_the_payload_and_exits_0(project, monkeypatch, capfd):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    code, out, err = run_cli(capfd, "notify", "test")
    assert code == 0
    doc = json.loads(out)
    assert doc["channel"] == "#migration-updates"
    assert doc["text"] == ("👋 reconciler test message: This channel will receive the migration's alerts and daily "
                           "updates (not sent: no Slack token or webhook is set).")
    assert "bot token" not in out
    assert err == ("nothing sent: schedule.yaml sets neither notify.slack.token nor "
                   "notify.slack.webhook_url (above: the payload that would be sent)\n")


@pytest.mark.parametrize("locale, expected", [
    ("en", "(not sent: no Slack token or webhook is set)"),
    ("es", "(no enviado: no hay token ni webhook de Slack)"),
])
def test_notify_test_never_claims_a_bot_token_that_is_not_set(project, monkeypatch, capfd, locale, expected):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("NOTIFY_LOCALE", locale)
    code, out, _ = run_cli(capfd, "notify", "test", "--dry-run")
    assert code == 0
    assert json.loads(out)["text"].endswith(expected + ".")
    assert "bot" not in out


def test_notify_test_dry_run_with_a_token_names_the_bot_token_and_sends_nothing(project, slack, capfd):
    code, out, err = run_cli(capfd, "notify", "test", "--dry-run")
    assert (code, err, slack.messages) == (0, "", [])
    assert json.loads(out)["text"].endswith("(bot token).")


def test_notify_flush_dry_run_prints_payloads_and_sends_nothing_then_flush_sends(project, slack, capfd):
    store = with_lifecycle(open_report_store(load_config(project / "schedule.yaml"), upgrade=True))
    record(store, "fail", T0)
    code, out, _ = run_cli(capfd, "notify", "flush", "--dry-run", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["dry_run"], doc["pending"], slack.messages) == (1, 1, [])
    assert doc["payloads"][0]["key"] == "alert:1"
    assert doc["payloads"][0]["payload"]["text"].startswith("🔴 Data check failing: row_match (device_events)")
    code, out, _ = run_cli(capfd, "notify", "flush")
    assert code == 0
    assert out == ("sent 1, found already posted 0, folded into reminders 0, skipped 0, dry run 0; "
                   "0 still pending\n")
    assert len(slack.messages) == 1


def test_notify_flush_exits_3_when_slack_is_down_and_keeps_the_messages(project, slack, capfd):
    store = with_lifecycle(open_report_store(load_config(project / "schedule.yaml"), upgrade=True))
    record(store, "fail", T0)
    slack.stop()
    code, out, err = run_cli(capfd, "notify", "flush")
    assert code == 3
    assert out.endswith("1 still pending\n")
    assert err.startswith(f"reconciler: Slack Web API at {slack.api_url} is unreachable")
    assert outbox_depth(store) == 1


def test_run_stores_then_tells_slack_through_the_outbox(tmp_path, monkeypatch, sqlite_demo, slack, capfd):
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("NOTIFY_DIGEST_AT", "")
    monkeypatch.setenv("NOTIFY_LOCALE", "es")
    monkeypatch.chdir(tmp_path)
    start = sqlite_demo["end"] - 2 * (sqlite_demo["end"] - sqlite_demo["start"]) / 4
    code, out, _ = run_cli(capfd, "run", "hourly-shadow", "--start", iso(start), "--end", iso(sqlite_demo["end"]),
                           "--format", "json")
    assert code == 1
    assert json.loads(out)["status"] == "fail"  # stdout stays one JSON document
    top = slack.top_level()
    assert top and all(m["text"].startswith("🔴 Falla un chequeo de datos") for m in top)
    store = open_report_store(load_config(tmp_path / "schedule.yaml"))
    assert outbox_depth(store) == 0
    assert len({m["metadata"]["event_payload"]["key"] for m in slack.messages}) == len(slack.messages)



def test_store_down_is_told_directly_once_then_its_recovery(tmp_path, monkeypatch, sqlite_demo, slack, capfd):
    copy_project(tmp_path)
    use_sources(monkeypatch, sqlite_demo["old"], sqlite_demo["new"], sqlite_demo["timezone"])
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("NOTIFY_DIGEST_AT", "")
    monkeypatch.setenv("REPORT_DATABASE_URL", "postgresql+psycopg://reconciler:hunter2secret@127.0.0.1:1/nowhere")
    monkeypatch.chdir(tmp_path)
    quarter = (sqlite_demo["end"] - sqlite_demo["start"]) / 4
    hour = ["--start", iso(sqlite_demo["start"]), "--end", iso(sqlite_demo["start"] + quarter)]
    for _ in range(2):
        code, out, err = run_cli(capfd, "run", "hourly-shadow", *hour)
        assert code == 3 and "report store postgresql+psycopg://reconciler:***@127.0.0.1:1/nowhere" in err
    assert len(slack.messages) == 1  # the second failure is within remind_every
    [down] = slack.messages
    assert down["text"].startswith("⚠️ The checker is broken: hourly-shadow could not run: report store ")
    assert "hunter2secret" not in str(down) and "hunter2secret" not in "".join(slack.raw_requests)
    monkeypatch.delenv("REPORT_DATABASE_URL")
    code, out, err = run_cli(capfd, "run", "hourly-shadow", *hour)
    assert code == 0, err
    [back] = [m for m in slack.messages if m.get("thread_ts") == down["ts"]]
    assert back["text"].startswith("✅ The checker works again: *hourly-shadow* ran")
    assert not (tmp_path / "reports" / "notify" / "store-down.json").exists()


def test_bad_notify_keys_are_named_with_file_line_and_exit_2(tmp_path, capfd):
    config = tmp_path / "schedule.yaml"
    config.write_text('sources:\n  old: {url: "sqlite:///old.db"}\nnotify:\n  locale: fr\n  digest_at: "25:00"\n'
                      '  remind_every: often\n  slack: {token: x, api_ur: "http://x"}\n')
    code, out, err = run_cli(capfd, "--config", config, "notify", "flush")
    assert (code, out) == (2, "")
    assert err == (
        "reconciler: 4 problems\n"
        f"  - {config}:7: notify.slack.api_ur: unknown key (expected one of: token, channel, webhook_url, base_url, "
        "api_url); did you mean 'api_url'?\n"
        f"  - {config}:4: notify.locale: must be one of 'en' or 'es', got 'fr'\n"
        f"  - {config}:5: notify.digest_at: expected a UTC time HH:MM such as 08:00, got '25:00'\n"
        f"  - {config}:6: notify.remind_every: expected a duration such as 30s, 10m, 1h30m or 2d, got 'often'\n")


def test_an_unquoted_digest_time_is_read_as_the_time_it_says(tmp_path):
    config = tmp_path / "schedule.yaml"
    config.write_text('sources:\n  old: {url: "sqlite:///old.db"}\nnotify:\n  digest_at: 10:30\n')
    assert load_config(config).config.notify.digest_at == "10:30"
