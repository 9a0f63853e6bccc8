"""Runs an NNI custom tuner or assessor class as a hone plugin:

    python3 -m nni.plugin_runner my_module:MyTuner      (or my_module.MyTuner)

hone starts it this way for a config's `tuner: {className: my_module.MyTuner,
codeDirectory: ...}`. The module is imported from the working directory (codeDirectory,
or pluginDir, or the config's directory); classArgs become the constructor's keyword
arguments, after the ClassArgsValidator subclass the module defines (if any) accepted
them.
"""

import importlib
import inspect
import math
import os
import random
import sys

from hone.tuner import NoMoreConfigurations, serve

from .assessor import Assessor, AssessResult
from .tuner import NoMoreTrialError
from .utils import ClassArgsValidator


def _seed_everything(seed):
    random.seed(seed)
    try:
        import numpy
    except ImportError:
        return
    numpy.random.seed(seed % (2 ** 32))


def _validate(cls, class_args):
    """Runs the validators defined in the class's own module over `class_args`."""
    module = sys.modules.get(cls.__module__)
    for _, member in inspect.getmembers(module, inspect.isclass):
        if (issubclass(member, ClassArgsValidator) and member is not ClassArgsValidator
                and member.__module__ == cls.__module__):
            member().validate_class_args(**class_args)


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _reported_value(trial):
    """What the trial gave nni.report_final_result: its dict when it reported more than
    'default', else the number."""
    metrics = trial.get("metrics")
    if not isinstance(metrics, dict) or not set(metrics) - {"default"}:
        return trial["final"]
    value = {k: _NON_FINITE.get(v, v) if isinstance(v, str) else v for k, v in metrics.items()}
    value["default"] = trial["final"]
    return value


class _TunerAdapter:
    def __init__(self, cls):
        self.cls = cls
        self.next_id = 0
        self.generated = set()

    def init(self, search_space, class_args, seed, optimize_mode):
        _seed_everything(seed)
        _validate(self.cls, class_args)
        self.tuner = self.cls(**class_args)
        self.tuner.update_search_space(search_space)

    def suggest(self, count):
        ids = list(range(self.next_id, self.next_id + count))
        try:
            configs = self.tuner.generate_multiple_parameters(ids) if count > 0 else []
        except NoMoreTrialError:
            configs = []
        configs = list(configs)[:count]
        if count > 0 and not configs:
            raise NoMoreConfigurations()
        self.generated.update(ids[:len(configs)])
        self.next_id += len(configs)
        return configs

    def update(self, completed, active):
        imported = []
        for t in completed + active:
            self.next_id = max(self.next_id, t["config_id"] + 1)
        for t in completed:
            final = t["final"]
            ok = t["status"] == "succeeded" and final is not None and math.isfinite(final)
            pid = t["config_id"]
            if pid not in self.generated:  # a resumed run: NNI tuners learn these via import_data
                if ok:
                    imported.append({"parameter": t["params"], "value": _reported_value(t)})
                continue
            if ok:
                self.tuner.receive_trial_result(pid, t["params"], _reported_value(t))
            self.tuner.trial_end(pid, ok)
        if imported:
            self.tuner.import_data(imported)


class _AssessorAdapter:
    def __init__(self, cls):
        self.cls = cls
        self.ended = set()

    def init(self, search_space, class_args, seed, optimize_mode):
        _seed_everything(seed)
        _validate(self.cls, class_args)
        self.assessor = self.cls(**class_args)

    def assess(self, trial, finished):
        for t in finished:
            if t["seq"] not in self.ended:
                self.ended.add(t["seq"])
                self.assessor.trial_end(str(t["seq"]), t["status"] == "succeeded")
        history = [v for _, v in trial["intermediate"]]
        result = self.assessor.assess_trial(str(trial["seq"]), history)
        return result == AssessResult.Bad or result is False


def _split(spec):
    """("pkg.module", "Class") from "pkg.module:Class" or "pkg.module.Class"."""
    if ":" in spec:
        return spec.split(":", 1)
    module_name, _, class_name = spec.rpartition(".")
    return module_name, class_name


def main(argv):
    module_name, class_name = _split(argv[1]) if len(argv) == 2 else ("", "")
    if not module_name or not class_name:
        sys.stderr.write("usage: python3 -m nni.plugin_runner module:ClassName\n")
        return 2
    sys.path.insert(0, os.getcwd())
    cls = getattr(importlib.import_module(module_name), class_name)
    adapter = _AssessorAdapter if issubclass(cls, Assessor) else _TunerAdapter
    serve(lambda: adapter(cls))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
