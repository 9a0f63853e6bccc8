"""The example trials run under hone's trial environment and report what their
experiments expect: every intermediate step, then one final report."""

import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

from test_cpp_sdk import CPP_SDK_DIR, find_compiler
from test_python_sdk import SOURCE_DIR, hone_env

EXAMPLES_DIR = os.path.join(SOURCE_DIR, "examples")


def reports(stdout):
    return [json.loads(line[len("@hone "):]) for line in stdout.splitlines()
            if line.startswith("@hone ")]


def default_value(report):
    value = report["value"]
    return value["default"] if isinstance(value, dict) else value


class ExamplesTest(unittest.TestCase):
    def check_curve(self, result, steps):
        self.assertEqual(result.returncode, 0, result.stderr)
        got = reports(result.stdout)
        self.assertEqual([r["type"] for r in got], ["intermediate"] * steps + ["final"])
        self.assertEqual([r["step"] for r in got[:-1]], list(range(steps)))
        for report in got:
            self.assertTrue(math.isfinite(default_value(report)), report)
        return got

    def test_quickstart_trial(self):
        params = {"x": 0.5, "y": 0.2, "scale": 3.0, "depth": 2, "shape": "valley"}
        result = subprocess.run([sys.executable, "trial.py"], env=hone_env(params),
                                cwd=os.path.join(EXAMPLES_DIR, "quickstart"),
                                capture_output=True, text=True, timeout=60)
        got = self.check_curve(result, 10)
        # A training curve: the loss falls overall.
        self.assertLess(default_value(got[-1]), default_value(got[0]))

    def test_nni_compat_trial_accepts_every_search_space_key(self):
        folder = os.path.join(EXAMPLES_DIR, "nni-compat")
        with open(os.path.join(folder, "search_space.json")) as f:
            space = json.load(f)
        params = {}
        for name, spec in space.items():  # first choices, midpoints of ranges
            values = spec["_value"]
            params[name] = values[0] if spec["_type"] == "choice" else (values[0] + values[1]) / 2
        result = subprocess.run([sys.executable, "trial.py"], env=hone_env(params),
                                cwd=folder, capture_output=True, text=True, timeout=60)
        got = self.check_curve(result, 10)
        self.assertTrue(0 <= default_value(got[-1]) <= 1)

    def test_cpp_trial(self):
        compiler = find_compiler()
        if compiler is None or not os.path.exists("/usr/include/nlohmann/json.hpp"):
            self.skipTest("no C++ compiler or nlohmann/json")
        with tempfile.TemporaryDirectory() as tmp:
            binary = os.path.join(tmp, "trial")
            build = subprocess.run(
                [compiler, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-pthread",
                 "-I", CPP_SDK_DIR, os.path.join(EXAMPLES_DIR, "cpp-trial", "main.cc"),
                 "-o", binary], capture_output=True, text=True, timeout=300)
            self.assertEqual(build.returncode, 0, build.stderr)
            params = {"optimizer": {"_name": "adam", "lr": 0.003}, "width": 128,
                      "dropout": 0.3}
            result = subprocess.run([binary], env=hone_env(params), capture_output=True,
                                    text=True, timeout=60)
        got = self.check_curve(result, 8)
        self.assertEqual(sorted(got[-1]["value"]), ["accuracy", "default"])


if __name__ == "__main__":
    unittest.main()
