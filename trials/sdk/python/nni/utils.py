"""Helpers NNI trial scripts and algorithms import from `nni.utils`."""

import enum
import numbers

__all__ = [
    "ClassArgsValidator",
    "MetricType",
    "NodeType",
    "OptimizeMode",
    "convert_dict2tuple",
    "extract_scalar_reward",
    "extract_scalar_history",
    "merge_parameter",
    "split_index",
]


class OptimizeMode(enum.Enum):
    """Whether a tuner looks for the smallest or the largest metric."""
    Minimize = "minimize"
    Maximize = "maximize"


class NodeType:
    """The special keys of NNI's search-space format and of the values tuners return."""
    ROOT = "root"
    TYPE = "_type"
    VALUE = "_value"
    INDEX = "_index"
    NAME = "_name"


class MetricType:
    """The kinds of metric messages NNI's dispatcher handled."""
    FINAL = "FINAL"
    PERIODICAL = "PERIODICAL"
    REQUEST_PARAMETER = "REQUEST_PARAMETER"


def split_index(params):
    """`params` with every {"_index": i, "_value": v} node replaced by v (recursively):
    what a tuner that tracks choice indices hands to the trial."""
    if not isinstance(params, dict):
        return params
    if NodeType.INDEX in params:
        return split_index(params[NodeType.VALUE])
    return {key: split_index(value) for key, value in params.items()}


def convert_dict2tuple(value):
    """A hashable form of a (nested) dict: sorted tuples of (key, value) pairs. Nested
    dicts inside `value` are converted in place, as NNI does."""
    if isinstance(value, dict):
        for key in value:
            value[key] = convert_dict2tuple(value[key])
        return tuple(sorted(value.items()))
    return value


class ClassArgsValidator:
    """Checks an algorithm's classArgs before it is built. Subclass it and raise from
    validate_class_args (an assertion, or schema.Schema(...).validate(kwargs)):

        class MyArgsValidator(ClassArgsValidator):
            def validate_class_args(self, **kwargs):
                Schema({Optional("optimize_mode"): self.choices("optimize_mode", "maximize", "minimize")}).validate(kwargs)

    `nni.plugin_runner` calls the validator a tuner's module defines before building
    the tuner, so a bad classArgs fails the experiment at its start.
    choices() and range() build `schema` objects (Debian: python3-schema).
    """

    def validate_class_args(self, **kwargs):
        """Raises when `kwargs` (the classArgs) are not acceptable."""

    def choices(self, key, *args):
        """A schema accepting only one of `args` for `key`."""
        schema = _schema_module()
        return schema.And(lambda value: value in args,
                          error=f"{key} must be one of {list(args)}")

    def range(self, key, key_type, start, end):
        """A schema accepting a `key_type` value in [start, end] for `key`."""
        schema = _schema_module()
        return schema.And(
            schema.And(key_type, error=f"{key} must be of type {key_type.__name__}"),
            schema.And(lambda value: start <= value <= end,
                       error=f"{key} must lie in [{start}, {end}]"))


def _schema_module():
    try:
        import schema
    except ImportError:
        raise ImportError("ClassArgsValidator.choices/range need the 'schema' package "
                          "(Debian: apt-get install python3-schema)") from None
    return schema


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
