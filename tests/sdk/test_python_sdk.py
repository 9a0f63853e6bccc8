"""Tests of the Python trial SDK (`hone`) and the NNI compatibility package (`nni`).

Most tests run a small trial script in a subprocess with the environment hone gives
trials, and compare its stdout line by line with what the manager must read.
Run: python3 -m unittest discover -s tests/sdk
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SDK_DIR = os.path.join(SOURCE_DIR, "trials", "sdk", "python")
if SDK_DIR not in sys.path:
    sys.path.insert(0, SDK_DIR)

import hone  # noqa: E402
from nni.utils import extract_scalar_history, extract_scalar_reward, merge_parameter  # noqa: E402


def trial_env(**overrides):
    """The environment of a process outside hone, plus `overrides`."""
    # Without PYTHONUNBUFFERED a piped stdout is block-buffered, as under hone.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HONE_", "NNI_")) and k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = SDK_DIR
    env.update(overrides)
    return env


def hone_env(params=None, **overrides):
    """The environment hone gives trial 7 of experiment 'exp1'."""
    env = trial_env(
        HONE_PARAMS=json.dumps({} if params is None else params),
        HONE_TRIAL_ID="7",
        HONE_TRIAL_SEQ="7",
        HONE_EXPERIMENT_ID="exp1",
        HONE_OUTPUT_DIR="/tmp/hone-out-7",
        HONE_TRIAL_DIR="/tmp/hone-trial-7",
    )
    env.update(overrides)
    return env


def run_script(source, env, cwd=None):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(source)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=60)


class HoneReportTest(unittest.TestCase):
    def run_ok(self, source, env=None):
        result = run_script(source, env or hone_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.splitlines()

    def test_intermediate_steps_count_from_zero(self):
        lines = self.run_ok("""
            import hone
            hone.report_intermediate(0.5)
            hone.report_intermediate(0.25)
            hone.report_final(0.125)
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":0,"value":0.5}',
            '@hone {"type":"intermediate","step":1,"value":0.25}',
            '@hone {"type":"final","value":0.125}',
        ])

    def test_explicit_step_moves_the_counter(self):
        lines = self.run_ok("""
            import hone
            hone.report_intermediate(1, step=5)
            hone.report_intermediate(2)
            hone.report_intermediate(3, step=2)
            hone.report_intermediate(4)
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":5,"value":1}',
            '@hone {"type":"intermediate","step":6,"value":2}',
            '@hone {"type":"intermediate","step":2,"value":3}',
            '@hone {"type":"intermediate","step":3,"value":4}',
        ])

    def test_nan_and_infinity_are_bare_tokens(self):
        lines = self.run_ok("""
            import hone
            hone.report_intermediate(float("nan"))
            hone.report_intermediate(float("inf"))
            hone.report_intermediate(float("-inf"))
            hone.report_final({"default": float("nan"), "loss": float("inf")})
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":0,"value":NaN}',
            '@hone {"type":"intermediate","step":1,"value":Infinity}',
            '@hone {"type":"intermediate","step":2,"value":-Infinity}',
            '@hone {"type":"final","value":{"default":NaN,"loss":Infinity}}',
        ])

    def test_dict_metric_keeps_every_entry(self):
        lines = self.run_ok("""
            import hone
            hone.report_intermediate({"default": 0.81, "acc": 0.5, "note": "warmup"})
            hone.report_final({"default": 0.93, "loss": 0.21})
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":0,"value":{"default":0.81,"acc":0.5,"note":"warmup"}}',
            '@hone {"type":"final","value":{"default":0.93,"loss":0.21}}',
        ])

    def test_number_like_objects_are_converted(self):
        lines = self.run_ok("""
            import fractions, hone
            class Scalar:  # like a numpy scalar or a one-element tensor
                def __init__(self, v): self.v = v
                def item(self): return self.v
            hone.report_intermediate(fractions.Fraction(1, 4))
            hone.report_final({"default": Scalar(0.5), "other": Scalar(2)})
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":0,"value":0.25}',
            '@hone {"type":"final","value":{"default":0.5,"other":2}}',
        ])

    def test_invalid_metric_raises_type_error_and_writes_nothing(self):
        for metric in ['"0.5"', "None", "True", "[0.5]", '{"loss": 0.5}',
                       '{"default": "high"}', '{"default": 1, "x": object()}']:
            with self.subTest(metric=metric):
                result = run_script(f"""
                    import hone
                    try:
                        hone.report_final({metric})
                    except TypeError as err:
                        print("TypeError:", err)
                    hone.report_intermediate(1)
                """, hone_env())
                self.assertEqual(result.returncode, 0, result.stderr)
                lines = result.stdout.splitlines()
                self.assertEqual(len(lines), 2, lines)
                self.assertTrue(lines[0].startswith("TypeError: hone: "), lines[0])
                self.assertIn("metric", lines[0])
                self.assertEqual(lines[1], '@hone {"type":"intermediate","step":0,"value":1}')

    def test_invalid_step_raises(self):
        result = run_script("""
            import hone
            for step, error in ((-1, ValueError), (1.5, TypeError), (True, TypeError)):
                try:
                    hone.report_intermediate(0.5, step=step)
                except error as err:
                    print(type(err).__name__, err)
        """, hone_env())
        self.assertEqual(result.stdout.splitlines(), [
            "ValueError hone: step must be >= 0, but got -1",
            "TypeError hone: step must be an int, but got float 1.5",
            "TypeError hone: step must be an int, but got bool True",
        ])

    def test_report_and_earlier_logs_are_flushed_before_a_crash(self):
        # stdout is a pipe, so print() is block-buffered; os._exit skips every flush.
        result = run_script("""
            import os, hone
            print("epoch 0 done")
            hone.report_intermediate(0.5)
            print("lost: never flushed")
            os._exit(3)
        """, hone_env())
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stdout.splitlines(), [
            "epoch 0 done",
            '@hone {"type":"intermediate","step":0,"value":0.5}',
        ])

    def test_report_reaches_real_stdout_when_sys_stdout_is_redirected(self):
        lines = self.run_ok("""
            import contextlib, io, os, sys, hone
            with contextlib.redirect_stdout(io.StringIO()):
                print("captured")
                hone.report_intermediate(1.0)
            sys.stdout = open(os.devnull, "w")
            hone.report_final(2.0)
        """)
        self.assertEqual(lines, [
            '@hone {"type":"intermediate","step":0,"value":1.0}',
            '@hone {"type":"final","value":2.0}',
        ])

    def test_reports_from_threads_are_whole_lines_with_distinct_steps(self):
        lines = self.run_ok("""
            import threading, hone
            def work():
                for _ in range(50):
                    hone.report_intermediate({"default": 0.5, "pad": "x" * 300})
            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
        """)
        self.assertEqual(len(lines), 400)
        steps = []
        for line in lines:
            self.assertTrue(line.startswith("@hone "), line)
            report = json.loads(line[len("@hone "):])
            steps.append(report["step"])
        self.assertEqual(sorted(steps), list(range(400)))

    def test_format_report(self):
        self.assertEqual(hone.format_report(0.81, 3),
                         '@hone {"type":"intermediate","step":3,"value":0.81}')
        self.assertEqual(hone.format_report({"default": 0.93, "loss": 0.21}),
                         '@hone {"type":"final","value":{"default":0.93,"loss":0.21}}')
        with self.assertRaisesRegex(TypeError, "numeric 'default'"):
            hone.format_report({"accuracy": 0.9})


class HoneParamsTest(unittest.TestCase):
    def test_params_come_from_the_environment(self):
        params = {"lr": 0.01, "layers": 3, "act": "relu",
                  "optimizer": {"_name": "sgd", "momentum": 0.9}}
        result = run_script("""
            import json, hone
            print(json.dumps(hone.get_params(), sort_keys=True))
            print(hone.get_next_parameter() == hone.get_params())
        """, hone_env(params))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         [json.dumps(params, sort_keys=True), "True"])
        self.assertEqual(result.stderr, "")

    def test_params_fall_back_to_params_json_in_the_trial_dir(self):
        with tempfile.TemporaryDirectory() as trial_dir:
            with open(os.path.join(trial_dir, "params.json"), "w") as f:
                json.dump({"x": 1.5, "kind": "b"}, f)
            env = hone_env(HONE_TRIAL_DIR=trial_dir)
            del env["HONE_PARAMS"]
            result = run_script("import hone; print(sorted(hone.get_params().items()))", env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "[('kind', 'b'), ('x', 1.5)]\n")

    def test_environment_wins_over_params_json(self):
        with tempfile.TemporaryDirectory() as trial_dir:
            with open(os.path.join(trial_dir, "params.json"), "w") as f:
                json.dump({"x": 2}, f)
            result = run_script("import hone; print(hone.get_params())",
                                hone_env({"x": 1}, HONE_TRIAL_DIR=trial_dir))
        self.assertEqual(result.stdout, "{'x': 1}\n")

    def test_bad_params_raise_runtime_error(self):
        cases = {"{not json": "not valid JSON", "[1, 2]": "got list"}
        for text, message in cases.items():
            with self.subTest(text=text):
                result = run_script("import hone; hone.get_params()",
                                    hone_env(HONE_PARAMS=text))
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("RuntimeError: hone: HONE_PARAMS must hold a JSON object", result.stderr)
                self.assertIn(message, result.stderr)

    def test_missing_params_json_raises_runtime_error(self):
        with tempfile.TemporaryDirectory() as trial_dir:
            env = hone_env(HONE_TRIAL_DIR=trial_dir)
            del env["HONE_PARAMS"]
            result = run_script("import hone; hone.get_params()", env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("RuntimeError: hone: cannot read " + os.path.join(trial_dir, "params.json"),
                      result.stderr)

    def test_identity_comes_from_the_environment(self):
        result = run_script("""
            import hone
            print(repr(hone.get_trial_id()), repr(hone.get_sequence_id()),
                  repr(hone.get_experiment_id()), repr(hone.get_output_dir()),
                  hone.running_under_hone())
        """, hone_env())
        self.assertEqual(result.stdout, "'7' 7 'exp1' '/tmp/hone-out-7' True\n")

    def test_outside_hone_params_are_empty_and_reports_printed(self):
        result = run_script("""
            import hone
            print(hone.get_params(), hone.get_params())
            print(hone.get_trial_id(), hone.get_sequence_id(), hone.get_experiment_id(),
                  hone.get_output_dir(), hone.running_under_hone())
            hone.report_intermediate(0.5)
            hone.report_final(1.5)
        """, trial_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            "{} {}",
            "STANDALONE 0 STANDALONE . False",
            '@hone {"type":"intermediate","step":0,"value":0.5}',
            '@hone {"type":"final","value":1.5}',
        ])
        self.assertEqual(result.stderr.count("hone: warning: not running as a hone trial"), 1,
                         result.stderr)


NNI_SCRIPT = """
    import nni
    params = nni.get_next_parameter()
    acc = 0.0
    for epoch in range(3):
        acc = params["lr"] * (epoch + 1)
        nni.report_intermediate_result(acc)
    nni.report_final_result({"default": acc, "epochs": 3})
"""


class NniShimTest(unittest.TestCase):
    def test_unmodified_nni_script_reports_through_hone(self):
        result = run_script(NNI_SCRIPT, hone_env({"lr": 0.25}))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            '@hone {"type":"intermediate","step":0,"value":0.25}',
            '@hone {"type":"intermediate","step":1,"value":0.5}',
            '@hone {"type":"intermediate","step":2,"value":0.75}',
            '@hone {"type":"final","value":{"default":0.75,"epochs":3}}',
        ])
        self.assertEqual(result.stderr, "")

    def test_trial_module_and_aliases(self):
        result = run_script("""
            import nni, nni.trial
            from nni.trial import get_next_parameter, report_final_result
            print(nni.get_current_parameter())
            print(nni.get_next_parameters())
            print(nni.trial.get_current_parameter(), nni.get_current_parameter("a"))
            print(nni.get_trial_id(), nni.get_sequence_id(), nni.get_experiment_id())
            report_final_result(3)
        """, hone_env({"a": 1, "b": "x"}))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            "None",
            "{'a': 1, 'b': 'x'}",
            "{'a': 1, 'b': 'x'} 1",
            "7 7 exp1",
            '@hone {"type":"final","value":3}',
        ])

    def test_invalid_metric_raises_runtime_error_as_nni_does(self):
        for metric in ['"0.5"', "None", '{"loss": 0.5}', '{"default": [1]}']:
            with self.subTest(metric=metric):
                result = run_script(f"""
                    import nni
                    nni.get_next_parameter()
                    for report in (nni.report_intermediate_result, nni.report_final_result):
                        try:
                            report({metric})
                        except RuntimeError as err:
                            print("RuntimeError")
                """, hone_env())
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout.splitlines(), ["RuntimeError", "RuntimeError"])

    def test_report_before_get_next_parameter_warns_and_still_reports(self):
        result = run_script("""
            import nni
            nni.report_intermediate_result(0.5)
            nni.report_final_result(0.75)
        """, hone_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            '@hone {"type":"intermediate","step":0,"value":0.5}',
            '@hone {"type":"final","value":0.75}',
        ])
        self.assertEqual(result.stderr.count("before nni.get_next_parameter()"), 1, result.stderr)

    def test_nni_environment_variables_mirror_hone(self):
        code = """
            import os, nni
            for name in ("NNI_PLATFORM", "NNI_EXP_ID", "NNI_TRIAL_JOB_ID",
                         "NNI_TRIAL_SEQ_ID", "NNI_OUTPUT_DIR", "NNI_SYS_DIR"):
                print(name, os.environ.get(name))
        """
        result = run_script(code, hone_env(NNI_OUTPUT_DIR="/custom"))
        self.assertEqual(result.stdout.splitlines(), [
            "NNI_PLATFORM local",
            "NNI_EXP_ID exp1",
            "NNI_TRIAL_JOB_ID 7",
            "NNI_TRIAL_SEQ_ID 7",
            "NNI_OUTPUT_DIR /custom",
            "NNI_SYS_DIR /tmp/hone-trial-7",
        ])
        outside = run_script(code, trial_env())
        self.assertEqual(outside.stdout.splitlines()[0], "NNI_PLATFORM None")

    def test_outside_hone_get_next_parameter_is_empty(self):
        result = run_script("import nni; print(nni.get_next_parameter(), nni.get_trial_id())",
                            trial_env())
        self.assertEqual(result.stdout, "{} STANDALONE\n")
        self.assertNotIn("before nni.get_next_parameter()", result.stderr)


class NniUtilsTest(unittest.TestCase):
    def test_extract_scalar_reward(self):
        self.assertEqual(extract_scalar_reward(0.5), 0.5)
        self.assertEqual(extract_scalar_reward(3), 3)
        self.assertEqual(extract_scalar_reward({"default": 0.5, "x": "y"}), 0.5)
        self.assertEqual(extract_scalar_reward({"acc": 2}, scalar_key="acc"), 2)
        self.assertEqual(extract_scalar_history([1, {"default": 2.5}]), [1, 2.5])
        for bad in ("0.5", None, [0.5], {"acc": 0.5}, {"default": "0.5"}, True):
            with self.subTest(bad=bad), self.assertRaises(RuntimeError):
                extract_scalar_reward(bad)

    def test_merge_parameter_overrides_dict_and_namespace(self):
        base = {"lr": 0.1, "layers": 2, "name": None}
        merged = merge_parameter(base, {"lr": 1, "layers": 4, "name": "x"})
        self.assertIs(merged, base)
        self.assertEqual(base, {"lr": 1.0, "layers": 4, "name": "x"})
        self.assertIsInstance(base["lr"], float)
        args = argparse.Namespace(lr=0.1, batch_size=32)
        merge_parameter(args, {"batch_size": 64})
        self.assertEqual(args.batch_size, 64)
        self.assertIs(merge_parameter(args, None), args)

    def test_merge_parameter_rejects_unknown_keys_and_type_changes(self):
        with self.assertRaisesRegex(ValueError, "'dropout' is not among"):
            merge_parameter({"lr": 0.1}, {"dropout": 0.5})
        with self.assertRaisesRegex(ValueError, "'layers' must have type int"):
            merge_parameter(argparse.Namespace(layers=2), {"layers": "four"})


if __name__ == "__main__":
    unittest.main()
