"""The traffic-split phase's measures: per hour, from a Prometheus source, both systems'
requests, errors and latency and the split (measure.py), and the plan's alerts and phase
criteria as pure functions over those hours (judge.py)."""
