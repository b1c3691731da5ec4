"""Durations as schedule.yaml writes them: `90s`, `10m`, `1h30m`, `2d`, or seconds. `Duration`
is the field type every model uses, so the parsing is declared once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value) -> timedelta:
    """`90s`, `10m`, `1h30m`, `2d`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m and any(m.groups()):
            d, h, mi, s = (int(x or 0) for x in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise ValueError(f"expected a duration such as 30s, 10m, 1h30m or 2d, got {value!r}")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
