"""`reconciler verify`: a thin command over reconciler.verify."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from reconciler.cli.options import time_option


@click.command("verify")
@click.argument("dataset", required=False)
@click.option("--since", help="First day verified (rounded down to a UTC day). Default: the oldest row on "
              "either side.")
@click.option("--until", help="End of the range (rounded up to a UTC day, exclusive). Default: the day after "
              "the newest row on either side.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 8),
              help="Days verified at once, each on its own connections.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def verify(ctx, dataset, since, until, workers, fmt):
    """Verify DATASET's whole history, day by day: day checksums in the databases first, only
    differing days split into hours and rows. Resumable (progress is kept in the report
    store), shared by workers and replicas. Progress on stderr: a bar on a terminal, JSON lines
    otherwise. Exit 0 equal, 1 differences, 2 bad input, 3 a source or the store unreachable."""
    from reconciler.config import load_config
    from reconciler.config.loader import resolve_dataset
    from reconciler.store import open_report_store
    from reconciler.verify import VerifyRequest, verify_dataset
    from reconciler.verify.progress import VerifyProgress

    now = datetime.now(timezone.utc)
    loaded = load_config((ctx.obj or {}).get("config_path") or "schedule.yaml")
    request = VerifyRequest(resolve_dataset(loaded, dataset, "verify"), time_option("--since", since, now),
                            time_option("--until", until, now), workers)
    store = open_report_store(loaded)
    try:
        with VerifyProgress() as progress:
            report = verify_dataset(loaded, store, request, progress=progress, now=now)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines():
            click.echo(line)
    ctx.exit(report.exit_code)
