"""The Python launch API as installed by the Debian package: hone.Experiment drives the
packaged hone binary, which it finds beside the package (hone is not on PATH here).
Usage: launch_experiment.py ROOT PLUGIN WORKDIR  (ROOT: where the .deb was extracted)."""

import os
import sys
import unittest

ROOT, PLUGIN, WORKDIR = sys.argv[1:4]
del sys.argv[1:4]

import hone  # noqa: E402  (from ROOT, through PYTHONPATH)
from hone.experiment import find_hone  # noqa: E402

REPORT_X = "python3 -c \"import hone; hone.report_final(hone.get_params()['x'])\""


class InstalledExperimentTest(unittest.TestCase):
    def setUp(self):
        self.home = os.path.join(WORKDIR, "home")
        os.chdir(WORKDIR)

    def test_package_comes_from_the_installed_root(self):
        site = os.path.join(ROOT, "usr/lib/python3/dist-packages")
        self.assertTrue(hone.__file__.startswith(site), hone.__file__)
        self.assertEqual(find_hone(), os.path.join(ROOT, "usr/bin/hone"))

    def test_dict_config_runs_to_the_end_with_a_cmake_built_plugin(self):
        exp = hone.Experiment({
            "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialCommand": REPORT_X,
            "trialConcurrency": 2,
            "maxTrialNumber": 4,
            "tuner": {"plugin": PLUGIN, "classArgs": {"optimize_mode": "maximize"}},
            "trainingService": {"platform": "local"},
        }, home=self.home)
        self.assertEqual(exp.run(timeout=120), "done")
        trials = exp.trials()
        self.assertEqual([t["status"] for t in trials], ["succeeded"] * 4)
        self.assertEqual(sorted(t["final"] for t in trials), [0.125, 0.25, 0.375, 0.5])
        self.assertEqual([f for f in os.listdir(WORKDIR) if f.startswith(".hone-experiment-")], [])

    def test_yaml_config_starts_in_the_background_and_stops(self):
        path = os.path.join(WORKDIR, "sleepy.yaml")
        with open(path, "w") as f:
            f.write("searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
                    "trialCommand: sleep 60\ntrialConcurrency: 1\nmaxTrialNumber: 3\n"
                    "tuner: {name: random, classArgs: {optimize_mode: minimize}}\n")
        exp = hone.Experiment(path, home=self.home)
        exp_id = exp.start()
        self.assertIn(exp.status(), ("created", "running"))
        exp.stop()
        self.assertEqual(hone.Experiment.connect(exp_id, home=self.home).status(), "stopped")

    def test_bad_config_raises_with_hones_message(self):
        exp = hone.Experiment({"trialCommand": "true", "trialConcurrency": 1,
                               "searchSpace": {"x": {"_type": "uniformm", "_value": [0, 1]}}},
                              home=self.home)
        with self.assertRaisesRegex(hone.ExperimentError, "did you mean 'uniform'"):
            exp.run()


if __name__ == "__main__":
    unittest.main(verbosity=2)
