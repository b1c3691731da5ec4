"""How surprising a count is under plain random loss. Pure.

Under the null hypothesis every row of the hour is equally likely to differ, so the number of
differences falling in a part of the hour (a range of minutes, one device) that holds a share
`p` of the hour's rows is Binomial(n, p). The Chernoff bound gives
P(X >= k) <= exp(-n * KL(k/n || p)); a pattern is reported only when that bound, multiplied
by the number of parts tried (Bonferroni), is below ALPHA. The bound over-estimates the
chance, so the test errs towards "no pattern": random loss is called random."""

from __future__ import annotations

import math

ALPHA = 1e-4  # chance of calling plain random loss a pattern, per hour and question asked


def surprise(k: int, n: int, p: float) -> float:
    """n * KL(k/n || p) in nats when k/n > p, else 0: -ln of the Chernoff bound on
    P(Binomial(n, p) >= k)."""
    if n <= 0 or k <= 0:
        return 0.0
    q = k / n
    if q <= p:
        return 0.0
    if p <= 0.0:
        return math.inf
    value = q * math.log(q / p)
    if q < 1.0:
        value += (1 - q) * math.log((1 - q) / (1 - p))
    return n * value


def threshold(tests: int, alpha: float = ALPHA) -> float:
    """The surprise a count needs to be reported when `tests` parts were tried."""
    return math.log(max(tests, 1) / alpha)


def significant(k: int, n: int, p: float, tests: int) -> bool:
    return surprise(k, n, p) >= threshold(tests)
