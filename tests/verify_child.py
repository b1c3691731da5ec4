"""Child process of test_verify.py: verifies device_events with the given config and prints
the report as JSON on stdout.

    verify_child.py CONFIG kill N       SIGKILL itself once the day after N finished days is claimed
    verify_child.py CONFIG together DIR wait until two children have started (marker files in
                                        DIR), then verify with a pause per day, so both share the days
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

from reconciler.config import load_config
from reconciler.store import open_report_store
from reconciler.verify import VerifyRequest, verify_dataset

config, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
claimed = []

if mode == "kill":
    def before_day(day):
        claimed.append(day)
        if len(claimed) > int(arg):
            os.kill(os.getpid(), signal.SIGKILL)  # mid-way: this day is claimed, not yet read
else:
    directory = Path(arg)
    (directory / f"started-{os.getpid()}").touch()

    def before_day(day):
        while len(list(directory.glob("started-*"))) < 2:
            time.sleep(0.05)
        time.sleep(0.3)

loaded = load_config(config)
store = open_report_store(loaded)
report = verify_dataset(loaded, store, VerifyRequest("device_events"), before_day=before_day)
store.close()
print(json.dumps(report.to_dict()), flush=True)
