"""Common options (`--config`, `-v`, `--version`) accepted before or after the command.

People type `reconciler compare --config x.yaml` as often as `reconciler --config x.yaml
compare`. The root group declares the common options once; `CommonOptionsGroup` moves any
of them found after the command (at any depth: `report list --config x.yaml`) in front of
the command before click parses, so the group callback sees them all and every command,
including those registered later by other modules, gets them without doing anything.

A token is moved only when it is an option token of the command line itself: the values of
the command's own options (`--job -v` keeps `-v` as the job's name) and everything after
`--` stay where they are, and a command that declares an option of the same name keeps it.
`--config` given twice: the last one wins, as for any click option; `-v` counts add up.
`--config` with no value after it (the last token) is click's own "requires an argument"
error, not hoisted: moved in front of the command it would take the command's name as its value.
"""

from __future__ import annotations

import re
from datetime import datetime

import click

from reconciler.errors import UsageError

COMMON_FLAGS = ("-v", "--verbose", "--version")
COMMON_VALUED = ("--config",)
_VERBOSE_CLUSTER = re.compile(r"^-v+$")


def _takes_value(command: click.Command, token: str) -> int:
    """How many following tokens are the value of `token` as an option of `command`."""
    name = token.split("=", 1)[0]
    if "=" in token and name.startswith("--"):
        return 0
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return 0 if (param.is_flag or param.count) else param.nargs
    return 0


def _declares(command: click.Command, name: str) -> bool:
    return any(isinstance(p, click.Option) and name in (*p.opts, *p.secondary_opts) for p in command.params)


def _common_option(token: str) -> tuple[str, int] | None:
    """(option name, tokens it consumes after itself) when `token` is a common option."""
    if token in COMMON_FLAGS or _VERBOSE_CLUSTER.match(token):
        return ("--verbose" if token == "--verbose" else "--version" if token == "--version" else "-v"), 0
    if token in COMMON_VALUED:
        return token, 1
    if token.startswith("--config="):
        return "--config", 0
    return None


def _command_end(group: click.Group, ctx: click.Context, args: list[str], start: int):
    """Index of the command name in `args` at or after `start` (skipping `group`'s own options
    and their values), or None."""
    i = start
    while i < len(args):
        token = args[i]
        if token == "--":
            return None
        if token.startswith("-") and token != "-":
            i += 1 + _takes_value(group, token)
            continue
        return i
    return None


def hoist_common_options(group: click.Group, ctx: click.Context, args: list[str]) -> list[str]:
    """`args` with the common options that follow the command moved in front of it."""
    at = _command_end(group, ctx, args, 0)
    if at is None:
        return list(args)
    command = group.get_command(ctx, args[at])
    if command is None:
        return list(args)
    chain = [command]
    i = at + 1
    moved: list[str] = []
    kept: list[str] = []
    while i < len(args):
        token = args[i]
        if token == "--":
            kept += args[i:]
            break
        current = chain[-1]
        common = _common_option(token)
        if common and not any(_declares(c, common[0]) for c in chain):
            if i + common[1] >= len(args):
                raise click.BadOptionUsage(token, f"Option {token!r} requires an argument.")
            moved += args[i:i + 1 + common[1]]
            i += 1 + common[1]
            continue
        if token.startswith("-") and token != "-":
            width = 1 + _takes_value(current, token)
            kept += args[i:i + width]
            i += width
            continue
        if isinstance(current, click.Group):
            sub = current.get_command(ctx, token)
            if sub is not None:
                chain.append(sub)
        kept.append(token)
        i += 1
    return args[:at] + moved + args[at:at + 1] + kept


def common_options_epilog(group: click.Group) -> str:
    """The root's own options as a block for the end of each subcommand's --help, so that a
    reader of `reconciler report list --help` learns where the config is given."""
    ctx = click.Context(group)
    rows = [row for p in group.params if isinstance(p, click.Option) and (row := p.get_help_record(ctx))]
    width = max(len(name) for name, _ in rows) + 2
    # \b: click keeps the block's line breaks instead of rewrapping it
    return "\b\nCommon options, before or after the command:\n" + "\n".join(
        f"  {name:<{width}}{text}" for name, text in rows)


def add_common_epilog(command: click.Command, epilog: str) -> None:
    """`epilog` at the end of the --help of `command` and, for a group, of its subcommands."""
    if command.epilog is None:
        command.epilog = epilog
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_common_epilog(sub, epilog)


class CommonOptionsGroup(click.Group):
    """The root group: common options are accepted before or after any (sub)command, and each
    (sub)command's --help lists them."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        add_common_epilog(cmd, common_options_epilog(self))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = hoist_common_options(self, ctx, args)
        return super().parse_args(ctx, args)


def time_option(option: str, value: str | None, now: datetime) -> datetime | None:
    """A time option's value (ISO 8601, or relative to `now`), or exit 2 naming the option."""
    from reconciler.timeutil import parse_time

    if value is None:
        return None
    try:
        return parse_time(value, now)
    except ValueError as e:
        raise UsageError(f"{option}: {e}") from None
