"""`rows`: every row classified by key (matched, missing, extra, changed, duplicated) with the
hourly counts, judged by the dataset's suite or the built-in bounds (match ≥ 99.9 %, drift ±1 %,
no truncated comparison). On a snapshot dataset: completeness as of the run, which
`reconciler check` runs too."""

from __future__ import annotations

from typing import Literal

from reconciler.checks.types.dataset import DatasetComparison, DatasetComparisonConfig


class RowsConfig(DatasetComparisonConfig):
    type: Literal["rows"] = "rows"


class RowsCheck(DatasetComparison):
    name = "rows"
    config = RowsConfig
    rows = True

    def in_check_command(self, cfg, config):
        return config.datasets[cfg.dataset].snapshot


TYPE = RowsCheck()
