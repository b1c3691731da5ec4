"""Renderings of stored runs: self-contained HTML pages and an index, JSON files, and
terminal tables (terminal.py). All of them read the one result model."""

from reconciler.report.files import render_json, write_index, write_reports
from reconciler.report.html import render_html, render_index

__all__ = ["render_html", "render_index", "render_json", "write_reports", "write_index"]
