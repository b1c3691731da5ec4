"""The comparison engines: hourly counts, the row diff, snapshots and the noise floor. They
return evidence; the checks layer judges it (reconciler/checks/judgement.py)."""
