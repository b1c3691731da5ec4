"""`sql`: relational integrity rules, one `.sql` file per rule whose SELECT returns the
violating rows (reconciler/checks/rules.py), on one side or on both (`source: both`: new
violations apart from those inherited from the old system). Point in time; feeds the gate's
`bookings` criterion; `reconciler check` runs it and selects among its rules by name."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.checks.context import CheckContext, CheckOutcome
from reconciler.checks.types.base import CheckType, Words, english
from reconciler.checks.types.dataset import BOOKINGS
from reconciler.config.models import CheckConfig
from reconciler.errors import ConfigError, did_you_mean
from reconciler.reasons import count, status_message
from reconciler.results import ERROR, SKIPPED, CheckResult


class SqlConfig(CheckConfig):
    needs = ("rules",)

    type: Literal["sql"] = "sql"
    rules: str
    source: str | None = None
    severity_overrides: dict[str, Literal["critical", "warning"]] = Field(
        default_factory=dict, description="sql: rule name -> severity, replacing the rule file's own")


def sql_sides(cfg: SqlConfig, override: str | None) -> tuple[str, ...]:
    source = override or cfg.source or "new"
    return ("old", "new") if source == "both" else (source,)


class SqlCheck(CheckType):
    name = "sql"
    config = SqlConfig
    holds_rules = True

    def criterion(self, scope):
        return BOOKINGS

    def in_check_command(self, cfg, config):
        return True

    def sources(self, cfg, config):
        return set(sql_sides(cfg, None))

    def rules(self, loaded, cfg) -> list:
        from reconciler.checks.rules import load_rules

        return load_rules(loaded.resolve(cfg.rules))

    def config_problems(self, loaded, name, cfg):
        """The rules folder exists, its files parse (headers, variants), and severity_overrides
        and the variants name existing rules and sources."""
        from reconciler.checks.rules import load_rules

        folder = loaded.resolve(cfg.rules)
        if not folder.exists():
            return [f"{loaded.where('checks', name, 'rules')}: rules path {folder} does not exist"]
        try:
            rules = load_rules(folder)
        except ConfigError as e:
            return [f"{loaded.where('checks', name, 'rules')}: {p}" for p in e.render().splitlines()]
        problems = []
        known = [r.name for r in rules]
        for rule in cfg.severity_overrides:
            if rule not in known:
                problems.append(f"{loaded.where('checks', name, 'severity_overrides', rule)}: unknown rule {rule!r} "
                                f"(rules in {cfg.rules}: {', '.join(known)}){did_you_mean(rule, known)}")
        sources = list(loaded.config.sources)
        for rule in rules:
            for variant in rule.variants:
                if variant.source not in sources:
                    problems.append(f"{loaded.where('checks', name, 'rules')}: {variant.path}: no source named "
                                    f"{variant.source!r} (known: {', '.join(sources)})"
                                    f"{did_you_mean(variant.source, sources)}")
        return problems

    def run(self, ctx: CheckContext, name: str, cfg) -> CheckOutcome:
        from reconciler.checks.rules import load_rules, run_rules, with_severities

        rules = with_severities(load_rules(ctx.loaded.resolve(cfg.rules)), cfg.severity_overrides)
        if ctx.rule_names:
            rules = [r for r in rules if r.name in ctx.rule_names]
        sides = sql_sides(cfg, ctx.source_override)
        missing = [s for s in sides if s not in ctx.sources]
        if missing:
            raise ConfigError(f"{ctx.loaded.where('checks', name, 'source')}: no source named "
                              f"{', '.join(repr(m) for m in missing)} (source: both means the sources 'old' and "
                              "'new')")
        if not rules:
            return CheckOutcome([])
        connections = {side: ctx.sources[side].connect for side in sides}
        return CheckOutcome(run_rules(rules, connections, sides=sides, now=ctx.now))

    def reason(self, result: CheckResult, words: Words = english) -> str:
        if result.status in (ERROR, SKIPPED):
            return status_message(result)
        return rule_reason(result)

    def is_rule(self, result):
        return True

    def about_one_side(self, result):
        return True


def rule_noun(name: str, n: int, declared: str | None = None) -> str:
    """What n rows of a rule are: its `noun:` header ('overlapping pair / overlapping pairs');
    else no_duplicate_bookings → 'duplicate bookings' (one: 'duplicate booking'); another rule →
    'violations of <rule>'."""
    if declared:
        one, _, many = declared.partition("/")
        return one.strip() if n == 1 else (many.strip() or one.strip() + "s")
    if name.startswith("no_"):
        noun = name[3:].replace("_", " ")
        return noun[:-1] if n == 1 and noun.endswith("s") else noun
    return f"{'violation' if n == 1 else 'violations'} of {name}"


def rule_reason(result: CheckResult) -> str:
    d = result.details or {}

    def noun(n: int) -> str:
        return rule_noun(result.check, n, d.get("noun"))

    if d.get("source") == "both" and d.get("new") is not None:
        new, inherited = d.get("new") or 0, d.get("inherited") or 0
        text = f"{count(new)} new {noun(new)}" if new else f"no new {noun(0)}"
        if inherited:
            text += f" ({count(inherited)} inherited from old)"
        elif not new:
            text += " on old or new"
        return text
    side = d.get("source") or "new"
    if not result.violations:
        return f"no {noun(0)} on {side}"
    text = f"{count(result.violations)} {noun(result.violations)} on {side}"
    if d.get("severity") == "warning":
        text += " (a warning rule: counted, not failed)"
    return text


TYPE = SqlCheck()
