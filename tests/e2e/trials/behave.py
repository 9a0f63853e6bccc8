"""A trial whose behaviour is chosen by its first argument (end-to-end tests)."""
import json
import math
import os
import subprocess
import sys
import time

import hone

mode = sys.argv[1]
params = hone.get_params()
x = float(params.get("x", 0.5))

if mode == "ok":
    # Three intermediate reports, then the final value x.
    for step in range(3):
        hone.report_intermediate(x * (step + 1) / 3)
    hone.report_final(x)
elif mode == "sleep":
    time.sleep(float(sys.argv[2]))
    hone.report_final(x)
elif mode == "crash":
    print("about to fail", flush=True)
    sys.stderr.write("Traceback: something went wrong in the trial\n")
    sys.exit(3)
elif mode == "no_final":
    hone.report_intermediate(0.1)
elif mode == "malformed":
    print("@hone {this is not json", flush=True)
    print('@hone {"type":"final"}', flush=True)
    print('@hone {"type":"intermediate","value":"high"}', flush=True)
    print('@hone {"type":"bogus","value":1}', flush=True)
    hone.report_final(x)
elif mode == "huge_line":
    sys.stdout.write("A" * (10 * 1024 * 1024) + "\n")
    sys.stdout.flush()
    hone.report_final(x)
elif mode == "invalid_utf8":
    os.write(1, b"bytes \xff\xfe\xc3\x28 not utf-8\n")
    os.write(2, b"stderr \xff\xfe too\n")
    os.write(1, b'@hone {"type":"final","value":{"default":0.5,"note":"\xff\xfe"}}\n')
    os.write(1, b'@hone {"type":"final","value":' + str(x).encode() + b"}\n")
elif mode == "nan_inf":
    kind = params.get("kind", "finite")
    value = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf}.get(kind, x)
    hone.report_intermediate(value)
    hone.report_final(value)
elif mode == "grandchild":
    # A background grandchild that would outlive the trial if only the trial were killed.
    child = subprocess.Popen(["sleep", "1000"])
    with open(os.path.join(os.environ["HONE_OUTPUT_DIR"], "grandchild.pid"), "w") as f:
        f.write(str(child.pid))
    if sys.argv[2] == "exit":
        hone.report_final(x)
    else:
        time.sleep(1000)
elif mode == "curve":
    # Learning curves for early stopping: good configs rise, bad ones stay low.
    for step in range(int(sys.argv[2])):
        hone.report_intermediate(x * (1 - 0.5 ** (step + 1)))
        time.sleep(0.05)
    hone.report_final(x)
elif mode == "env":
    hone.report_final({"default": x, "seq": int(os.environ["HONE_TRIAL_SEQ"])})
else:
    sys.exit("unknown mode " + mode)
