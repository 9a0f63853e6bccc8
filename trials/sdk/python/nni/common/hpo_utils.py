"""Helpers NNI's tuners import from `nni.common.hpo_utils`: OptimizeMode and a search
space check for tuners that only handle the standard parameter types."""

import logging

from ..utils import OptimizeMode

__all__ = ["OptimizeMode", "validate_search_space"]

STANDARD_TYPES = ["choice", "randint", "uniform", "quniform", "loguniform", "qloguniform",
                  "normal", "qnormal", "lognormal", "qlognormal"]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_values(name, kind, values):
    want = 3 if kind.startswith("q") else 2
    if len(values) != want:
        raise ValueError(f"search space '{name}': {kind} needs {want} values, but got {values!r}")
    if not all(_is_number(v) for v in values):
        raise ValueError(f"search space '{name}': {kind} needs numbers, but got {values!r}")
    if kind == "randint" and not all(isinstance(v, int) for v in values):
        raise ValueError(f"search space '{name}': randint needs integers, but got {values!r}")
    if "normal" in kind:
        if values[1] <= 0:
            raise ValueError(f"search space '{name}': {kind} needs sigma > 0, but got {values[1]!r}")
        return
    if values[0] >= values[1]:
        raise ValueError(f"search space '{name}': {kind} needs low < high, but got {values!r}")
    if "log" in kind and values[0] <= 0:
        raise ValueError(f"search space '{name}': {kind} needs low > 0, but got {values[0]!r}")


def _check(search_space, support_types):
    if not isinstance(search_space, dict):
        raise ValueError(f"a search space must be a dict, but got {type(search_space).__name__}")
    for name, spec in search_space.items():
        if not isinstance(spec, dict) or "_type" not in spec or "_value" not in spec:
            raise ValueError(f"search space '{name}' must be a dict with '_type' and '_value', but got {spec!r}")
        kind, values = spec["_type"], spec["_value"]
        if kind not in support_types:
            raise ValueError(f"search space '{name}': type '{kind}' is not one of {support_types}")
        if not isinstance(values, list):
            raise ValueError(f"search space '{name}': '_value' must be a list, but got {values!r}")
        if kind != "choice":
            _check_values(name, kind, values)


def validate_search_space(search_space, support_types=None, raise_exception=False):
    """Whether `search_space` is a standard one whose types are all in `support_types`
    (default: every standard type). Raises ValueError instead of returning False when
    `raise_exception`; otherwise logs why."""
    try:
        _check(search_space, support_types or STANDARD_TYPES)
    except ValueError as err:
        if raise_exception:
            raise
        logging.getLogger(__name__).error("%s", err)
        return False
    return True
