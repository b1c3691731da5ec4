"""Kept so existing imports work: the one terminal renderer is reconciler/report/terminal.py."""

from reconciler.report.terminal import console, render_compare, render_rules, threshold_text

__all__ = ["console", "render_compare", "render_rules", "threshold_text"]
