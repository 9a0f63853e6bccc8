"""Tests of the C++ trial SDK (trials/sdk/cpp/hone/trial.h) as a trial uses it: compiled
as C++17 with warnings as errors, run with hone's environment, stdout compared exactly.
Skipped where no C++ compiler or nlohmann/json header is installed."""

import os
import shutil
import subprocess
import tempfile
import unittest

from test_python_sdk import SOURCE_DIR, hone_env, trial_env

CPP_SDK_DIR = os.path.join(SOURCE_DIR, "trials", "sdk", "cpp")

PROGRAM = r"""
#include <hone/trial.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>

int main(int argc, char** argv) {
  using namespace hone::trial;
  nlohmann::json params = GetParams();
  std::cout << "params " << params.dump() << "\n";
  if (argc > 1 && std::strcmp(argv[1], "params") == 0) return 0;
  std::cout << "ids " << TrialId() << " " << TrialSeq() << " " << ExperimentId() << " "
            << OutputDir() << "\n";
  const double inf = std::numeric_limits<double>::infinity();
  ReportIntermediate(0.5);
  ReportIntermediate(std::nan(""));
  ReportIntermediate(inf, 7);
  ReportIntermediate({{"default", -inf}, {"loss", 0.25}});
  try {
    ReportFinal({{"loss", 1}});
  } catch (const std::invalid_argument& e) {
    std::cout << "invalid_argument: " << e.what() << "\n";
  }
  ReportFinal({{"default", 0.93}, {"loss", 0.21}});
  std::cout << "never flushed\n";
  _exit(0);  // skips every flush: only what the SDK flushed arrives
}
"""

REPORTS = [
    '@hone {"type":"intermediate","step":0,"value":0.5}',
    '@hone {"type":"intermediate","step":1,"value":NaN}',
    '@hone {"type":"intermediate","step":7,"value":Infinity}',
    '@hone {"type":"intermediate","step":8,"value":{"default":-Infinity,"loss":0.25}}',
    'invalid_argument: hone::trial: a metric must be a number or an object with a numeric '
    '"default", but got {"loss":1}',
    '@hone {"type":"final","value":{"default":0.93,"loss":0.21}}',
]


def find_compiler():
    for name in ("c++", "g++", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CppSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        compiler = find_compiler()
        if compiler is None:
            raise unittest.SkipTest("no C++ compiler")
        if not os.path.exists("/usr/include/nlohmann/json.hpp"):
            raise unittest.SkipTest("nlohmann/json is not installed")
        cls.tmp = tempfile.TemporaryDirectory()
        source = os.path.join(cls.tmp.name, "trial.cc")
        with open(source, "w") as f:
            f.write(PROGRAM)
        cls.binary = os.path.join(cls.tmp.name, "trial")
        build = subprocess.run(
            [compiler, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pthread", "-O0",
             "-I", CPP_SDK_DIR, source, "-o", cls.binary],
            capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            cls.tmp.cleanup()
            raise AssertionError("trial.h does not compile as C++17:\n" + build.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_trial(self, env, *args):
        return subprocess.run([self.binary, *args], env=env, capture_output=True, text=True,
                              timeout=60)

    def test_reports_match_the_wire_format(self):
        params = {"lr": 0.01, "optimizer": {"_name": "sgd", "momentum": 0.9}}
        result = self.run_trial(hone_env(params))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            'params {"lr":0.01,"optimizer":{"_name":"sgd","momentum":0.9}}',
            "ids 7 7 exp1 /tmp/hone-out-7",
        ] + REPORTS)
        self.assertEqual(result.stderr, "")

    def test_params_fall_back_to_params_json(self):
        with tempfile.TemporaryDirectory() as trial_dir:
            with open(os.path.join(trial_dir, "params.json"), "w") as f:
                f.write('{"x": 2.5}')
            env = hone_env(HONE_TRIAL_DIR=trial_dir)
            del env["HONE_PARAMS"]
            result = self.run_trial(env, "params")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, 'params {"x":2.5}\n')

    def test_bad_params_throw(self):
        result = self.run_trial(hone_env(HONE_PARAMS="[1]"), "params")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("hone::trial: HONE_PARAMS must hold a JSON object, but got [1]",
                      result.stderr)

    def test_outside_hone_params_are_empty_and_reports_printed(self):
        result = self.run_trial(trial_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         ["params {}", "ids STANDALONE 0 STANDALONE ."] + REPORTS)
        self.assertIn("hone: warning: not running as a hone trial", result.stderr)


if __name__ == "__main__":
    unittest.main()
