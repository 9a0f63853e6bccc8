"""Type names NNI code annotates with (`from nni.typehint import Parameters, ...`)."""

from typing import Any, Dict, List, Literal, TypedDict

__all__ = ["Parameters", "SearchSpace", "TrialMetric", "TrialRecord"]

# What nni.get_next_parameter() returns: a dict for hone's tuners; a plugin tuner may
# put anything JSON can hold in its values.
Parameters = Dict[str, Any]


class _ParameterSpec(TypedDict):
    _type: Literal["choice", "randint", "uniform", "loguniform", "quniform", "qloguniform",
                   "normal", "lognormal", "qnormal", "qlognormal"]
    _value: List[Any]


# The search space of the experiment config (a plugin tuner may use its own format).
SearchSpace = Dict[str, _ParameterSpec]

# What nni.report_final_result / report_intermediate_result take: a number (or a dict
# with a numeric "default").
TrialMetric = float


class TrialRecord(TypedDict):
    parameter: Parameters
    value: TrialMetric
