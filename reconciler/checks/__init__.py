"""Declared checks and how each type is judged: the registry, SQL rules, Great Expectations
suites, continuous aggregates and pipeline health."""
