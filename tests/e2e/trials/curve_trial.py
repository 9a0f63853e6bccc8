#!/usr/bin/python3
"""A trial with a learning curve: value(epoch) = x * (1 - 0.5^epoch), one epoch every
0.15 s, for TRIAL_BUDGET epochs (9 without one). Prints hone's report lines directly."""
import json
import os
import sys
import time

params = json.loads(os.environ["HONE_PARAMS"])
x = float(params["x"])
epochs = int(params.get("TRIAL_BUDGET", 9))
value = 0.0
for epoch in range(1, epochs + 1):
    time.sleep(0.15)
    value = x * (1 - 0.5 ** epoch)
    print("@hone " + json.dumps({"type": "intermediate", "step": epoch, "value": value}), flush=True)
print("@hone " + json.dumps({"type": "final", "value": value}), flush=True)
sys.exit(0)
