"""The check types: a plain dict from type name to its CheckType (base.py says what a type
holds). A new type is a module in this folder with a `TYPE`, listed below, and its section in
docs/configuration.md; nothing outside reconciler/checks/ names a type."""

from __future__ import annotations

from dataclasses import replace

from reconciler.checks.types import caggs, counts, health, lag, latency, rows, sql, suite, traffic
from reconciler.checks.types.base import CheckType, Scope, Words, english
from reconciler.reasons import generic_reason, status_message
from reconciler.results import ERROR, SKIPPED, CheckResult

CHECK_TYPES: dict[str, CheckType] = {t.TYPE.name: t.TYPE for t in (counts, rows, sql, suite, health, caggs, lag,
                                                                    latency, traffic)}


def check_type(name: str | None) -> CheckType | None:
    return CHECK_TYPES.get(name) if name else None


def type_of(cfg) -> CheckType:
    """The type of a configured check (a model from CheckConfig)."""
    return CHECK_TYPES[cfg.type]


def sources_used(config, names) -> set[str]:
    """The names under `sources` that the configured checks `names` connect to (a job's, a
    command's): what has to be reachable, and configured, to run them."""
    return {s for name in names for s in type_of(config.checks[name]).sources(config.checks[name], config)}


def source_uses(loaded, names) -> dict:
    """source name -> the key path that makes the configured checks `names` use it (the check's
    own `source`, else its dataset's side, else the check): what `LoadedConfig.require_sources`
    names when a source's url is unset."""
    uses: dict = {}
    for name in names:
        cfg = loaded.config.checks[name]
        dataset = getattr(cfg, "dataset", None)
        sides = loaded.dataset_sources(dataset) if dataset in loaded.config.datasets else {}
        used = type_of(cfg).sources(cfg, loaded.config)
        for source in [*(s for s in sides if s in used), *sorted(used - set(sides))]:  # in the file's order
            if getattr(cfg, "source", None) == source:
                key = ("checks", name, "source")
            else:
                key = sides.get(source, ("checks", name))
            uses.setdefault(source, key)
    return uses


def scope_of(result: CheckResult) -> Scope:
    """A result's scope as it was judged: a window, or a moment (`as_of`)."""
    return Scope.WINDOWED if result.window is not None else Scope.POINT_IN_TIME


def criterion_of(result: CheckResult) -> str | None:
    """The gate criterion a stored result feeds, from its type and scope."""
    found = check_type(result.check_type)
    return found.criterion(scope_of(result)) if found else None


def reason_for(result: CheckResult, words: Words = english) -> str:
    """The reason of a result that has none, in its type's words (a result of no known type:
    the generic one), read through `words`: the reasons are written in English and stored so;
    a reader's translator (notify/phrasebook.py `words_in`) gives them in another language."""
    found = check_type(result.check_type)
    if found is not None:
        return words(found.reason(result, words))
    return words(status_message(result) if result.status in (ERROR, SKIPPED) else generic_reason(result))


def with_reason(result: CheckResult) -> CheckResult:
    return result if result.reason else replace(result, reason=reason_for(result))


def is_rule(result: CheckResult) -> bool:
    found = check_type(result.check_type)
    return found is not None and found.is_rule(result)


def is_about_one_side(result: CheckResult) -> bool:
    found = check_type(result.check_type)
    return found is not None and found.about_one_side(result)


def is_measure(result: CheckResult) -> bool:
    """A measurement of the pipeline against its bound (lag, a queue's depth, write latency)."""
    found = check_type(result.check_type)
    return found is not None and found.measures


def observed_text_of(result: CheckResult) -> str | None:
    """Its type's own words for what it observed (CheckType.observed_text), if any."""
    found = check_type(result.check_type)
    return found.observed_text(result) if found is not None else None


def alert_facts(result: CheckResult) -> dict:
    """What its type's alert says beyond the reason (CheckType.alert_facts)."""
    found = check_type(result.check_type)
    return found.alert_facts(result) if found is not None else {}


def explained_by_rows(result: CheckResult) -> bool:
    found = check_type(result.check_type)
    return found is None or found.explained_by_rows(result)


__all__ = ["CHECK_TYPES", "CheckType", "Scope", "check_type", "type_of", "sources_used", "scope_of", "criterion_of",
           "reason_for", "with_reason", "is_rule", "is_measure", "alert_facts", "explained_by_rows",
           "observed_text_of"]
