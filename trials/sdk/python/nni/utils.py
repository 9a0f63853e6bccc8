"""Helpers NNI trial scripts and algorithms import from `nni.utils`."""

import enum
import numbers

__all__ = [
    "OptimizeMode",
    "extract_scalar_reward",
    "extract_scalar_history",
    "merge_parameter",
]


class OptimizeMode(enum.Enum):
    """Whether a tuner looks for the smallest or the largest metric."""
    Minimize = "minimize"
    Maximize = "maximize"


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def extract_scalar_reward(value, scalar_key="default"):
    """The number a tuner ranks by: `value` itself, or `value[scalar_key]`.

    Raises RuntimeError, as NNI does, when `value` is neither a number nor a dict
    holding a number under `scalar_key`.
    """
    if _is_number(value):
        return value
    if isinstance(value, dict) and _is_number(value.get(scalar_key)):
        return value[scalar_key]
    raise RuntimeError(
        "Incorrect metric: expected an int or float, or a dict whose "
        f"'{scalar_key}' entry is an int or float, but got {type(value).__name__} {value!r}")


def extract_scalar_history(trial_history, scalar_key="default"):
    """extract_scalar_reward applied to every entry of a list of metrics."""
    return [extract_scalar_reward(metric, scalar_key) for metric in trial_history]


def _coerce(key, base, override):
    if base is None or isinstance(override, type(base)):
        return override
    if isinstance(base, float) and isinstance(override, int) and not isinstance(override, bool):
        return float(override)
    raise ValueError(
        f"override parameter '{key}' must have type {type(base).__name__} like its "
        f"default, but got {type(override).__name__} {override!r}")


def merge_parameter(base_params, override_params):
    """Overwrites entries of `base_params` (a dict or an argparse.Namespace) with the
    tuner's `override_params` and returns it.

    Every overriding key must already exist in `base_params` (ValueError otherwise); an
    int may replace a float, other type changes are ValueErrors.
    """
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, value in override_params.items():
        if is_dict:
            if key not in base_params:
                raise ValueError(f"override parameter '{key}' is not among the base parameters")
            base_params[key] = _coerce(key, base_params[key], value)
        else:
            if not hasattr(base_params, key):
                raise ValueError(f"override parameter '{key}' is not among the base parameters")
            setattr(base_params, key, _coerce(key, getattr(base_params, key), value))
    return base_params
