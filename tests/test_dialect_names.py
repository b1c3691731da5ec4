"""Engine differences are methods of reconciler/dialects/: no other module compares an
engine's name. Read with `ast`: a comparison with an engine name (`x.name == "postgresql"`,
`backend in ("mysql", "mariadb")`), a mapping keyed by engine names, or BY_ENGINE itself.
The report store's own engine (reconciler/store/ and the advisory lock of
notify/lifecycle.py, which runs on the store's connection) is the one exception."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
ENGINE_NAMES = {"postgresql", "postgres", "timescaledb", "mysql", "mariadb", "sqlite"}
ALLOWED = ("dialects/", "store/", "notify/lifecycle.py")


def _names_an_engine(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in ENGINE_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_an_engine(e) for e in node.elts)
    return False


def engine_name_uses(source: str, filename: str = "<probe>") -> list[int]:
    """Lines where the code decides something by an engine's name."""
    lines = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Compare) and any(_names_an_engine(n) for n in [node.left, *node.comparators]):
            lines.append(node.lineno)
        elif isinstance(node, ast.Dict) and any(k is not None and _names_an_engine(k) for k in node.keys):
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "BY_ENGINE":
            lines.append(node.lineno)
        elif isinstance(node, ast.alias) and node.name == "BY_ENGINE":
            lines.append(getattr(node, "lineno", 0))
    return sorted(set(lines))


def test_no_module_outside_dialects_compares_an_engine_name():
    offending = {}
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED):
            continue
        checked += 1
        found = engine_name_uses(path.read_text(encoding="utf-8"), str(path))
        if found:
            offending[relative] = found
    assert offending == {}
    assert checked > 80


def test_the_guard_sees_each_way_of_comparing_a_name():
    probe = ("if dialect.name == 'postgresql':\n    pass\n"
             "ok = backend in ('mysql', 'mariadb')\n"
             "statement = {'sqlite': 'ANALYZE'}.get(engine.dialect.name)\n"
             "from reconciler.dialects import BY_ENGINE\n"
             "ignored = sa.JSON().with_variant(sa.Text(), 'sqlite')\n"
             "name = 'postgresql'\n")
    assert engine_name_uses(probe) == [1, 3, 4, 5]
