"""Talking to Slack with slack-sdk: a bot token (chat.postMessage, chat.update, thread
replies, and conversations.history/replies to find a message already posted) or an incoming
webhook. Rate limits (429 + Retry-After) and connection errors are retried by slack-sdk's
own handlers. Tokens and webhook URLs never appear in a message or a log line."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.config.models import SlackConfig
from reconciler.errors import SourceError
from reconciler.redact import scrub

log = logging.getLogger(__name__)
METADATA_EVENT = "reconciler_message"
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_S = 15
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
WEBHOOK_BODY_SHOWN = 200  # characters of an unexpected webhook answer shown in the error

# What Slack's error codes mean for the person configuring it.
ADVICE = {
    "invalid_auth": "Slack rejected the token (invalid_auth): check notify.slack.token (SLACK_BOT_TOKEN); "
                    "a bot token starts with xoxb-",
    "not_authed": "no token reached Slack (not_authed): set notify.slack.token (SLACK_BOT_TOKEN)",
    "token_revoked": "the token was revoked (token_revoked): reinstall the Slack app and update SLACK_BOT_TOKEN",
    "account_inactive": "the token's app or user is deactivated (account_inactive): reinstall the Slack app",
    "missing_scope": "the bot lacks the chat:write scope (missing_scope): add it under OAuth & Permissions, "
                     "reinstall the app and update SLACK_BOT_TOKEN",
    "not_in_channel": "the bot is not a member of {channel} (not_in_channel): invite it there with "
                      "/invite @your-app",
    "channel_not_found": "Slack has no channel {channel} the bot can see (channel_not_found): check "
                         "notify.slack.channel, and invite the bot if the channel is private",
    "is_archived": "channel {channel} is archived (is_archived): choose another notify.slack.channel",
    "invalid_token": "Slack rejected the webhook (invalid_token): create a new incoming webhook and update "
                     "SLACK_WEBHOOK_URL",
    "no_service": "the webhook no longer exists (no_service): create a new incoming webhook and update "
                  "SLACK_WEBHOOK_URL",
    "no_active_hooks": "the webhook is disabled (no_active_hooks): enable incoming webhooks for the app",
    "channel_is_archived": "the webhook's channel is archived (channel_is_archived): create a new webhook",
    "ratelimited": "Slack kept answering 429 (rate limited) after {retries} retries; the messages stay queued",
}


# Slack refuses this one message (not the setup): it is set aside as `failed` and the drain
# goes on, so one bad message never blocks the ones after it.
MESSAGE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed", "invalid_blocks",
                            "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
                            "invalid_metadata_format", "metadata_too_large", "thread_not_found"})


class SlackDeliveryError(SourceError):
    """Slack refused or could not be reached; `code` is Slack's error code when it gave one."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def safe_webhook(url: str) -> str:
    """https://hooks.slack.com/services/*** : the path of a webhook URL is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/***"


def _explain(code: str, channel: str) -> str:
    advice = ADVICE.get(code)
    return advice.format(channel=channel, retries=RATE_LIMIT_RETRIES) if advice else f"Slack answered {code!r}"


def _retry_handlers():
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    return [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES)]


def _quiet_logger(name: str) -> logging.Logger:
    """slack-sdk logs the webhook URL (the secret) at DEBUG, and each failed try at ERROR:
    our own message after the retries says it once, without the secret."""
    logger = logging.getLogger(f"reconciler.notify.{name}")
    logger.setLevel(logging.CRITICAL)
    return logger


@dataclass
class Posted:
    channel: str | None
    ts: str | None


class BotDelivery:
    mode = "bot"

    def __init__(self, cfg: SlackConfig):
        from slack_sdk import WebClient

        base = cfg.web_api_url if cfg.web_api_url.endswith("/") else cfg.web_api_url + "/"
        self.channel = cfg.channel
        self.where = base
        self.client = WebClient(token=cfg.token, base_url=base, timeout=TIMEOUT_S, retry_handlers=_retry_handlers(),
                                logger=_quiet_logger("slack_web"))

    def _call(self, method: str, **kwargs):
        from slack_sdk.errors import SlackApiError

        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as e:
            code = str(e.response.get("error") or e.response.status_code)
            needed = e.response.get("needed")
            message = _explain(code, kwargs.get("channel") or self.channel)
            if needed and code == "missing_scope" and needed != "chat:write":
                message = message.replace("chat:write", needed)
            raise SlackDeliveryError(message, code) from None
        except OSError as e:  # URLError, refused, reset, timeout: after the retries
            raise SlackDeliveryError(f"Slack Web API at {self.where} is unreachable: "
                                     f"{getattr(e, 'reason', None) or e}") from None

    def post(self, payload: dict, key: str, thread_ts: str | None = None) -> Posted:
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        answer = self._call("chat_postMessage", channel=self.channel, text=payload["text"],
                            blocks=payload["blocks"], metadata=metadata, unfurl_links=False, **extra)
        return Posted(answer.get("channel"), answer.get("ts"))

    def update(self, channel: str, ts: str, payload: dict) -> Posted:
        answer = self._call("chat_update", channel=channel, ts=ts, text=payload["text"], blocks=payload["blocks"])
        return Posted(answer.get("channel") or channel, answer.get("ts") or ts)

    def channel_id(self) -> str | None:
        """The configured channel's id (conversations.list, scope channels:read / groups:read):
        reading a channel's history takes an id, where posting takes a name."""
        if CHANNEL_ID.match(self.channel):
            return self.channel
        name, cursor = self.channel.lstrip("#"), None
        for _page in range(50):
            answer = self._call("conversations_list", types="public_channel,private_channel", limit=1000,
                                exclude_archived=True, **({"cursor": cursor} if cursor else {}))
            for channel in answer.get("channels") or []:
                if channel.get("name") == name:
                    return channel.get("id")
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def find(self, key: str, channel_id: str | None, oldest: float, thread_ts: str | None = None) -> Posted | None:
        """A message this tool posted with `key` in its metadata, since `oldest` (epoch seconds)."""
        channel_id = channel_id or self.channel_id()
        if channel_id is None:
            log.warning("cannot look for an earlier copy of %s: no channel named %s found", key, self.channel)
            return None
        args = {"channel": channel_id, "oldest": f"{oldest:.6f}", "include_all_metadata": True, "limit": 200}
        method = "conversations_replies" if thread_ts else "conversations_history"
        if thread_ts:
            args["ts"] = thread_ts
        cursor = None
        for _page in range(20):
            answer = self._call(method, **args, **({"cursor": cursor} if cursor else {}))
            for message in answer.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return Posted(channel_id, message.get("ts"))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None


class WebhookDelivery:
    mode = "webhook"

    def __init__(self, cfg: SlackConfig):
        from slack_sdk.webhook import WebhookClient

        self.where = safe_webhook(cfg.webhook_url)
        self._secrets = (cfg.webhook_url, urlsplit(cfg.webhook_url).path)
        self.channel = cfg.channel
        self.client = WebhookClient(url=cfg.webhook_url, timeout=TIMEOUT_S, retry_handlers=_retry_handlers(),
                                    logger=_quiet_logger("slack_webhook"))

    def post(self, payload: dict, key: str, thread_ts: str | None = None) -> Posted:
        try:
            answer = self.client.send(text=payload["text"], blocks=payload["blocks"], unfurl_links=False)
        except OSError as e:
            raise SlackDeliveryError(f"Slack webhook {self.where} is unreachable: "
                                     f"{getattr(e, 'reason', None) or e}") from None
        if answer.status_code != 200:
            code = (answer.body or "").strip() or str(answer.status_code)
            if answer.status_code == 429:
                code = "ratelimited"
            raise SlackDeliveryError(f"{_explain(code, self.channel)} (webhook {self.where}, "
                                     f"HTTP {answer.status_code})", code)
        body = (answer.body or "").strip()
        if body != "ok":  # Slack's webhooks answer `ok`: a 200 with anything else came from something else
            shown = scrub(body, secrets=self._secrets)
            shown = shown if len(shown) <= WEBHOOK_BODY_SHOWN else shown[:WEBHOOK_BODY_SHOWN] + "…"
            raise SlackDeliveryError(f"Slack webhook {self.where} answered HTTP 200 without Slack's 'ok' (a proxy "
                                     f"or captive portal in the way?): {shown!r}")
        return Posted(None, None)


def make_delivery(cfg: SlackConfig) -> BotDelivery | WebhookDelivery | None:
    """A bot token wins over a webhook; neither: None (dry run)."""
    if cfg.token:
        return BotDelivery(cfg)
    if cfg.webhook_url:
        return WebhookDelivery(cfg)
    return None
