"""A Prometheus-compatible HTTP API as a source (Prometheus, Thanos, VictoriaMetrics, Mimir:
each serves `/api/v1/query`). PromQL is evaluated AT a given time, so a past hour gives the
same answer today as it did then.

Errors: no answer (refused, DNS, connect timeout, query timeout, HTTP 5xx) is a SourceError
(exit 3) naming the source without its secrets; a query Prometheus cannot parse (HTTP 400,
`errorType: bad_data`) is a ConfigError (exit 2) naming the config key that holds it.
An empty result is "no data" (None), never zero; so is NaN (e.g. a quantile of no observation)."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from reconciler.config.models import SourceConfig
from reconciler.errors import ConfigError, SourceError
from reconciler.redact import safe_url, scrub
from reconciler.sources.promql import duration

log = logging.getLogger(__name__)

QUERY_PATH = "/api/v1/query"
RANGE_PATH = "/api/v1/query_range"


def _epoch(t: datetime) -> str:
    return f"{t.timestamp():.3f}"


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class InstantResult:
    """What one instant query returned: a vector's samples, or a scalar as one unlabelled sample."""

    query: str
    at: datetime
    kind: str
    samples: tuple[Sample, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def empty(self) -> bool:
        return not self.samples


def number(value: float | None) -> float | None:
    """A value as the checks take it: NaN (0/0, a quantile of no observation) is no data;
    +Inf / -Inf stay (a division by zero: unbounded)."""
    if value is None or math.isnan(value):
        return None
    return value


@dataclass
class PrometheusSource:
    name: str
    config: SourceConfig
    where: Callable[..., str] | None = field(default=None, repr=False)

    def key(self, *keys) -> str:
        """Where `sources.NAME.<keys>` is written, for messages: `schedule.yaml:14: sources.prom.metrics.new.errors`."""
        if self.where is not None:
            return self.where("sources", self.name, *keys)
        return ".".join(("sources", self.name, *(str(k) for k in keys)))

    @property
    def safe_url(self) -> str:
        return safe_url(self.config.url)

    def query(self, expr: str, at: datetime, key: str) -> InstantResult:
        """`expr` evaluated at `at`. `key` says where the query comes from in the config
        (`schedule.yaml:12: sources.prom.metrics.new.requests`), for a rejected query."""
        data, warnings = self._call(QUERY_PATH, {"query": expr, "time": _epoch(at)}, expr, key)
        return InstantResult(expr, at, data.get("resultType", ""), _samples(data, expr, key), warnings)

    def values_at(self, expr: str, times: list[datetime], key: str) -> dict[datetime, float | None]:
        """`expr` evaluated at each of `times` (evenly spaced, e.g. every hour's end) in one
        range query: the same values as one instant query per time. None: no data then."""
        if len(times) == 1:
            return {times[0]: self.value(expr, times[0], key)}
        step = times[1] - times[0]
        params = {"query": expr, "start": _epoch(times[0]), "end": _epoch(times[-1]), "step": duration(step)}
        data, _ = self._call(RANGE_PATH, params, expr, key)
        if data.get("resultType") != "matrix":
            raise SourceError(f"source {self.name!r}: {RANGE_PATH} answered {data.get('resultType')!r}, not a matrix")
        series = data.get("result") or []
        if len(series) > 1:
            raise self._several(expr, key, [s.get("metric") for s in series])
        points = {round(float(ts), 3): float(v) for ts, v in (series[0]["values"] if series else [])}
        return {t: number(points.get(round(t.timestamp(), 3))) for t in times}

    def _call(self, path: str, params: dict, expr: str, key: str) -> tuple[dict, tuple[str, ...]]:
        params = {**params, "timeout": duration(self.config.statement_timeout)}
        status, body = self._get(f"{path}?{urlencode(params)}")
        payload = self._decode(status, body)
        if status != 200 or payload.get("status") != "success":
            raise self._api_error(status, payload, expr, key)
        warnings = tuple(str(w) for w in payload.get("warnings") or ())
        for warning in warnings:
            log.warning("source %r: %s: %s", self.name, expr, self._scrub(warning))
        return payload.get("data") or {}, warnings

    def _several(self, expr: str, key: str, labels: list) -> ConfigError:
        shown = ", ".join(str(x) for x in labels[:3])
        return ConfigError(f"{key}: {expr} gives {len(labels)} series ({shown}{', ...' if len(labels) > 3 else ''}) "
                           f"where one value is needed: aggregate them (sum, avg, max) or narrow the label matchers")

    def value(self, expr: str, at: datetime, key: str) -> float | None:
        """The single value `expr` gives at `at`; None for no data (an empty result or NaN)."""
        result = self.query(expr, at, key)
        if len(result.samples) > 1:
            raise self._several(expr, key, [s.labels for s in result.samples])
        return number(result.samples[0].value) if result.samples else None

    def _get(self, path_and_query: str) -> tuple[int, bytes]:
        parts = self._parts()
        connect_s = self.config.connect_timeout.total_seconds()
        read_s = self.config.statement_timeout.total_seconds()
        cls = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
        kwargs = {"context": ssl.create_default_context()} if cls is http.client.HTTPSConnection else {}
        conn = cls(parts.hostname or "", parts.port, timeout=connect_s, **kwargs)
        try:
            try:
                conn.connect()
            except (OSError, ValueError) as e:
                raise self._unreachable(e, connect_s) from None
            conn.sock.settimeout(read_s)
            try:
                conn.request("GET", parts.path.rstrip("/") + path_and_query, headers=self._headers(parts))
                response = conn.getresponse()
                return response.status, response.read()
            except TimeoutError:
                raise SourceError(f"source {self.name!r}: query exceeded its statement_timeout ({read_s:g}s)") from None
            except (OSError, http.client.HTTPException) as e:
                raise SourceError(f"source {self.name!r} ({self.safe_url}) failed: {self._scrub(str(e) or type(e).__name__)}") from None
        finally:
            conn.close()

    def _parts(self):
        parts = urlsplit(self.config.url.strip())
        try:
            parts.port
        except ValueError:
            parts = None
        if parts is None or not parts.hostname:
            raise ConfigError(f"source {self.name!r}: not a valid http(s) URL: {self.safe_url}")
        return parts

    def _headers(self, parts) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "shadow-reconciler"}
        if parts.username is not None:
            pair = f"{parts.username}:{parts.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        if self.config.bearer_token:
            headers["Authorization"] = f"Bearer {self.config.bearer_token}"
        headers.update(self.config.headers)
        return headers

    def _scrub(self, text: str) -> str:
        return scrub(text, self.config.url, secrets=[self.config.bearer_token, *self.config.headers.values()])

    def _unreachable(self, e: Exception, connect_s: float) -> SourceError:
        text = self._scrub(str(e) or type(e).__name__)
        if isinstance(e, TimeoutError):
            text = f"no connection within its connect_timeout ({connect_s:g}s)"
        return SourceError(f"source {self.name!r} ({self.safe_url}) is unreachable: {text}")

    def _decode(self, status: int, body: bytes) -> dict:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            return payload
        first = body.decode("utf-8", "replace").strip().splitlines()[:1]
        raise SourceError(f"source {self.name!r} ({self.safe_url}) did not answer like a Prometheus API "
                          f"(HTTP {status}: {self._scrub(first[0][:200]) if first else 'empty body'}); its url "
                          f"is the API's base address, e.g. http://prometheus:9090 or "
                          f"https://mimir.example.com/prometheus")

    def _api_error(self, status: int, payload: dict, expr: str, key: str) -> Exception:
        kind = payload.get("errorType") or ""
        text = self._scrub(str(payload.get("error") or payload.get("status") or "no error text"))
        if kind == "bad_data" or status == 400:
            return ConfigError(f"{key}: source {self.name!r} rejected the query {expr}: {text}")
        if kind in ("timeout", "canceled"):
            return SourceError(f"source {self.name!r}: query exceeded its statement_timeout "
                               f"({self.config.statement_timeout.total_seconds():g}s) or was cancelled: {text}")
        if status in (401, 403):
            return SourceError(f"source {self.name!r} ({self.safe_url}) refused the request (HTTP {status}): "
                               f"{text}; check its bearer_token and headers")
        return SourceError(f"source {self.name!r} ({self.safe_url}) failed (HTTP {status}"
                           f"{', ' + kind if kind else ''}): {text}")


def _samples(data: dict, expr: str, key: str) -> tuple[Sample, ...]:
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return (Sample({}, float(result[1])),)
    if kind == "vector":
        return tuple(Sample(dict(r.get("metric") or {}), float(r["value"][1])) for r in result or ())
    raise ConfigError(f"{key}: {expr} gives a {kind or 'result of no type'}; an instant vector or a scalar "
                      f"is needed (a range selector such as x[1h] must go inside a function: increase(x[1h]))")


def prometheus_sources(loaded) -> dict[str, PrometheusSource]:
    """Every Prometheus source of a loaded config (url http:// or https://)."""
    return {name: PrometheusSource(name, cfg, loaded.where)
            for name, cfg in loaded.config.sources.items() if cfg.is_prometheus}


def prometheus_source(loaded, name: str, key: tuple) -> PrometheusSource:
    """The Prometheus source `name`, which the config key `key` names; exit 2 otherwise."""
    cfg = loaded.config.sources.get(name)
    if name in loaded.unresolved:  # its url variable is unset: only what reads it fails, naming it
        raise ConfigError(f"{loaded.where('sources', name, 'url')}: {loaded.unresolved[name]}")
    if cfg is None or not cfg.is_prometheus:
        known = ", ".join(prometheus_sources(loaded)) or "none"
        raise ConfigError(f"{loaded.where(*key)}: {name!r} is not a Prometheus source (an http:// or https:// url; "
                          f"Prometheus sources: {known})")
    return PrometheusSource(name, cfg, loaded.where)
