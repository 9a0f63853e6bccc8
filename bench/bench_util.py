"""What the Python drivers of hone's benchmarks share: running a step with its output in
a log, and writing and reading their JSON results atomically."""
import json
import os
import subprocess
import sys
import time


def run(cmd, log, env=None, who="bench"):
    """Runs cmd with its output in `log`; returns the wall seconds. Exits on failure."""
    start = time.perf_counter()
    with open(log, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{who}: {' '.join(cmd)} exited {proc.returncode}; see {log}")
    return wall


def save(path, value):
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)


def load(path, missing_ok=False):
    """The JSON at `path`; None when it does not exist and `missing_ok`."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise


def fmt(x, spec="{:.2f}"):
    return "-" if x is None else spec.format(x)
