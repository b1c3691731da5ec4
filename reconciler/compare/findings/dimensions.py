"""Which values of a low-cardinality column (a device, an event type) the differences come
from, against their share of the hour's rows. Pure.

Two questions, each answered only when random loss would almost never produce the answer
(stats.py; ALPHA per question):

- **few values**: the differences come from only k of the hour's V values. Random loss puts
  all n within some set of k values with probability at most C(V, k) * p_k^n, p_k being the
  share of the hour's rows held by its k most common values; it is reported when
  n * ln(1/p_k) >= ln C(V, k) + ln(1/ALPHA).
- **over-represented values**: a value with a share q of the differences against a share p
  of the hour's rows (lift q/p) is reported when lift >= MIN_LIFT and its Chernoff surprise
  passes the threshold for V values tried.

When the hour's counts come from a sample of S rows, every share of the hour is taken at its
upper bound, p + 3 * sqrt(p (1 - p) / S) + 3 / S: a value the sample happened to miss is not
made to look over-represented."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from reconciler.compare.findings import stats
from reconciler.compare.findings.text import LABEL, pct
from reconciler.formatting import count
from reconciler.results import Finding

MIN_LIFT = 2.0
LISTED = 3  # values named in a sentence
EVIDENCE_VALUES = 10  # values kept in the evidence


@dataclass(frozen=True)
class ValueShare:
    value: object
    rows: int  # differences with this value
    hour_rows: int  # the hour's rows with this value

    def lift(self, n: int, total: int) -> float:
        return (self.rows / n) / (self.hour_rows / total) if self.hour_rows and total else math.inf


def value_shares(differences: Counter, hour: Counter) -> list[ValueShare]:
    """Per value among the differences, most differences first (ties by value text)."""
    shares = [ValueShare(v, k, max(hour.get(v, 0), k)) for v, k in differences.items()]
    return sorted(shares, key=lambda s: (-s.rows, str(s.value)))


def few_values_surprise(n: int, covered_share: float) -> float:
    return n * -math.log(covered_share) if 0 < covered_share < 1 else 0.0


def log_choose(v: int, k: int) -> float:
    return math.lgamma(v + 1) - math.lgamma(k + 1) - math.lgamma(v - k + 1)


def upper(p: float, sample: int | None) -> float:
    """A share of the hour at its upper bound when it was estimated from `sample` rows."""
    if not sample:
        return p
    return min(1.0, p + 3 * math.sqrt(p * (1 - p) / sample) + 3 / sample)


def dimension_finding(about: str, column: str, hour: datetime, differences: Counter, hour_counts: Counter,
                      keys_by_value: dict | None = None, sample: int | None = None) -> Finding | None:
    """The finding of one column for one class of differences in one hour, or None.
    `differences`: value -> differing rows; `hour_counts`: value -> the hour's rows on the side
    that holds them (every value of the hour; estimated from `sample` rows when given);
    `keys_by_value`: sample keys per value."""
    n = sum(differences.values())
    shares = value_shares(differences, hour_counts)
    values_in_hour = max(len(hour_counts), len(shares))
    total = max(sum(hour_counts.values()), n)
    if not n or not total or values_in_hour < 2:
        return None
    # the k most common values of the hour: the likeliest k values for random loss to stay within
    covered = upper(sum(sorted(hour_counts.values(), reverse=True)[:len(shares)]) / total, sample)
    few = few_values_surprise(n, covered)
    few_limit = log_choose(values_in_hour, len(shares)) + math.log(1 / stats.ALPHA)
    limit = stats.threshold(values_in_hour)
    over = [s for s in shares if (s.rows / n) / upper(s.hour_rows / total, sample) >= MIN_LIFT
            and stats.surprise(s.rows, n, upper(s.hour_rows / total, sample)) >= limit]
    if few < few_limit and not over:
        return None
    evidence = {"column": column, "values_in_differences": len(shares), "values_in_hour": values_in_hour,
                "hour_rows": total,
                "values": [{"value": s.value, "rows": s.rows, "share": s.rows / n, "hour_rows": s.hour_rows,
                            "hour_share": s.hour_rows / total, "lift": round(s.lift(n, total), 2)}
                           for s in shares[:EVIDENCE_VALUES]],
                "test": {"few_values": round(few, 2), "few_values_threshold": round(few_limit, 2),
                         "over_threshold": round(limit, 2)}, "hour_rows_sampled": sample}
    if few >= few_limit:
        of = f"at least {count(values_in_hour)}" if sample else count(values_in_hour)  # a sample misses rare values
        text, rows, named = _few_text(about, column, shares, n, total, of), n, shares
    else:
        text, rows, named = _over_text(about, column, over, n, total), sum(s.rows for s in over), over
    named = named[:LISTED]
    keys = [k for s in named for k in (keys_by_value or {}).get(s.value, [])[:5]]
    stable = ",".join(sorted(str(s.value) for s in named)) if len(named) == len(shares) or few < few_limit else "few"
    return Finding(hour=hour, about=about, kind="dimension", text=text, rows=rows, share=rows / n,
                   signature=f"{about}|dimension|{column}|{stable}", evidence=evidence, sample_keys=keys)


def _few_text(about: str, column: str, shares: list[ValueShare], n: int, total: int, values_in_hour: str) -> str:
    label, top = LABEL[about], shares[0]
    if len(shares) == 1:
        return (f"all {count(n)} {label} rows have `{column}` = {top.value} "
                f"({pct(top.hour_rows / total)} of the hour's rows)")
    head = f"all {count(n)} {label} rows from {count(len(shares))} of {values_in_hour} `{column}` values"
    return f"{head}; {top.value} alone {count(top.rows)} ({pct(top.hour_rows / total)} of the hour's rows)"


def _over_text(about: str, column: str, over: list[ValueShare], n: int, total: int) -> str:
    label = LABEL[about]
    parts = [f"{s.value} {count(s.rows)} ({pct(s.rows / n)} of the {label} rows, {pct(s.hour_rows / total)} of the "
             f"hour's rows)" for s in over[:LISTED]]
    more = f" and {len(over) - LISTED} more" if len(over) > LISTED else ""
    return f"`{column}` over-represented: {'; '.join(parts)}{more}"
