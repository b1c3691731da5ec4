"""docs/cli.md, generated from the click commands: every command, its arguments and options
with their help. Regenerate after changing a command (tests/test_cli_reference.py fails
while the file is stale):

    .venv/bin/python -m reconciler.cli.reference > docs/cli.md
"""

from __future__ import annotations

import inspect
import sys

import click

REGENERATE = ".venv/bin/python -m reconciler.cli.reference > docs/cli.md"

HEADER = f"""\
# Command reference

Generated from the commands themselves by `{REGENERATE}`
(`tests/test_cli_reference.py` fails when this file is stale). What each command is for, with
examples: the [README](../README.md) and the [guide](guide.md); exit codes: the README.

Every command also accepts the common options, before or after the command and at any depth
(`reconciler report list --config prod.yaml`):

"""


def _paragraphs(text: str | None) -> str:
    """Click help text (hard-wrapped lines) as Markdown paragraphs."""
    blocks = inspect.cleandoc(text or "").split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in block.splitlines()) for block in blocks if block.strip())


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _argument_row(param: click.Argument) -> str:
    name = param.human_readable_name
    many = " ..." if param.nargs == -1 else ""
    need = "required" if param.required else "optional"
    return f"| `{name}{many}` | argument, {need} |"


def _option_row(param: click.Option, ctx: click.Context) -> str | None:
    record = param.get_help_record(ctx)
    if record is None:
        return None
    names, help_text = record
    return f"| `{_cell(names)}` | {_cell(help_text)} |"


def _params_table(command: click.Command, ctx: click.Context) -> list[str]:
    rows = [_argument_row(p) for p in command.params if isinstance(p, click.Argument)]
    rows += [row for p in command.params if isinstance(p, click.Option) if (row := _option_row(p, ctx))]
    if not rows:
        return []
    return ["| argument or option | meaning |", "| --- | --- |", *rows, ""]


def _walk(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    for name in sorted(group.commands):
        command = group.commands[name]
        sub = click.Context(command, info_name=name, parent=ctx)
        yield path + (name,), command, sub
        if isinstance(command, click.Group):
            yield from _walk(command, sub, path + (name,))


def render(cli: click.Group) -> str:
    root = click.Context(cli, info_name="reconciler")
    out = [HEADER.rstrip("\n"), "", *_params_table(cli, root)]
    out.append("Commands: " + ", ".join(f"[`{' '.join(path)}`](#reconciler-{'-'.join(path)})"
                                        for path, _command, _ctx in _walk(cli, root)) + ".")
    out.append("")
    for path, command, ctx in _walk(cli, root):
        out += [f"## reconciler {' '.join(path)}", "", _paragraphs(command.help), ""]
        pieces = " ".join(command.collect_usage_pieces(ctx))
        out += ["```", f"reconciler {' '.join(path)} {pieces}".rstrip(), "```", ""]
        if isinstance(command, click.Group):
            out += ["Subcommands: " + ", ".join(f"`{name}`" for name in sorted(command.commands)) + ".", ""]
        else:
            out += _params_table(command, ctx)
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> None:
    from reconciler.cli import cli

    sys.stdout.write(render(cli))


if __name__ == "__main__":
    main()
