"""The typed, immutable shape of schedule.yaml. Validation lives here, as pydantic models;
loader.py turns pydantic's errors into messages that name file, line and key."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value) -> timedelta:
    """`90s`, `10m`, `1h30m`, `2d`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m and any(m.groups()):
            d, h, mi, s = (int(x or 0) for x in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise ValueError(f"expected a duration such as 30s, 10m, 1h30m or 2d, got {value!r}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(Strict):
    url: str = Field(description="SQLAlchemy URL (or redis:// for a queue); empty disables the source")
    statement_timeout: timedelta = timedelta(minutes=5)
    connect_timeout: timedelta = timedelta(seconds=10)
    read_only: bool = True

    @field_validator("statement_timeout", "connect_timeout", mode="before")
    @classmethod
    def _duration(cls, v):
        return parse_duration(v)


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
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as UTC or America/Bogota)") from None
        return v

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
    type: Literal["int", "float", "decimal", "text", "bool", "timestamp"] | None = None


class DiffConfig(Strict):
    slice_seconds: float | None = Field(default=None, gt=0, description="time slice of the first checksum pass "
                                        "(default 0.25 s, or one time_precision unit if coarser)")
    fetch_threshold: int = Field(default=20000, gt=0, description="rows in differing slices fetched without refining")
    list_rows: int = Field(default=200000, ge=0, description="differing rows up to this many are refined in one "
                           "pass, as one (instant, hash) per row; more, by GROUP BY passes in the databases")
    max_rows_fetched: int = Field(default=200000, gt=0, description="budget: rows fetched per side per run")
    max_seconds: float = Field(default=900, gt=0, description="budget: seconds of row comparison per run")
    chunk_rows: int = Field(default=5000, gt=0)
    sample_limit: int = Field(default=20, ge=0)
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


CHECK_TYPES = ("counts", "rows", "sql", "suite", "health", "caggs")


class CheckConfig(Strict):
    type: Literal["counts", "rows", "sql", "suite", "health", "caggs"]
    dataset: str | None = None
    suite: str | None = None
    source: str | None = None
    rules: str | None = None
    table: str | None = None
    severity: Literal["critical", "warning"] | None = None
    max_dlq: int | None = None
    max_lag_seconds: float | None = None
    dlq_key: str | None = None
    aggregate: str | None = None
    bucket_column: str = "bucket"
    count_column: str = "events"
    refresh_lag: timedelta = timedelta(hours=2)

    @field_validator("refresh_lag", mode="before")
    @classmethod
    def _duration(cls, v):
        return parse_duration(v)

    @model_validator(mode="after")
    def _needs(self):
        need = {"counts": ["dataset"], "rows": ["dataset"], "sql": ["rules"],
                "suite": ["suite", "table"], "caggs": ["dataset"], "health": ["source", "dlq_key"]}[self.type]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a check of type {self.type!r} needs {', '.join(repr(m) for m in missing)}")
        return self


class JobConfig(Strict):
    cron: str
    checks: list[str] = Field(min_length=1)
    window: Literal["previous_hour", "previous_day"] = "previous_hour"
    settle: timedelta = timedelta(minutes=10)
    recheck_hours: int = Field(default=2, ge=0)
    timezone: str = Field(default="UTC", description="IANA zone the cron expression is read in")
    max_catchup_hours: int = Field(default=24, ge=1, description="windows judged per scheduler tick at most")
    retry_backoff: timedelta = Field(default=timedelta(minutes=5), description="first wait before a failed "
                                     "window is judged again; doubles per failure, at most 6 h")
    misfire_grace_time: timedelta = Field(default=timedelta(minutes=30),
                                          description="a tick that could not start on time still runs this late")

    @field_validator("settle", "retry_backoff", "misfire_grace_time", mode="before")
    @classmethod
    def _duration(cls, v):
        return parse_duration(v)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as UTC or Europe/Berlin)") from None
        return v

    @field_validator("cron")
    @classmethod
    def _cron(cls, v):
        if len(v.split()) != 5:
            raise ValueError(f"expected a 5-field cron expression such as '5 * * * *', got {v!r}")
        return v


class ReportStoreConfig(Strict):
    url: str = "sqlite:///reports/reconciler.db"
    keep_days: int = Field(default=90, ge=1)
    directory: str = "reports"


class SlackConfig(Strict):
    token: str = ""
    channel: str = "#migration-updates"
    webhook_url: str = ""
    base_url: str | None = None


class NotifyConfig(Strict):
    slack: SlackConfig = SlackConfig()


class ServiceConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535, description="health and metrics HTTP port (0: any free port)")
    shutdown_grace: timedelta = Field(default=timedelta(seconds=20), description="on SIGTERM, how long the "
                                      "window being judged may take to finish before it is abandoned unstored")

    @field_validator("shutdown_grace", mode="before")
    @classmethod
    def _duration(cls, v):
        return parse_duration(v)


class Config(Strict):
    sources: dict[str, SourceConfig]
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    checks: dict[str, CheckConfig] = Field(default_factory=dict)
    jobs: dict[str, JobConfig] = Field(default_factory=dict)
    report_store: ReportStoreConfig = ReportStoreConfig()
    notify: NotifyConfig = NotifyConfig()
    service: ServiceConfig = ServiceConfig()
