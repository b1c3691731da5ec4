"""How the values of one changed column differ: a constant offset, a unit, rounding, a sign, NULL
against 0, case, a time zone... Pure: (old, new) pairs of normalized values in, groups out.

Each pair lists every pattern it fits (with its parameter: the offset, the factor, the
decimals). Then, greedily, the (pattern, parameter) fitting most pairs not yet explained takes
them, ties going to the more specific pattern (PRIORITY). A constant offset or a constant new
value explains pairs only when at least two, and a tenth of the column's pairs, share it (any
single pair has "an offset", and among many random changes two share one by chance); the
pairs left over are "no single pattern"."""

from __future__ import annotations

import math
import struct
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from reconciler.compare.rowdiff.columns import BOOL, DECIMAL, FLOAT, INT, TIMESTAMP

NUMBERS = (INT, FLOAT, DECIMAL, BOOL)
PRIORITY = ("null_to_zero", "zero_to_null", "null_to_empty", "empty_to_null", "case_only", "whitespace_only",
            "unicode_only", "sign_flip", "truncated", "single_precision", "rounded", "scale", "zone_shift",
            "time_truncated", "time_coarser_in_old", "offset", "to_constant")
MIN_SUPPORT = {"offset": 2, "to_constant": 2}
# ... and at least this share of the column's pairs: among many random changes, two that share
# an offset by chance are no pattern
MIN_SHARE = {"offset": 0.1, "to_constant": 0.1}
MAX_DECIMALS = 9
MAX_EXPONENT = 9
HALF_HOUR_US = 1_800_000_000
MAX_ZONE_US = 14 * 3_600_000_000
RELATIVE = 1e-9  # floats within this relative distance are the same number written twice


@dataclass
class PatternGroup:
    pattern: str  # one of PRIORITY, or "none" for the remainder
    param: object = None
    members: list = field(default_factory=list)  # indices into the pairs


def close(x: float, y: float, tolerance: float | None = None) -> bool:
    return abs(x - y) <= max(tolerance or 0.0, RELATIVE * max(abs(x), abs(y)))


def canonical(delta: float, a: float, b: float, tolerance: float | None) -> float:
    """A float difference without the noise of its operands' last bits, so that two pairs with
    the same offset give the same parameter: rounded to a power of ten above that noise (or to
    the column's tolerance)."""
    noise = max(tolerance or 0.0, 1e-12 * max(abs(a), abs(b)))
    if noise <= 0:
        return delta
    quantum = 10.0 ** math.ceil(math.log10(noise))
    return float(f"{round(delta / quantum) * quantum:.12g}")


def candidates(a, b, ctype: str, tolerance: float | None = None) -> list[tuple[str, object]]:
    """Every (pattern, parameter) the pair (old a, new b) fits."""
    if a is None or b is None:
        return _null_candidates(a, b)
    if ctype == TIMESTAMP:
        return _time_candidates(int(a), int(b))
    if ctype in NUMBERS:
        return _number_candidates(float(a), float(b), tolerance)
    return _text_candidates(str(a), str(b))


def _null_candidates(a, b) -> list:
    out = []
    if a is None and isinstance(b, (int, float)) and not isinstance(b, bool) and b == 0:
        out.append(("null_to_zero", None))
    elif a is None and b == "":
        out.append(("null_to_empty", None))
    elif b is None and isinstance(a, (int, float)) and not isinstance(a, bool) and a == 0:
        out.append(("zero_to_null", None))
    elif b is None and a == "":
        out.append(("empty_to_null", None))
    return out + [("to_constant", b)]


def _number_candidates(a: float, b: float, tolerance: float | None) -> list:
    out = []
    if a != 0 and close(b, -a, tolerance):
        out.append(("sign_flip", None))
    if not a.is_integer() and b.is_integer() and b == math.trunc(a):
        out.append(("truncated", None))
    if b != a and b == _single(a):
        out.append(("single_precision", None))
    out += [("rounded", n) for n in _rounded_to(a, b, tolerance)]
    factor = _scale(a, b, tolerance)
    if factor is not None:
        out.append(("scale", factor))
    out.append(("offset", canonical(b - a, a, b, tolerance)))
    out.append(("to_constant", b))
    return out


def _single(a: float) -> float | None:
    """a as a 4-byte float (PostgreSQL real, MySQL FLOAT) holds it; None beyond its range."""
    try:
        return struct.unpack("f", struct.pack("f", a))[0]
    except OverflowError:
        return None


def _rounded_to(a: float, b: float, tolerance: float | None) -> list[int]:
    """Every n with b = a rounded to n decimals (half up or half even), a not already so. A
    column stored with 3 decimals holds 1.2304 as 1.23, which is also "rounded to 2": the
    grouping then takes the n most pairs share."""
    exact = Decimal(repr(a))
    fits = []
    for n in range(MAX_DECIMALS + 1):
        quantum = Decimal(1).scaleb(-n)
        half_up = float(exact.quantize(quantum, rounding=ROUND_HALF_UP))
        if close(half_up, a, None):
            break  # a has at most n decimals: rounding to n or more changes nothing
        if close(b, half_up, tolerance) or close(b, round(a, n), tolerance):
            fits.append(n)
    return fits


def _scale(a: float, b: float, tolerance: float | None) -> float | None:
    if a == 0 or b == 0 or (a > 0) != (b > 0):
        return None
    exponent = round(math.log10(b / a))
    if exponent == 0 or abs(exponent) > MAX_EXPONENT:
        return None
    factor = 10.0 ** exponent
    return factor if close(b, a * factor, tolerance) else None


def _text_candidates(a: str, b: str) -> list:
    out = []
    if a.lower() == b.lower():  # not casefold() or upper(): they also unfold ligatures (ﬁ -> fi)
        out.append(("case_only", None))
    elif "".join(a.split()) == "".join(b.split()):
        out.append(("whitespace_only", None))
    elif unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b):
        out.append(("unicode_only", None))
    return out + [("to_constant", b)]


def _time_candidates(a: int, b: int) -> list:
    out = []
    delta = b - a
    if delta % HALF_HOUR_US == 0 and 0 < abs(delta) <= MAX_ZONE_US:
        out.append(("zone_shift", delta))
    for unit, name in ((1_000_000, "s"), (1000, "ms")):
        if a % unit and (b == a - a % unit or b == a - a % unit + unit) and abs(delta) < unit:
            out.append(("time_truncated", name))
            break
        if b % unit and (a == b - b % unit or a == b - b % unit + unit) and abs(delta) < unit:
            out.append(("time_coarser_in_old", name))
            break
    out.append(("offset", delta))
    out.append(("to_constant", b))
    return out


def group_pairs(pairs: list[tuple], ctype: str, tolerance: float | None = None) -> list[PatternGroup]:
    """The pairs (old, new) of one column in pattern groups, largest first, then the remainder
    (pattern "none") if any pair fits no group."""
    fits: dict[tuple, set] = {}
    for i, (a, b) in enumerate(pairs):
        for candidate in candidates(a, b, ctype, tolerance):
            fits.setdefault(candidate, set()).add(i)
    left = set(range(len(pairs)))
    groups = []

    def supported(kind: str, n: int) -> bool:
        return n >= MIN_SUPPORT.get(kind, 1) and n >= MIN_SHARE.get(kind, 0) * len(pairs)

    while left:
        best = max(((len(members & left), -PRIORITY.index(key[0]), repr(key[1]), key)
                    for key, members in fits.items() if supported(key[0], len(members & left))),
                   default=None)
        if best is None:
            break
        key = best[3]
        members = sorted(fits.pop(key) & left)
        groups.append(PatternGroup(key[0], key[1], members))
        left -= set(members)
    if left:
        groups.append(PatternGroup("none", None, sorted(left)))
    return groups

