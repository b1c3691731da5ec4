"""Declared checks and how each type is judged: the registry, a dataset's evidence
(judgement), SQL rules, Great Expectations suites, continuous aggregates and pipeline health."""
