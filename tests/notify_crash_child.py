"""Child process of test_notify_crash.py: stores a failing run, says so on stdout, then
either stops (waits to be killed) or drains the outbox to the given fake Slack."""

import sys
import time

from notify_helpers import T0, notify_config, record, with_lifecycle

from reconciler.notify import drain_outbox
from reconciler.store import ReportStore

db, mode, api_url = sys.argv[1], sys.argv[2], sys.argv[3]
store = ReportStore(f"sqlite:///{db}")
store.upgrade()
with_lifecycle(store)
record(store, "fail", T0)
print("stored", flush=True)
if mode == "store-only":
    time.sleep(120)  # killed here: stored, not sent
else:
    class Where:
        pass

    fake = Where()
    fake.api_url = api_url
    drain_outbox(store, notify_config(fake))  # killed inside: Slack has it, the outbox does not know
    print("drained", flush=True)
