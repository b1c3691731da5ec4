"""schedule.yaml -> Config. Interpolates ${VAR} / ${VAR:-default}, keeps the line of
every key, and reports all mistakes at once with file, line, key path and expectation."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from reconciler.config.models import Config
from reconciler.config.prometheus import is_prometheus_url
from reconciler.config.urls import source_url_problem, store_url_problem
from reconciler.errors import ConfigError, UsageError, did_you_mean

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")


@dataclass(frozen=True)
class LoadedConfig:
    """The validated config plus where each key came from, for later error messages.

    A source whose url is empty (its variable unset or empty, or written empty) is kept, with
    why, in `unresolved`: it is no configuration error until a command connects to it, so the
    commands that read only the report store never need the databases' URLs."""

    config: Config
    path: Path
    lines: dict = field(default_factory=dict, compare=False, hash=False)
    unresolved: dict = field(default_factory=dict, compare=False, hash=False)  # source name -> why it has no url

    def where(self, *keys) -> str:
        """`schedule.yaml:12: datasets.x.old.table` for a key path."""
        dotted = ".".join(str(k) for k in keys)
        line = _nearest_line(self.lines, tuple(str(k) for k in keys))
        return f"{self.path}:{line}: {dotted}" if line else f"{self.path}: {dotted}"

    def source_url(self, name: str) -> str:
        """The url of source `name`; ConfigError (exit 2, naming the variable) when it has none."""
        self.require_sources({name: ("sources", name, "url")})
        return self.config.sources[name].url

    def require_sources(self, uses: dict) -> None:
        """`uses`: source name -> the key path that uses it. ConfigError naming each unresolved one
        at the key that needs it (up front, before anything is read or judged)."""
        problems = [f"{self.where(*key)}: {self.unresolved[name]}" for name, key in uses.items()
                    if name in self.unresolved]
        if problems:
            raise ConfigError(problems if len(problems) > 1 else problems[0])

    def dataset_sources(self, dataset: str) -> dict:
        """The sources a dataset's two sides read: source name -> key path naming it."""
        ds = self.config.datasets[dataset]
        uses = {}
        for side in ("old", "new"):
            uses.setdefault(getattr(ds, side).source, ("datasets", dataset, side, "source"))
        return uses

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p

    def suite_path(self, name: str) -> Path:
        """The expectation suite `name`: expectations/NAME.json beside the config."""
        return self.resolve(f"expectations/{name}.json")


def resolve_dataset(loaded: LoadedConfig, name: str | None, command: str = "compare") -> str:
    """The dataset `command` names, or the only one configured; a clear UsageError otherwise."""
    datasets = loaded.config.datasets
    if name is None:
        if len(datasets) == 1:
            return next(iter(datasets))
        if not datasets:
            raise UsageError(f"no dataset is configured in {loaded.path} (datasets:)")
        raise UsageError(f"name the dataset to {command}: {loaded.path} configures {len(datasets)} "
                         f"({', '.join(datasets)}), e.g. reconciler {command} {next(iter(datasets))}")
    if name not in datasets:
        raise UsageError(f"unknown dataset {name!r} in {loaded.path} (known: {', '.join(datasets)})"
                         f"{did_you_mean(name, datasets)}")
    return name


def _nearest_line(lines: dict, keys: tuple) -> int | None:
    while keys:
        if keys in lines:
            return lines[keys]
        keys = keys[:-1]
    return None


@dataclass
class _Composing:
    """What composing the YAML collects besides the values."""

    env: object
    lines: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    unset_in_source_urls: dict = field(default_factory=dict)  # source name -> variables unset in its url
    unset_at: list = field(default_factory=list)  # key paths whose value kept an unset ${VAR}


def _is_source_url(path: tuple) -> bool:
    return len(path) == 3 and path[0] == "sources" and path[2] == "url"


def _compose(node, path: tuple, state: _Composing):
    """Plain Python value of a YAML node; records the line of every mapping key."""
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            state.lines[path + (key,)] = key_node.start_mark.line + 1
            if key in out:
                state.problems.append(f"line {key_node.start_mark.line + 1}: {'.'.join(path + (key,))}: "
                                      "key given twice")
            out[key] = _compose(value_node, path + (key,), state)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_compose(v, path + (str(i),), state) for i, v in enumerate(node.value)]
    value = yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    if isinstance(value, str) and "$" in value:
        value = _interpolate(value, path, node.start_mark.line + 1, state)
    return value


def _interpolate(text: str, path: tuple, line: int, state: _Composing) -> str:
    unset: list[str] = []

    def sub(m):
        name, op, default = m.group(1), m.group(2), m.group(3)
        value = state.env.get(name)
        if op == ":-" and not value:
            return default or ""
        if op == "-" and value is None:
            return default or ""
        if value is None:
            unset.append(name)
            return m.group(0)  # left as written: an empty value would cause follow-on complaints
        return value

    interpolated = _VAR.sub(sub, text)
    if unset and _is_source_url(path):
        # a source without its url fails only the commands that connect to it (LoadedConfig.unresolved)
        state.unset_in_source_urls[path[1]] = unset
        return ""
    if unset:
        state.unset_at.append(path)
    for name in unset:
        state.problems.append(f"line {line}: {'.'.join(path)}: environment variable {name} is not set "
                              f"(set it, or give a default: ${{{name}:-value}})")
    return interpolated


def _describe(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {err.get('input')!r}"
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "too_short":
        return f"needs at least {err.get('ctx', {}).get('min_length')} item(s), got {err.get('input')!r}"
    if kind.endswith(("_type", "_parsing")) or kind in ("greater_than", "greater_than_equal", "less_than",
                                                        "less_than_equal"):
        return f"{msg[0].lower()}{msg[1:]}, got {err.get('input')!r}"
    return msg


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _written(root, *keys) -> str | None:
    """The scalar at `keys` as written in the file, before ${VAR} interpolation."""
    node = root
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if str(k.value) == key), None)
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _empty_url(name: str, root, unset=()) -> str:
    """Why source `name`'s url is empty: the variables it is made of (those left unset, when
    some were), when it has any."""
    written = _written(root, "sources", name, "url") or ""
    variables = list(unset) or [m.group(1) for m in _VAR.finditer(written)]
    if not variables:
        return f"source {name!r} has an empty url"
    return (f"source {name!r} has an empty url: sources.{name}.url is {written!r} and "
            f"{' / '.join(variables)} is unset or empty (set {variables[0]}, or remove what uses the source)")


def _cross_references(raw: dict, where) -> list[str]:
    """Names that point at other sections. Works on the raw mapping so these are reported
    alongside schema mistakes, not after them."""
    sources = _mapping(raw.get("sources"))
    datasets = _mapping(raw.get("datasets"))
    checks = _mapping(raw.get("checks"))
    return (_dataset_references(datasets, sources, where)
            + _check_references(checks, datasets, sources, where)
            + _prometheus_references(datasets, sources, where)
            + _job_references(_mapping(raw.get("jobs")), checks, where)
            + _phase_reference(raw, where))


def _phase_reference(raw: dict, where) -> list[str]:
    """`current_phase` names a phase: one under `phases`, or a built-in one without that key."""
    from reconciler.config.phases import with_plan_phases

    phase = raw.get("current_phase")
    if phase is None:
        return []
    phases = list(with_plan_phases(_mapping(raw.get("phases"))))
    if phase in phases:
        return []
    return [f"{where('current_phase')}: unknown phase {phase!r} (phases: {', '.join(phases) or 'none'})"
            f"{did_you_mean(str(phase), phases)}"]


def _unresolved_sources(raw: dict, root, unset: dict) -> dict:
    """source name -> why it has no url, for every source whose url is empty."""
    out = {}
    for name, source in _mapping(raw.get("sources")).items():
        if "url" in _mapping(source) and not _mapping(source)["url"]:
            out[name] = _empty_url(name, root, unset.get(name, ()))
    return out


def _prometheus_references(datasets: dict, sources: dict, where) -> list[str]:
    """A Prometheus source answers PromQL only: no dataset side reads it (what a check reads is
    its type's to say, reconciler/checks/types/)."""
    prometheus = [n for n, s in sources.items() if is_prometheus_url(str(_mapping(s).get("url") or ""))]
    problems = []
    for name, ds in datasets.items():
        for side in ("old", "new"):
            source = _mapping(_mapping(ds).get(side)).get("source")
            if source in prometheus:
                problems.append(f"{where('datasets', name, side, 'source')}: {source!r} is a Prometheus source; "
                                f"a dataset side reads a database")
    return problems


def _dataset_references(datasets: dict, sources: dict, where) -> list[str]:
    problems = []
    for name, ds in datasets.items():
        for side_name in ("old", "new"):
            source = _mapping(_mapping(ds).get(side_name)).get("source")
            if not isinstance(source, str):
                continue
            if source not in sources:
                problems.append(
                    f"{where('datasets', name, side_name, 'source')}: unknown source {source!r} "
                    f"(known: {', '.join(sources)}){did_you_mean(source, sources)}"
                )
    return problems


def _check_references(checks: dict, datasets: dict, sources: dict, where) -> list[str]:
    problems = []
    for name, check in checks.items():
        dataset = _mapping(check).get("dataset")
        if isinstance(dataset, str) and dataset not in datasets:
            problems.append(
                f"{where('checks', name, 'dataset')}: unknown dataset {dataset!r} "
                f"(known: {', '.join(datasets) or 'none'}){did_you_mean(dataset, datasets)}"
            )
        source = _mapping(check).get("source")
        if isinstance(source, str) and source != "both" and source not in sources:
            problems.append(
                f"{where('checks', name, 'source')}: unknown source {source!r} "
                f"(known: both, {', '.join(sources)}){did_you_mean(source, sources)}"
            )
    return problems


def _job_references(jobs: dict, checks: dict, where) -> list[str]:
    problems = []
    for name, job in jobs.items():
        for i, check in enumerate(_mapping(job).get("checks") or []):
            if isinstance(check, str) and check not in checks:
                problems.append(
                    f"{where('jobs', name, 'checks', i)}: unknown check {check!r} "
                    f"(known: {', '.join(checks) or 'none'}){did_you_mean(check, checks)}"
                )
    return problems


def _url_problems(cfg: Config, where) -> list[str]:
    """Each url that no command could open: not a URL, or a database this project does not
    read. An empty source url is no problem here (LoadedConfig.unresolved)."""
    found = [(("sources", name, "url"), source_url_problem(source.url))
             for name, source in cfg.sources.items() if source.url]
    found.append((("report_store", "url"), store_url_problem(cfg.report_store.url)))
    return [f"{where(*path)}: {problem}" for path, problem in found if problem]


def _slice_problems(cfg: Config, where) -> list[str]:
    """A row diff's slice that it could not use, found now rather than when the rows are compared."""
    from reconciler.config.models import slice_problem

    found = [(name, slice_problem(ds.diff.slice_seconds, ds.time_precision))
             for name, ds in cfg.datasets.items() if ds.diff.slice_seconds is not None]
    return [f"{where('datasets', name, 'diff', 'slice_seconds')}: {problem}" for name, problem in found if problem]


def _check_problems(cfg: Config, loaded: LoadedConfig) -> list[str]:
    """What each check's type finds wrong beyond its keys: files (suites, rule files) that do
    not exist or do not parse, names they hold that point nowhere."""
    from reconciler.config.models import check_types

    types = check_types()
    return [p for name, check in cfg.checks.items() for p in types[check.type].config_problems(loaded, name, check)]


def load_config(path: str | os.PathLike, env=None) -> LoadedConfig:
    env = os.environ if env is None else env
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (give --config PATH or set RECONCILER_CONFIG)") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte {e.object[e.start]:#04x}); save the file as UTF-8") \
            from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f":{mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}{at}: not valid YAML: {problem}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}: expected a mapping with 'sources', 'datasets', 'checks', 'jobs'")
    state = _Composing(env)
    raw = _compose(root, (), state)
    lines = state.lines
    unset_problems = [f"{path}:{p.removeprefix('line ')}" for p in state.problems]
    where = LoadedConfig(Config.model_construct(sources={}), path, lines).where
    problems, cfg = [], None
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(str(x) for x in err["loc"])
            message = _describe(err)
            if err["type"] == "extra_forbidden":
                message = f"unknown key{_extra_hint(err, loc, raw)}"
            problems.append(f"{where(*loc)}: {message}")
    problems += _cross_references(raw, where)
    if cfg is not None:
        loaded = LoadedConfig(cfg, path, lines, _unresolved_sources(raw, root, state.unset_in_source_urls))
        problems += _url_problems(cfg, where) + _slice_problems(cfg, where) + _check_problems(cfg, loaded)
    # a value still holding an unset ${VAR} is reported once, as that, not also as a bad value
    follow_ons = tuple(f"{where(*key)}: " for key in state.unset_at)
    problems = unset_problems + [p for p in problems if not p.startswith(follow_ons)]
    if problems:
        raise ConfigError(problems)
    return loaded


def _extra_hint(err: dict, loc: tuple, raw: dict) -> str:
    from reconciler.config.models import (
        CheckConfig,
        ColumnConfig,
        Config,
        DatasetConfig,
        DiffConfig,
        JobConfig,
        NotifyConfig,
        ReportStoreConfig,
        ServiceConfig,
        SideConfig,
        SlackConfig,
        SourceConfig,
        check_types,
    )

    by_parent = {
        (): Config, ("sources",): SourceConfig, ("datasets",): DatasetConfig, ("checks",): CheckConfig,
        ("jobs",): JobConfig, ("report_store",): ReportStoreConfig, ("notify",): NotifyConfig,
        ("notify", "slack"): SlackConfig, ("service",): ServiceConfig,
    }
    parent = loc[:-1]
    model = by_parent.get(parent)
    if len(parent) == 2 and parent[0] == "checks":
        named = _mapping(_mapping(raw.get("checks")).get(parent[1])).get("type")
        found = check_types().get(named) if isinstance(named, str) else None
        model = found.config if found is not None else CheckConfig
    if model is None and len(parent) >= 2:
        model = by_parent.get((parent[0],)) if len(parent) == 2 else None
        if len(parent) == 3 and parent[0] == "datasets":
            model = {"old": SideConfig, "new": SideConfig, "diff": DiffConfig}.get(parent[2])
        if len(parent) == 4 and parent[0] == "datasets" and parent[2] == "columns":
            model = ColumnConfig
    if model is None:
        return ""
    known = list(model.model_fields)
    return f" (expected one of: {', '.join(known)}){did_you_mean(loc[-1], known)}{_key_of_other_types(parent, loc[-1])}"


def _key_of_other_types(parent: tuple, key: str) -> str:
    """For a check: the types that do take the key, when another type's key was given."""
    from reconciler.config.models import check_types

    if len(parent) != 2 or parent[0] != "checks":
        return ""
    owners = [name for name, t in check_types().items() if key in t.config.model_fields]
    return f"; {key} is a key of checks of type {' or '.join(owners)}" if owners else ""
