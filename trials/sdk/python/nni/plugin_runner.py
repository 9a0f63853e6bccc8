"""Runs an NNI custom tuner or assessor class as a hone plugin:

    python3 -m nni.plugin_runner my_module:MyTuner

The module is imported from the working directory (the config's directory unless
pluginDir says otherwise); classArgs become the constructor's keyword arguments.
"""

import importlib
import math
import os
import random
import sys

from hone.tuner import NoMoreConfigurations, serve

from .assessor import AssessResult
from .tuner import NoMoreTrialError


class _TunerAdapter:
    def __init__(self, cls):
        self.cls = cls
        self.next_id = 0
        self.generated = set()

    def init(self, search_space, class_args, seed, optimize_mode):
        random.seed(seed)
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
                    imported.append({"parameter": t["params"], "value": final})
                continue
            if ok:
                self.tuner.receive_trial_result(pid, t["params"], final)
            self.tuner.trial_end(pid, ok)
        if imported:
            self.tuner.import_data(imported)


class _AssessorAdapter:
    def __init__(self, cls):
        self.cls = cls
        self.ended = set()

    def init(self, search_space, class_args, seed, optimize_mode):
        random.seed(seed)
        self.assessor = self.cls(**class_args)

    def assess(self, trial, finished):
        for t in finished:
            if t["seq"] not in self.ended:
                self.ended.add(t["seq"])
                self.assessor.trial_end(str(t["seq"]), t["status"] == "succeeded")
        history = [v for _, v in trial["intermediate"]]
        result = self.assessor.assess_trial(str(trial["seq"]), history)
        return result == AssessResult.Bad or result is False


def main(argv):
    if len(argv) != 2 or ":" not in argv[1]:
        sys.stderr.write("usage: python3 -m nni.plugin_runner module:ClassName\n")
        return 2
    module_name, class_name = argv[1].split(":", 1)
    sys.path.insert(0, os.getcwd())
    cls = getattr(importlib.import_module(module_name), class_name)
    from .assessor import Assessor
    adapter = _AssessorAdapter if issubclass(cls, Assessor) else _TunerAdapter
    serve(lambda: adapter(cls))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
