"""An NNI custom tuner, written against NNI's API only. It runs under hone unchanged,
named as NNI names it: `tuner: {className: nni_tuner.ShuffleTuner, codeDirectory: .}`
(see exp-nni.yaml)."""

import random

from nni.tuner import Tuner
from nni.utils import extract_scalar_reward


class ShuffleTuner(Tuner):
    def __init__(self, optimize_mode="maximize"):
        self.optimize_mode = optimize_mode
        self.space = {}
        self.history = {}

    def update_search_space(self, search_space):
        self.space = search_space

    def generate_parameters(self, parameter_id, **kwargs):
        params = {}
        for name, spec in self.space.items():
            low, high = spec["_value"][0], spec["_value"][1]
            if spec["_type"] == "choice":
                params[name] = random.choice(spec["_value"])
            elif spec["_type"] == "randint":
                params[name] = random.randrange(low, high)
            else:
                params[name] = random.uniform(low, high)
        return params

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self.history[parameter_id] = extract_scalar_reward(value)

    def import_data(self, data):
        for i, record in enumerate(data):
            self.history[-1 - i] = record["value"]
