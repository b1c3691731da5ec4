"""Findings: why the rows of a failing hour differ. Pure functions over the differing rows the
row diff fetched (timeline, dimensions, patterns), and `collect.py`, which gathers their inputs
(the few queries a failing hour needs) and turns them into `Finding`s."""
