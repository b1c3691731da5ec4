"""The stand-ins put in sys.modules while Great Expectations is imported: nothing is
loaded until an attribute is read, then the real module serves every reader."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_deferred_module_loads_on_first_attribute_and_then_is_the_real_one():
    out = run_python("""
        import sys
        from reconciler.deferred_import import defer
        defer("json.tool", "no_such_package.sub", "no_such_module")
        import json.tool as jt
        print(type(jt).__name__, "json.tool" in sys.modules, "no_such_module" in sys.modules)
        print(callable(jt.main), type(sys.modules["json.tool"]).__name__, jt.main is sys.modules["json.tool"].main)
    """)
    assert out.splitlines() == ["_Deferred True False", "True module True"]


def test_great_expectations_imports_without_loading_altair_or_scipy_stats():
    out = run_python("""
        import sys
        from reconciler.checks.suites import _gx
        _gx()
        print(sorted(m for m in ("altair.vegalite", "scipy.stats._stats_py") if m in sys.modules))
        from scipy import stats
        print(round(float(stats.entropy([0.5, 0.5], [0.25, 0.75])), 6), "scipy.stats._stats_py" in sys.modules)
    """)
    assert out.splitlines() == ["[]", "0.143841 True"]
