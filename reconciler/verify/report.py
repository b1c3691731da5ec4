"""What a verification found, read back from the store: one typed result, rendered as one
JSON document (`--format json`) or as text. `totals` has the keys and meaning of compare's
(plus `unverified`: rows a budget left unchecked)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.errors import EXIT_FAILED, EXIT_OK
from reconciler.formatting import count, day, number
from reconciler.results import FAIL, PASS
from reconciler.timeutil import iso
from reconciler.verify.days import differences, uncovered_end

FINDINGS_LISTED = 50


@dataclass(frozen=True)
class VerifyReport:
    verification: dict          # the store's row
    days: int
    equal_days: int
    resumed_days: int           # done by an earlier, interrupted attempt
    differing_days: list        # [{"day", "totals", "hours"}]
    samples: dict
    findings: list
    seconds: float
    workers: dict = field(default_factory=dict)  # worker -> days it verified

    @property
    def totals(self) -> dict:
        return self.verification["totals"] or {}

    @property
    def differences(self) -> int:
        return differences(self.totals)

    @property
    def status(self) -> str:
        return PASS if self.differences == 0 and not self.totals.get("unverified") else FAIL

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.status == PASS else EXIT_FAILED

    @property
    def whole_history(self) -> bool:
        return uncovered_end(self.verification) is None

    def to_dict(self) -> dict:
        v = self.verification
        return {
            "verification": v["id"], "dataset": v["dataset"], "status": self.status,
            "complete": v["status"] == "complete",
            "range": {"start": iso(v["range_start"]), "end": iso(v["range_end"])},
            "whole_history": self.whole_history,
            "oldest_row": iso(v["oldest_row"]) if v["oldest_row"] else None,
            "newest_row": iso(v["newest_row"]) if v["newest_row"] else None,
            "old_read_only": {"at_start": v["old_read_only_at_start"], "at_start_detail": v["old_read_only_start_detail"],
                              "at_end": v["old_read_only_at_end"], "at_end_detail": v["old_read_only_end_detail"]},
            "days": {"total": self.days, "equal": self.equal_days, "differing": len(self.differing_days),
                     "resumed": self.resumed_days},
            "totals": self.totals,
            "differing_days": self.differing_days,
            "samples": self.samples,
            "findings": self.findings,
            "started_at": iso(v["created_at"].replace(microsecond=0)),
            "finished_at": iso(v["finished_at"].replace(microsecond=0)) if v["finished_at"] else None,
            "timings": {"total": round(self.seconds, 3)},
            "workers": self.workers,
        }

    def lines(self) -> list[str]:
        """The text report."""
        v, t = self.verification, self.totals
        out = [f"verification {v['id']} of {v['dataset']}: {iso(v['range_start'])} → {iso(v['range_end'])} "
               f"({self.days} days, {self.equal_days} equal, {len(self.differing_days)} differing"
               + (f", {self.resumed_days} done before this run" if self.resumed_days else "") + ")",
               f"status: {self.status.upper()}  ({_n(self.differences)} differences)",
               f"rows: old {_n(t.get('old'))}, new {_n(t.get('new'))}, matched {_n(t.get('matched'))}, "
               f"drift {_pct(t.get('drift_pct'), '+')}, match {_pct(t.get('match_pct'))}",
               "  " + ", ".join(f"{k} {_n(t.get(k))}" for k in ("mismatched", "missing_in_new", "extra_in_new",
                                                                  "duplicates_old", "duplicates_new", "unverified")),
               f"whole history: {'yes' if self.whole_history else 'no'} (oldest row "
               f"{iso(v['oldest_row']) if v['oldest_row'] else '-'}, newest row "
               f"{iso(v['newest_row']) if v['newest_row'] else '-'})",
               f"old side read-only at start: {_yes(v['old_read_only_at_start'])} ({v['old_read_only_start_detail']})",
               f"old side read-only at end: {_yes(v['old_read_only_at_end'])} ({v['old_read_only_end_detail']})"]
        if self.differing_days:
            out.append("differing days:")
            for d in self.differing_days:
                dt = d["totals"]
                out.append(f"  {d['day']}  old {_n(dt['old'])}  new {_n(dt['new'])}  mismatched {_n(dt['mismatched'])}"
                           f"  missing_in_new {_n(dt['missing_in_new'])}  extra_in_new {_n(dt['extra_in_new'])}"
                           f"  duplicates {_n(dt['duplicates_old'])}/{_n(dt['duplicates_new'])}"
                           f"  ({len(d['hours'])} differing hour(s))")
        if self.findings:
            out.append("findings:")
            out += [f"  {f['hour']}  {f['text']}" for f in self.findings[:FINDINGS_LISTED]]
            if len(self.findings) > FINDINGS_LISTED:
                out.append(f"  … and {len(self.findings) - FINDINGS_LISTED} more (--format json lists them all)")
        out.append(f"took {number(self.seconds, 1)} s")
        return out


def build_report(verification: dict, day_rows: list[dict], *, resumed_days: int, seconds: float,
                 sample_limit: int) -> VerifyReport:
    differing, samples, findings, workers = [], {}, [], {}
    for row in day_rows:
        workers[row["worker"]] = workers.get(row["worker"], 0) + 1
        if row["equal"]:
            continue
        differing.append({"day": day(row["day"]), "totals": row["totals"], "hours": row["hours"]})
        for kind, items in (row["samples"] or {}).items():
            kept = samples.setdefault(kind, [])
            kept += items[:max(0, sample_limit - len(kept))]
        findings += row["findings"] or []
    for kind in ("missing_in_new", "extra_in_new", "mismatched"):
        samples.setdefault(kind, [])
    return VerifyReport(verification, len(day_rows), sum(1 for r in day_rows if r["equal"]), resumed_days,
                        differing, samples, findings, seconds, workers)


def _n(value) -> str:
    if value is None:
        return "-"
    return count(int(value))


def _pct(value, sign: str = "") -> str:
    return "-" if value is None else f"{value:{sign}.4f} %"


def _yes(value) -> str:
    return "unknown" if value is None else "yes" if value else "no"
