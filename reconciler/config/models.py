"""The typed, immutable shape of schedule.yaml. Validation lives here, as pydantic models;
loader.py turns pydantic's errors into messages that name file, line and key."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.config.durations import Duration, parse_duration  # noqa: F401  (parse_duration: re-exported)
from reconciler.config.phases import PhaseConfig, default_phases, with_plan_criteria, with_plan_phases
from reconciler.config.prometheus import PrometheusMetricsConfig, is_prometheus_url
from reconciler.errors import did_you_mean
from reconciler.results import DEFAULT_SAMPLE_LIMIT


def known_zone(name: str) -> str:
    """An IANA time zone name, checked."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as UTC or America/Bogota)") from None
    return name


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fields holding a URL with a password or a token: masked in repr() and str().
    _secret_urls: tuple[str, ...] = ()
    _secret_values: tuple[str, ...] = ()

    def __repr_args__(self):
        from reconciler.redact import safe_url

        for name, value in super().__repr_args__():
            if name in self._secret_urls and isinstance(value, str) and value:
                value = safe_url(value)
            elif name in self._secret_values and value:
                value = "***"
            yield name, value


class SourceConfig(Strict):
    _secret_urls = ("url",)
    _secret_values = ("bearer_token", "headers")
    url: str = Field(description="SQLAlchemy URL (redis:// for a queue, http(s):// for a Prometheus-compatible "
                     "API); empty disables the source")
    statement_timeout: Duration = timedelta(minutes=5)
    connect_timeout: Duration = timedelta(seconds=10)
    read_only: bool = True
    headers: dict[str, str] = Field(default_factory=dict, description="prometheus: HTTP headers sent with every "
                                    "query, e.g. X-Scope-OrgID for a Mimir or Thanos tenant")
    bearer_token: str = Field(default="", description="prometheus: sent as Authorization: Bearer")
    metrics: PrometheusMetricsConfig = Field(default_factory=PrometheusMetricsConfig,
                                             description="prometheus: the old and new systems' metric names")

    @field_validator("statement_timeout", "connect_timeout")
    @classmethod
    def _positive(cls, v):
        if v <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return v

    @property
    def is_prometheus(self) -> bool:
        return is_prometheus_url(self.url)

    @model_validator(mode="after")
    def _prometheus_keys(self):
        given = [k for k in ("headers", "bearer_token", "metrics") if getattr(self, k) != type(self).model_fields[k]
                 .get_default(call_default_factory=True)]
        if given and self.url and not self.is_prometheus:
            raise ValueError(f"{', '.join(repr(k) for k in given)}: for a Prometheus source only "
                             f"(a url starting with http:// or https://)")
        return self


class SideConfig(Strict):
    source: str
    table: str | None = None
    query: str | None = None
    time: str
    key: list[str] = Field(min_length=1)
    timezone: str = "UTC"
    filter: str | None = Field(default=None, description="extra SQL condition ANDed to every query")

    @field_validator("key", mode="before")
    @classmethod
    def _key_list(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        return known_zone(v)

    @model_validator(mode="after")
    def _table_or_query(self):
        if bool(self.table) == bool(self.query):
            raise ValueError("give exactly one of 'table' or 'query'")
        if self.query and not self.query.lstrip().lower().startswith(("select", "with")):
            raise ValueError("'query' must be a SELECT")
        return self

    @property
    def relation(self) -> str:
        return self.table or "(query)"


class ColumnConfig(Strict):
    old: str | None = None
    tolerance: float | None = Field(default=None, ge=0, description="absolute tolerance for numbers")
    relative_tolerance: float | None = Field(default=None, ge=0)
    trim: bool = False
    casefold: bool = False
    type: Literal["int", "float", "decimal", "text", "bool", "timestamp", "json"] | None = None


PRECISION_US = {"s": 1_000_000, "ms": 1000, "us": 1}  # microseconds in one time_precision unit
HOUR_US = 3_600_000_000


def slice_problem(slice_seconds: float, precision: str) -> str | None:
    """Why a row diff cannot slice time by `slice_seconds`, or None: the slices must tile each
    hour and be whole time_precision units."""
    slice_us = round(slice_seconds * 1_000_000)
    if slice_us == 0 or slice_us % PRECISION_US[precision] or HOUR_US % slice_us:
        return (f"{slice_seconds:g} s must divide an hour and be a whole number of time_precision units "
                f"({precision})")
    return None


class DiffConfig(Strict):
    slice_seconds: float | None = Field(default=None, gt=0, description="time slice of the first checksum pass "
                                        "(default 0.25 s, or one time_precision unit if coarser)")
    fetch_threshold: int = Field(default=20000, gt=0, description="rows in differing slices fetched without refining")
    list_rows: int = Field(default=200000, ge=0, description="differing rows up to this many are refined in one "
                           "pass, as one (instant, hash) per row; more, by GROUP BY passes in the databases")
    max_rows_fetched: int = Field(default=200000, gt=0, description="budget: rows fetched per side per run")
    max_seconds: float = Field(default=900, gt=0, description="budget: seconds of row comparison per run")
    chunk_rows: int = Field(default=5000, gt=0)
    sample_limit: int = Field(default=DEFAULT_SAMPLE_LIMIT, ge=0)
    row_hash: Literal["auto", "md5"] = Field(default="auto", description="auto: PostgreSQL/TimescaleDB on both "
                                             "sides use the built-in hashtextextended, other pairs md5; md5: always")


class DatasetConfig(Strict):
    old: SideConfig
    new: SideConfig
    columns: dict[str, ColumnConfig | None] = Field(default_factory=dict)
    time_precision: Literal["s", "ms", "us"] = "ms"
    diff: DiffConfig = DiffConfig()
    snapshot: bool = Field(default=False, description="compare every row the filters select, not a time window")
    summary_by: str | None = Field(default=None, description="snapshot: rows per value of this column, old vs new")
    summary_distinct: str | None = Field(default=None, description="snapshot: and distinct values of this one")
    allow_empty_hours: bool = Field(default=False, description="an hour with no rows on either side passes "
                                    "instead of being recorded as `empty` (missing evidence)")
    attribute_by: list[str] | None = Field(default=None, description="columns (new-side names) a failing hour's "
                                           "differences are attributed by; default: the compared text, integer and "
                                           "boolean columns with few values; [] for none")

    @field_validator("attribute_by", mode="before")
    @classmethod
    def _attribute_list(cls, v):
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _keys_align(self):
        if len(self.old.key) != len(self.new.key):
            raise ValueError(
                f"old.key has {len(self.old.key)} column(s) and new.key {len(self.new.key)}: they must pair up"
            )
        return self

    def column_pairs(self) -> list[tuple[str, str, ColumnConfig]]:
        """(old name, new name, settings) for every compared value column."""
        out = []
        for new_name, cfg in self.columns.items():
            cfg = cfg or ColumnConfig()
            out.append((cfg.old or new_name, new_name, cfg))
        return out


def check_types() -> dict:
    """The registered check types (name -> CheckType), from reconciler/checks/types/. The config
    layer's one upstream import, made when a check is validated (docs/architecture.md)."""
    from reconciler.checks.types import CHECK_TYPES

    return CHECK_TYPES


class CheckConfig(Strict):
    """What every check has. Each check type's own keys are its model in
    reconciler/checks/types/ (a subclass of this one): a mapping validated as CheckConfig
    becomes the model of its `type`, and a key its type does not know is an unknown key."""

    needs: ClassVar[tuple[str, ...]] = ()  # keys its type cannot do without

    type: str
    severity: Literal["critical", "warning"] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _as_its_type(cls, data, handler):
        if cls is not CheckConfig or not isinstance(data, dict):
            return handler(data)
        found = check_types().get(data.get("type")) if isinstance(data.get("type"), str) else None
        if found is None:  # only the type is wrong: its other keys cannot be judged without it
            return handler({"type": data["type"]} if "type" in data else {})
        return found.config.model_validate(data)

    @field_validator("type")
    @classmethod
    def _known_type(cls, v):
        known = check_types()
        if v not in known:
            raise ValueError(f"unknown check type {v!r} (known: {', '.join(known)}){did_you_mean(v, known)}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _needs(cls, data):
        if isinstance(data, dict) and cls.needs:
            missing = [k for k in cls.needs if data.get(k) is None]
            if missing:
                raise ValueError(f"a check of type {data.get('type')!r} needs {', '.join(repr(m) for m in missing)}")
        return data


class JobConfig(Strict):
    cron: str
    checks: list[str] = Field(min_length=1)
    window: Literal["previous_hour", "previous_day"] = "previous_hour"
    settle: Duration = timedelta(minutes=10)
    recheck_hours: int = Field(default=2, ge=0)
    timezone: str = Field(default="UTC", description="IANA zone the cron expression is read in")
    max_catchup_hours: int = Field(default=24, ge=1, description="windows judged per scheduler tick at most")
    retry_backoff: Duration = Field(default=timedelta(minutes=5), description="first wait before a failed "
                                     "window is judged again; doubles per failure, at most 6 h")
    misfire_grace_time: Duration = Field(default=timedelta(minutes=30),
                                          description="a tick that could not start on time still runs this late")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        return known_zone(v)

    @field_validator("checks")
    @classmethod
    def _each_once(cls, v):
        twice = sorted({name for name in v if v.count(name) > 1})
        if twice:
            raise ValueError(f"{', '.join(repr(n) for n in twice)} listed more than once")
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v):
        if len(v.split()) != 5:
            raise ValueError(f"expected a 5-field cron expression such as '5 * * * *', got {v!r}")
        from apscheduler.triggers.cron import CronTrigger

        try:
            trigger = CronTrigger.from_crontab(v, timezone="UTC")
        except ValueError as e:
            raise ValueError(f"invalid cron expression {v!r}: {e}") from None
        if trigger.get_next_fire_time(None, datetime.now(timezone.utc)) is None:
            raise ValueError(f"cron expression {v!r} never fires")
        return v


class ReportStoreConfig(Strict):
    _secret_urls = ("url",)
    url: str = "sqlite:///reports/reconciler.db"
    keep_days: int = Field(default=90, ge=1)
    directory: str = "reports"


class SlackConfig(Strict):
    _secret_values = ("token", "webhook_url")
    token: str = ""
    channel: str = "#migration-updates"
    webhook_url: str = ""
    base_url: str | None = None
    api_url: str | None = Field(default=None, description="Slack Web API address (default Slack's own); "
                                "a proxy or a test server")

    @property
    def web_api_url(self) -> str:
        return self.api_url or self.base_url or "https://slack.com/api/"


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class NotifyConfig(Strict):
    slack: SlackConfig = SlackConfig()
    locale: Literal["en", "es"] = "en"
    digest_at: str | None = Field(default="08:00", description="UTC HH:MM of the daily digest; empty: no digest")
    remind_every: Duration = Field(default=timedelta(hours=6), description="webhook mode: a still-failing "
                                    "alert is repeated at most this often")
    report_base_url: str | None = Field(default=None, description="where the reports are served; links in "
                                        "messages (default: the service's own http://HOST:PORT/reports/)")

    @field_validator("digest_at", mode="before")
    @classmethod
    def _clock(cls, v):
        if v in (None, ""):
            return None
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
            v = f"{v // 60:02d}:{v % 60:02d}"  # YAML 1.1 reads an unquoted 10:30 as 630 (base 60)
        if not _CLOCK.match(str(v)):
            raise ValueError(f"expected a UTC time HH:MM such as 08:00, got {v!r}")
        return str(v)


class ServiceConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535, description="health, metrics and reports HTTP port "
                      "(0: any free port)")
    shutdown_grace: Duration = Field(default=timedelta(seconds=20), description="on SIGTERM, how long the "
                                      "window being judged may take to finish before it is abandoned unstored")

    @property
    def reports_url(self) -> str | None:
        """Where people reach the reports this service serves, `http://HOST:PORT/reports/`: a
        wildcard address (0.0.0.0, ::) stands for this machine's name; port 0 has no fixed one."""
        if not self.port:
            return None
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            import socket

            host = socket.gethostname()
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/reports/"


class Config(Strict):
    sources: dict[str, SourceConfig]
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    checks: dict[str, CheckConfig] = Field(default_factory=dict)
    jobs: dict[str, JobConfig] = Field(default_factory=dict)
    report_store: ReportStoreConfig = ReportStoreConfig()
    notify: NotifyConfig = NotifyConfig()
    phases: dict[str, PhaseConfig] = Field(default_factory=default_phases)
    current_phase: str | None = Field(default=None, description="the migration phase under way: the one `gate`, "
                                      "the report index and the daily digest judge by default (a name under "
                                      "`phases`; default shadow)")
    service: ServiceConfig = ServiceConfig()

    @field_validator("phases", mode="before")
    @classmethod
    def _plan_criteria(cls, v):
        return with_plan_criteria(v) if isinstance(v, dict) else v

    @field_validator("phases")
    @classmethod
    def _plan_phases(cls, v):
        """A `phases:` key tunes or adds phases: the plan's phases it does not name keep their defaults."""
        return with_plan_phases(v)

    @model_validator(mode="before")
    @classmethod
    def _links_to_the_service(cls, data):
        """notify.report_base_url unset or empty: the service's own /reports/ address, where
        `reconciler schedule` (or `report serve`) serves them. A value that is set wins."""
        if not isinstance(data, dict) or not isinstance(data.get("notify", {}), dict):
            return data
        notify = data.get("notify") or {}
        if notify.get("report_base_url"):
            return data
        try:
            default = ServiceConfig.model_validate(data.get("service") or {}).reports_url
        except ValueError:  # a bad service section is reported where it is validated
            return data
        return {**data, "notify": {**notify, "report_base_url": default}}
