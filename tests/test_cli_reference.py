"""docs/cli.md is generated from the click commands and must be what they say today."""

from __future__ import annotations

from pathlib import Path

from test_docs import all_commands

from reconciler.cli import cli
from reconciler.cli.reference import REGENERATE, render

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == render(cli), f"docs/cli.md is stale: run `{REGENERATE}`"


def test_the_reference_has_every_command_option_and_help():
    text = render(cli)
    for path, command in all_commands():
        assert f"\n## reconciler {' '.join(path)}\n" in text
        assert " ".join(command.help.split()[:6]) in text
        for param in command.params:
            for name in param.opts:
                if name.startswith("-"):
                    assert f"`{name}" in text or f", {name}" in text or f"/ {name}" in text, (path, name)
