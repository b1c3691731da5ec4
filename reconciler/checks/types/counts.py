"""`counts`: rows per UTC hour on each side and their drift, judged by the dataset's suite or
the built-in bound (±1 %)."""

from __future__ import annotations

from typing import Literal

from reconciler.checks.types.dataset import DatasetComparison, DatasetComparisonConfig
from reconciler.checks.types.rows import RowsConfig


class CountsConfig(DatasetComparisonConfig):
    type: Literal["counts"] = "counts"


class CountsCheck(DatasetComparison):
    name = "counts"
    config = CountsConfig
    rows = False

    def redundant_in(self, cfg, others):
        """A rows check of the same dataset counts every hour too, and judges it with the same suite."""
        return any(isinstance(o, RowsConfig) and o.dataset == cfg.dataset for o in others)


TYPE = CountsCheck()
