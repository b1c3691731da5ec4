#!/usr/bin/env python3
"""Diagnosis for bench_rows.py: run the row diff in-process on a scenario and check the
result key by key against the loader's manifest, as shipped and with the refine-clip fix
monkeypatched in (the engine files are not modified).

    .venv/bin/python bench/diagnose_rows.py 1h_diff            # as shipped, then patched
    .venv/bin/python bench/diagnose_rows.py 1h_diff --profile  # + cProfile of the shipped run

The bug (found by this benchmark at 21:12 UTC, before 3301c18: 10 missing and 6 changed rows of 1h_diff
never reported, 132 old / 122 new rows counted nowhere; fixed upstream in 3301c18 with widths that
divide, finer_width()): RowDiff._refine grouped rows by floor(t / finer) with finer = width // 16
(1000 ms -> 62 ms -> 3 ms), which does not divide the segment width, so a group can start
before the differing segment that holds its rows. _clip looks the segment up by the group's
*start* (bisect_right(starts, lo) - 1), finds the previous segment (or the first one), and
builds a wrong or empty Segment; the rows of that group are never fetched and never counted.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from bisect import bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rows  # noqa: E402
from reconciler.compare import compare_dataset  # noqa: E402
from reconciler.config.loader import load_config  # noqa: E402
from reconciler.rowdiff import engine  # noqa: E402
from reconciler.rowdiff.segments import Segment  # noqa: E402
from reconciler.timeutil import Window  # noqa: E402


def fixed_clip(g, width, segs, starts):
    """The segment that actually overlaps group g: look it up by the group's last unit."""
    lo, hi = g * width, (g + 1) * width
    s = segs[max(0, bisect_right(starts, hi - 1) - 1)]
    assert s.lo < hi and s.hi > lo, (g, width, s)
    return Segment(max(lo, s.lo), min(hi, s.hi))


def run(sc, config, label, profile=False):
    loaded = load_config(str(config))
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    res = compare_dataset(loaded, "device_events", Window(sc["start"], sc["end"]), rows=True)
    if prof:
        prof.disable()
    wall = time.perf_counter() - t
    tot = res.totals
    accounted_old = tot["matched"] + tot["mismatched"] + tot["missing_in_new"] + tot["duplicates_old"]
    accounted_new = tot["matched"] + tot["mismatched"] + tot["extra_in_new"] + tot["duplicates_new"]
    print(f"{label}: {wall:.2f}s timings {json.dumps({k: round(v, 2) for k, v in res.timings.items()})}")
    print(f"  totals old={tot['old']} new={tot['new']} matched={tot['matched']} mismatched={tot['mismatched']} "
          f"missing={tot['missing_in_new']} extra={tot['extra_in_new']} fetched={tot['rows_fetched']}")
    print(f"  rows accounted for: old {accounted_old} of {tot['old']} ({tot['old'] - accounted_old} lost), "
          f"new {accounted_new} of {tot['new']} ({tot['new'] - accounted_new} lost)")
    inj = sc["injected"]
    if inj:
        for kind, keys in inj.items():
            got = {s["key"]["event_id"] for s in res.samples[kind]}
            print(f"  {kind}: injected {len(keys)}, reported {len(got)}, not reported {len(set(keys) - got)}, "
                  f"reported but not injected {len(got - set(keys))}")
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(30)
        print(s.getvalue())
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=list(bench_rows.SCENARIOS))
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    sc = bench_rows.scenario(a.scenario)
    _, config = bench_rows.write_configs(sc)  # no suite: no Great Expectations in the way
    run(sc, config, "as shipped", a.profile)
    engine.RowDiff._clip = staticmethod(fixed_clip)
    run(sc, config, "with the _clip fix")


if __name__ == "__main__":
    main()
