"""The documentation tells the truth: every command, option and config key it names exists,
every command has help and appears in the README, and every file it links to is there
(the way sqlite-utils tests its docs)."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from reconciler.checks.types import CHECK_TYPES
from reconciler.cli import cli
from reconciler.config.models import Config

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def all_commands(group: click.Group = cli, path: tuple = ()):
    for name, command in group.commands.items():
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, path + (name,))


def code_of(doc: Path) -> list[str]:
    return [block or span for block, span in CODE.findall(doc.read_text())]


def invocations() -> list[tuple[str, list[str]]]:
    """(where, tokens after `reconciler`) for every command line the docs show."""
    out = []
    for doc in DOCS:
        for code in code_of(doc):
            for line in code.splitlines():
                for m in re.finditer(r"(?:^|[\s/])reconciler\s+(.*)", line):
                    text = re.split(r"\s{2,}|\s#\s|;|&&|\|\s", m.group(1))[0]
                    out.append((f"{doc.relative_to(ROOT)}: {line.strip()}", text.split()))
    return out


def resolve(tokens: list[str]) -> tuple[click.Command, list[str]]:
    """The command the tokens name, and the option names given to it or to a group on the way."""
    command, options = cli, []
    for token in tokens:
        word = token.strip("[]()|,.:")
        if word.startswith("-"):
            options.append(word.split("=")[0].split("/")[0])
        elif isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
    return command, options


def option_names(command: click.Command) -> set[str]:
    names = set()
    for param in command.params + cli.params:
        names.update(param.opts + param.secondary_opts)
    return names | {"--help", "-h"}


def test_every_documented_command_and_option_exists():
    problems = []
    for where, tokens in invocations():
        command, options = resolve(tokens)
        known = option_names(command)
        for opt in options:
            if opt not in known:
                problems.append(f"{where}: option {opt} of `reconciler {command.name}` does not exist")
    assert problems == []
    assert len(invocations()) > 20  # the docs do show commands: this test is not vacuous


def test_every_command_has_help_and_appears_in_the_readme():
    readme = "\n".join(code_of(ROOT / "README.md"))
    for path, command in all_commands():
        assert (command.help or "").strip(), f"`reconciler {' '.join(path)}` has no help text"
        assert f"reconciler {' '.join(path)}" in readme, f"`reconciler {' '.join(path)}` is not in the README"


def model_at(model: type[BaseModel], dotted: str) -> type[BaseModel] | None:
    """The pydantic model a documented key path such as `datasets.NAME.columns.NEW` leads to."""
    for part in dotted.split("."):
        if part.isupper() or part in ("", "*"):
            continue  # a NAME placeholder: the model of the dict's values is already selected
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _model_in(field.annotation)
        if model is None:
            return None
    return model


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def documented_tables(doc: Path):
    """(key path, first-column keys, line, check types) of every table introduced by a `path` in
    backticks; a heading that names `type: X` (a check type's section) gives its types."""
    lines = doc.read_text().splitlines()
    context, types = None, ()
    for number, line in enumerate(lines, 1):
        if not line.startswith("|"):
            paths = re.findall(r"`([a-z_]+(?:\.[A-Za-z_]+)*)`", line)
            top = [p for p in paths if p.split(".")[0] in Config.model_fields]
            if line.strip():
                if line.startswith("#"):
                    types = tuple(re.findall(r"`type: ([a-z_]+)`", line))
                context = top[0] if top else (context if not line.startswith("#") else None)
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not cells or set(cells[0]) <= set("-: ") or cells[0] in ("key", "option", "type"):
            continue
        keys = re.findall(r"`([a-z_][a-z0-9_]*)`", cells[0])
        if context and keys:
            yield context, keys, number, types


def models_of(path: str, types: tuple) -> list[type[BaseModel]]:
    """The models a documented table's keys belong to: a check type's own for its section."""
    if path == "checks.NAME" and types:
        return [CHECK_TYPES[t].config for t in types if t in CHECK_TYPES] or [None]
    return [model_at(Config, path)]


def test_every_documented_config_key_exists():
    problems, checked = [], 0
    for doc in DOCS:
        for path, keys, line, types in documented_tables(doc):
            for model in models_of(path, types):
                if model is None:
                    problems.append(f"{doc.name}:{line}: `{path}` ({', '.join(types)}) is not a config section")
                    continue
                for key in keys:
                    checked += 1
                    if key not in model.model_fields:
                        problems.append(f"{doc.name}:{line}: `{path}.{key}` is not a config key"
                                        + (f" of type {', '.join(types)}" if types else ""))
    assert problems == []
    assert checked > 40


def test_every_key_of_every_check_type_is_documented():
    """Adding a check type (or a key to one) means documenting it in configuration.md."""
    doc = ROOT / "docs" / "configuration.md"
    documented: dict[str, set] = {}
    for path, keys, _, types in documented_tables(doc):
        if path == "checks.NAME":
            for t in types or ("*",):
                documented.setdefault(t, set()).update(keys)
    common = documented.get("*", set())
    missing = {name: sorted(set(t.config.model_fields) - common - documented.get(name, set()))
               for name, t in CHECK_TYPES.items()}
    assert {name: keys for name, keys in missing.items() if keys} == {}
    assert set(CHECK_TYPES) <= set(documented)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_linked_file_exists(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name} links to {target}, which does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_link_leaves_the_repository(doc):
    """A clone has nothing beside it (no ../shared/): every relative link stays inside."""
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (doc.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links to {target}, outside the repository"


def test_every_docs_page_is_linked_from_the_readme():
    readme = set(LINK.findall((ROOT / "README.md").read_text()))
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{page.name}" in readme, f"docs/{page.name} is not linked from the README"


def test_the_readme_lists_every_exit_code():
    from reconciler import errors
    from reconciler.gate.evaluate import EXIT_CODES

    codes = {getattr(errors, name) for name in dir(errors) if name.startswith("EXIT_")} | set(EXIT_CODES.values())
    table = re.search(r"## Exit codes\n\n((?:\|.*\n)+)", (ROOT / "README.md").read_text()).group(1)
    listed = [int(row.split("|")[1]) for row in table.splitlines()[2:]]
    assert listed == sorted(codes) == [0, 1, 2, 3, 4]


def test_the_guide_gives_the_events_jobs_minute_of_the_shipped_cron():
    import yaml

    cron = yaml.safe_load((ROOT / "schedule.yaml").read_text())["jobs"]["hourly-shadow"]["cron"]
    minute = {"5": "five", "10": "ten", "15": "a quarter"}[cron.split()[0]]
    assert f"on its cron ({minute} past every hour for events)" in (ROOT / "docs" / "guide.md").read_text()
