"""Tests of the names NNI's custom tuners import from the `nni` shim, of the class runner
(`python3 -m nni.plugin_runner`) that hone starts for `tuner: {className: ...}`, and of
reporting torch tensors through nni.report_*.
Run: python3 -m unittest discover -s tests/sdk
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from test_python_sdk import SDK_DIR, hone_env, run_script, trial_env

from nni.utils import ClassArgsValidator, NodeType, convert_dict2tuple, split_index  # noqa: E402

try:
    import schema
except ImportError:
    schema = None


def has_torch():
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


class NniTensorReportTest(unittest.TestCase):
    @unittest.skipUnless(has_torch(), "torch is not installed")
    def test_zero_dim_tensors_report_as_hone_reports_them(self):
        script = """
            import torch, {module}
            {module}.{intermediate}(torch.tensor(0.5))
            {module}.{intermediate}({{"default": torch.tensor(0.25), "loss": torch.tensor(2.0)}})
            {module}.{final}(torch.tensor(0.75, dtype=torch.float64))
        """
        nni = run_script("import nni; nni.get_next_parameter()\n" + textwrap.dedent(script.format(
            module="nni", intermediate="report_intermediate_result", final="report_final_result")),
            hone_env())
        hone = run_script(textwrap.dedent(script.format(
            module="hone", intermediate="report_intermediate", final="report_final")), hone_env())
        self.assertEqual(nni.returncode, 0, nni.stderr)
        self.assertEqual(hone.returncode, 0, hone.stderr)
        self.assertEqual(nni.stdout.splitlines(), [
            '@hone {"type":"intermediate","step":0,"value":0.5}',
            '@hone {"type":"intermediate","step":1,"value":{"default":0.25,"loss":2.0}}',
            '@hone {"type":"final","value":0.75}',
        ])
        self.assertEqual(nni.stdout, hone.stdout)

    @unittest.skipUnless(has_torch(), "torch is not installed")
    def test_tensor_with_several_elements_raises_runtime_error(self):
        result = run_script("""
            import torch, nni
            nni.get_next_parameter()
            try:
                nni.report_final_result(torch.tensor([0.5, 0.25]))
            except RuntimeError as err:
                print("RuntimeError", "a metric must be a number" in str(err))
        """, hone_env())
        self.assertEqual(result.stdout, "RuntimeError True\n", result.stderr)


class NniNamesTest(unittest.TestCase):
    def test_names_nni_tuners_import_exist(self):
        result = run_script("""
            import nni
            from nni import ClassArgsValidator, NoMoreTrialError
            from nni.tuner import Tuner
            from nni.assessor import Assessor, AssessResult
            from nni.recoverable import Recoverable
            from nni.utils import (ClassArgsValidator, MetricType, NodeType, OptimizeMode,
                                   convert_dict2tuple, extract_scalar_history,
                                   extract_scalar_reward, merge_parameter, split_index)
            from nni.typehint import Parameters, SearchSpace, TrialMetric, TrialRecord
            from nni.common.hpo_utils import OptimizeMode as Mode2, validate_search_space
            assert nni.ClassArgsValidator is ClassArgsValidator
            assert issubclass(Tuner, Recoverable) and issubclass(Assessor, Recoverable)
            print(OptimizeMode("minimize").name, Mode2.Maximize.value, MetricType.FINAL)
        """, trial_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "Minimize maximize FINAL\n")

    def test_split_index_and_convert_dict2tuple(self):
        chosen = {"block": {NodeType.INDEX: 1, NodeType.VALUE: {"conv": {"_index": 0, "_value": 3}}}, "lr": 0.1}
        self.assertEqual(split_index(chosen), {"block": {"conv": 3}, "lr": 0.1})
        self.assertEqual(convert_dict2tuple({"b": 1, "a": {"c": 2}}), (("a", (("c", 2),)), ("b", 1)))

    def test_validate_search_space(self):
        from nni.common.hpo_utils import validate_search_space
        good = {"x": {"_type": "uniform", "_value": [0, 1]}, "c": {"_type": "choice", "_value": [1, "a"]}}
        self.assertTrue(validate_search_space(good))
        with self.assertLogs("nni.common.hpo_utils", "ERROR") as logged:
            self.assertFalse(validate_search_space(good, support_types=["choice"]))
        self.assertIn("type 'uniform' is not one of ['choice']", logged.output[0])
        for bad in ({"x": {"_type": "uniform", "_value": [1, 0]}},
                    {"x": {"_type": "randint", "_value": [0.5, 2]}},
                    {"x": {"_type": "layer_choice", "_value": ["a"]}},
                    {"x": [0, 1]}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                validate_search_space(bad, raise_exception=True)

    @unittest.skipIf(schema is None, "python3-schema is not installed")
    def test_class_args_validator_choices_and_range(self):
        class Validator(ClassArgsValidator):
            def validate_class_args(self, **kwargs):
                schema.Schema({
                    schema.Optional("optimize_mode"): self.choices("optimize_mode", "maximize", "minimize"),
                    schema.Optional("population"): self.range("population", int, 2, 100),
                }).validate(kwargs)

        Validator().validate_class_args(optimize_mode="minimize", population=10)
        for bad, message in (({"optimize_mode": "maximise"}, "optimize_mode must be one of"),
                             ({"population": 1}, "population must lie in [2, 100]"),
                             ({"population": 2.5}, "population must be of type int"),
                             ({"other": 1}, "Wrong key")):
            with self.subTest(bad=bad):
                with self.assertRaises(schema.SchemaError) as caught:
                    Validator().validate_class_args(**bad)
                self.assertIn(message, str(caught.exception))


# A tuner module as NNI users write them, plus what it was given (for the assertions).
TUNER_MODULE = """
    from nni.tuner import Tuner
    from nni.utils import ClassArgsValidator

    class EchoTuner(Tuner):
        def __init__(self, optimize_mode="maximize", start=0):
            self.n = start
            self.log = []
        def update_search_space(self, search_space):
            self.log.append(["space", search_space])
        def generate_parameters(self, parameter_id, **kwargs):
            self.n += 1
            return {"arch": {"_value": "conv", "_idx": self.n}, "id": parameter_id}
        def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
            self.log.append(["result", parameter_id, value])
        def trial_end(self, parameter_id, success, **kwargs):
            self.log.append(["end", parameter_id, success])
            print(json_dumps(self.log))

    class EchoValidator(ClassArgsValidator):
        def validate_class_args(self, **kwargs):
            assert kwargs.get("start", 0) >= 0, "start must be >= 0"

    import json
    json_dumps = json.dumps
"""


def trial(seq, final, metrics, status="succeeded"):
    return {"seq": seq, "config_id": seq, "status": status, "params": {"id": seq},
            "final": final, "metrics": metrics, "intermediate": []}


class ClassRunnerTest(unittest.TestCase):
    def run_plugin(self, spec, requests):
        with tempfile.TemporaryDirectory() as code_dir:
            with open(os.path.join(code_dir, "echo_tuner.py"), "w") as f:
                f.write(textwrap.dedent(TUNER_MODULE))
            stdin = "".join(json.dumps(r) + "\n" for r in requests)
            result = subprocess.run([sys.executable, "-m", "nni.plugin_runner", spec], input=stdin,
                                    cwd=code_dir, env=trial_env(), capture_output=True, text=True,
                                    timeout=60)
        return result, [json.loads(line) for line in result.stdout.splitlines()]

    NAS_SPACE = {"arch": {"_type": "layer_choice", "_value": ["conv", "pool"]},
                 "cells": {"normal": {"ops": ["a", "b"]}}}

    def test_space_as_written_and_reported_values(self):
        result, replies = self.run_plugin("echo_tuner.EchoTuner", [
            {"type": "init", "search_space": self.NAS_SPACE, "class_args": {"start": 5}, "seed": 1,
             "optimize_mode": "maximize"},
            {"type": "suggest", "count": 2},
            {"type": "update", "completed": [
                trial(0, 0.5, {"default": 0.5, "loss": 1.5, "note": "x", "bad": "NaN"}),
                trial(1, 0.25, {"default": 0.25}),
            ], "active": []},
        ])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(replies[0], {})
        self.assertEqual(replies[1], {"configs": [{"arch": {"_value": "conv", "_idx": 6}, "id": 0},
                                                  {"arch": {"_value": "conv", "_idx": 7}, "id": 1}]})
        log = json.loads(result.stderr.strip().splitlines()[-1])
        self.assertEqual(log[0], ["space", self.NAS_SPACE])
        self.assertEqual(log[1][:2], ["result", 0])
        self.assertEqual(sorted(log[1][2]), ["bad", "default", "loss", "note"])
        self.assertEqual(log[1][2]["default"], 0.5)
        self.assertEqual(log[1][2]["loss"], 1.5)
        self.assertEqual(log[1][2]["note"], "x")
        self.assertNotEqual(log[1][2]["bad"], log[1][2]["bad"])  # "NaN" came back as a float NaN
        self.assertEqual(log[2], ["end", 0, True])
        self.assertEqual(log[3], ["result", 1, 0.25])  # only 'default': the number itself

    def test_validator_of_the_module_checks_class_args(self):
        result, replies = self.run_plugin("echo_tuner:EchoTuner", [
            {"type": "init", "search_space": {}, "class_args": {"start": -1}, "seed": 1,
             "optimize_mode": "maximize"},
        ])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(replies, [{"error": "AssertionError: start must be >= 0"}])

    def test_bad_spec_prints_usage(self):
        result, _ = self.run_plugin("EchoTuner", [])
        self.assertEqual(result.returncode, 2)
        self.assertIn("usage: python3 -m nni.plugin_runner", result.stderr)


if __name__ == "__main__":
    unittest.main()
