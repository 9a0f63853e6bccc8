"""The trial side of hone's wire protocol: parameters in, one stdout line per report out.

The manager starts a trial with its configuration in HONE_PARAMS (and in
$HONE_TRIAL_DIR/params.json) and reads reports from the trial's stdout:

    @hone {"type":"intermediate","step":3,"value":0.81}
    @hone {"type":"final","value":{"default":0.93,"loss":0.21}}

Each report is written to file descriptor 1 and flushed before the call returns, so a
trial that redirects sys.stdout, or dies right after reporting, still delivers it.
Standard library only; safe to call from several threads.
"""

import json
import numbers
import os
import sys
import threading

__all__ = [
    "get_params",
    "get_next_parameter",
    "report_intermediate",
    "report_final",
    "get_trial_id",
    "get_sequence_id",
    "get_experiment_id",
    "get_output_dir",
    "running_under_hone",
    "format_report",
]

_PREFIX = "@hone "
_STANDALONE = "STANDALONE"

_lock = threading.Lock()
_next_step = 0
_warned_standalone = False


def running_under_hone():
    """True when this process was launched by hone as a trial."""
    return bool(os.environ.get("HONE_PARAMS") or os.environ.get("HONE_TRIAL_DIR"))


def _warn_standalone():
    global _warned_standalone
    if _warned_standalone:
        return
    _warned_standalone = True
    sys.stderr.write(
        "hone: warning: not running as a hone trial (HONE_PARAMS is unset); "
        "using empty parameters, reports are only printed\n")
    sys.stderr.flush()


def _parse_params(text, origin):
    try:
        params = json.loads(text)
    except ValueError as err:
        raise RuntimeError(
            f"hone: {origin} must hold a JSON object, but it is not valid JSON ({err})"
        ) from None
    if not isinstance(params, dict):
        raise RuntimeError(
            f"hone: {origin} must hold a JSON object, but got {type(params).__name__}")
    return params


def get_params():
    """This trial's configuration as a dict (a fresh copy on every call).

    A nested choice's value is a dict with "_name" plus its own parameters. Outside hone
    this returns {} and warns once on stderr.
    """
    text = os.environ.get("HONE_PARAMS")
    if text:
        return _parse_params(text, "HONE_PARAMS")
    trial_dir = os.environ.get("HONE_TRIAL_DIR")
    if trial_dir:
        path = os.path.join(trial_dir, "params.json")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as err:
            raise RuntimeError(f"hone: cannot read {path}: {err.strerror}") from None
        return _parse_params(text, path)
    _warn_standalone()
    return {}


get_next_parameter = get_params


def get_trial_id():
    """The trial's id as the UI shows it; "STANDALONE" outside hone."""
    return os.environ.get("HONE_TRIAL_ID") or _STANDALONE


def get_experiment_id():
    """The experiment's id; "STANDALONE" outside hone."""
    return os.environ.get("HONE_EXPERIMENT_ID") or _STANDALONE


def get_sequence_id():
    """The trial's launch number in its experiment (0, 1, 2, ...); 0 outside hone."""
    try:
        return int(os.environ.get("HONE_TRIAL_SEQ", "0"))
    except ValueError:
        return 0


def get_output_dir():
    """Where the trial should write files it wants kept; "." outside hone."""
    return os.environ.get("HONE_OUTPUT_DIR") or "."


def _as_number(value):
    """value as int or float when it is a real number (numpy scalars and one-element
    arrays or tensors included), else None. Booleans are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (dict, list, tuple, str)):
        try:
            inner = item()
        except (TypeError, ValueError):
            return None
        if inner is not value and not hasattr(inner, "item"):
            return _as_number(inner)
    return None


def _metric_error(metric):
    text = repr(metric)
    if len(text) > 200:
        text = text[:200] + "..."
    return TypeError(
        "hone: a metric must be a number or a dict with a numeric 'default' entry, "
        f"but got {type(metric).__name__} {text}")


def _json_default(value):
    number = _as_number(value)
    if number is None:
        raise TypeError(
            f"hone: metric entries must be JSON values, but got {type(value).__name__}")
    return number


def _encode_metric(metric):
    number = _as_number(metric)
    if number is not None:
        return json.dumps(number, allow_nan=True)
    if not isinstance(metric, dict) or "default" not in metric:
        raise _metric_error(metric)
    default = _as_number(metric["default"])
    if default is None:
        raise _metric_error(metric)
    metric = dict(metric, default=default)
    return json.dumps(metric, allow_nan=True, separators=(",", ":"),
                      default=_json_default)


def format_report(metric, step=None):
    """The report line (without newline) for `metric`; a final report when step is None.

    >>> format_report(0.81, 3)
    '@hone {"type":"intermediate","step":3,"value":0.81}'
    """
    value = _encode_metric(metric)
    if step is None:
        return _PREFIX + '{"type":"final","value":' + value + "}"
    return _PREFIX + '{"type":"intermediate","step":' + str(step) + ',"value":' + value + "}"


def _check_step(step):
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"hone: step must be an int, but got {type(step).__name__} {step!r}")
    if step < 0:
        raise ValueError(f"hone: step must be >= 0, but got {step}")
    return int(step)


def _write_line(line):
    # Earlier print() output may still sit in Python's buffers: flush it first so logs
    # and reports keep their order, then write the report in one system call.
    for stream in (sys.stdout, sys.__stdout__):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    data = (line + "\n").encode("utf-8")
    try:
        while data:
            written = os.write(1, data)
            data = data[written:]
    except OSError:
        stream = sys.__stdout__ or sys.stdout
        if stream is not None:
            stream.write(data.decode("utf-8"))
            stream.flush()


def report_intermediate(metric, step=None):
    """Reports an intermediate result: a number, or a dict with a numeric 'default'.

    Steps count from 0; without `step` the report takes the step after the previous
    intermediate report. Raises TypeError for anything else.
    """
    global _next_step
    if step is not None:
        step = _check_step(step)
    with _lock:
        if step is None:
            step = _next_step
        line = format_report(metric, step)
        _write_line(line)
        _next_step = step + 1


def report_final(metric):
    """Reports the trial's final result: a number, or a dict with a numeric 'default'."""
    line = format_report(metric)
    with _lock:
        _write_line(line)
