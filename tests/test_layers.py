"""Imports run one way: the engines (sources, dialects, compare) never reach up into the
layers that judge, store, render, notify or serve their evidence, and only the CLI imports
the CLI. Read from the source with `ast`, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
ENGINE = ("compare", "sources", "dialects")
ABOVE_ENGINE = ("reconciler.checks", "reconciler.store", "reconciler.report", "reconciler.cli",
                "reconciler.service", "reconciler.notify", "reconciler.gate")


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])


def imported(path: Path, package: str | None = None) -> set[str]:
    """Every module `path` imports, absolute; `from reconciler import cli` counts as reconciler.cli."""
    package = package or package_of(path)
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PACKAGE / folder).rglob("*.py"))


def reaches(names: set[str], layers) -> list[str]:
    return sorted(n for n in names for layer in layers if n == layer or n.startswith(layer + "."))


def test_the_engines_import_nothing_above_them():
    found = modules(*ENGINE)
    assert len(found) > 20 and PACKAGE / "compare" / "dataset.py" in found
    offending = {str(p.relative_to(PACKAGE)): reaches(imported(p), ABOVE_ENGINE) for p in found}
    assert {p: bad for p, bad in offending.items() if bad} == {}


def test_only_the_cli_imports_the_cli():
    """`python -m reconciler` (__main__.py) is the CLI's other door, so it may."""
    outside = [p for p in PACKAGE.rglob("*.py") if (PACKAGE / "cli") not in p.parents and p.name != "__main__.py"]
    assert PACKAGE / "service" / "scheduler.py" in outside
    offending = {str(p.relative_to(PACKAGE)): reaches(imported(p), ("reconciler.cli",)) for p in outside}
    assert {p: bad for p, bad in offending.items() if bad} == {}


def test_the_import_reader_sees_lazy_and_relative_imports(tmp_path):
    """The guard itself: a function-level import and a relative one are both found."""
    module = tmp_path / "probe.py"
    module.write_text("import json\n\ndef f():\n    from reconciler.checks.suites import preload\n"
                      "    from ..store import engine\n    from . import counts\n")
    names = imported(module, "reconciler.compare")
    assert reaches(names, ABOVE_ENGINE) == ["reconciler.checks.suites", "reconciler.checks.suites.preload",
                                            "reconciler.store", "reconciler.store.engine"]
    assert {"json", "reconciler.compare", "reconciler.compare.counts"} <= names


def top_level_imports(path: Path) -> set[str]:
    """What a module imports when it is loaded (not inside a function)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_config_reaches_the_check_types_only_lazily_and_nothing_else_of_the_checks():
    """The config layer's one upstream import (docs/architecture.md): the registry of check
    types, whose models validate each check, imported when a check is validated."""
    found = modules("config")
    reached = {str(p.relative_to(PACKAGE)): reaches(imported(p), ("reconciler.checks",)) for p in found}
    assert {p: r for p, r in reached.items() if r} == {"config/models.py": ["reconciler.checks.types",
                                                                           "reconciler.checks.types.CHECK_TYPES"]}
    assert not any(reaches(top_level_imports(p), ABOVE_ENGINE) for p in found)


def test_a_check_type_module_loads_no_engine_or_library_it_runs_with():
    """Loading the registry (every config load does) must stay cheap: the runners' imports
    (engines, Great Expectations, Redis, pandas) happen when a check runs."""
    heavy = ("reconciler.compare", "reconciler.sources", "reconciler.store", "reconciler.checks.judgement",
             "reconciler.checks.rules", "reconciler.checks.suites", "reconciler.checks.health", "pandas", "redis",
             "great_expectations", "sqlalchemy")
    found = modules("checks/types")
    assert len(found) >= 10
    loaded = {str(p.relative_to(PACKAGE)): reaches(top_level_imports(p), heavy) for p in found}
    assert {p: r for p, r in loaded.items() if r} == {}


def test_the_store_imports_nothing_that_renders_notifies_gates_or_serves():
    """The Slack lifecycle reaches the store's transaction through a hook service/ wires up."""
    found = modules("store")
    assert PACKAGE / "store" / "store.py" in found
    above = ("reconciler.report", "reconciler.notify", "reconciler.gate", "reconciler.service", "reconciler.cli")
    offending = {str(p.relative_to(PACKAGE)): reaches(imported(p), above) for p in found}
    assert {p: bad for p, bad in offending.items() if bad} == {}


def test_notify_reaches_the_store_tables_only_through_store_functions():
    """Outside store/, nothing queries the store's tables: notify/ keeps the decisions, its SQL
    lives in store/ (outbox.py, alerts.py, result_history.py, ledger.py)."""
    found = modules("notify")
    assert PACKAGE / "notify" / "lifecycle.py" in found
    tables = ("reconciler.store.schema", "reconciler.store.engine")
    offending = {str(p.relative_to(PACKAGE)): reaches(imported(p), tables) for p in found}
    assert {p: bad for p, bad in offending.items() if bad} == {}
