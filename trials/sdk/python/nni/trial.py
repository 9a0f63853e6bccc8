"""NNI's trial API (`nni.get_next_parameter`, `nni.report_final_result`, ...) on top of
hone's trial SDK, so NNI trial scripts run under hone unchanged."""

import os
import sys

import hone

__all__ = [
    "get_next_parameter",
    "get_next_parameters",
    "get_current_parameter",
    "report_intermediate_result",
    "report_final_result",
    "get_experiment_id",
    "get_trial_id",
    "get_sequence_id",
]

_params = None
_warned_no_parameter = False


def _export_nni_environment():
    """Sets the NNI_* variables NNI trials read directly (e.g. NNI_OUTPUT_DIR for
    TensorBoard logs), derived from hone's, unless the environment already has them."""
    if not hone.running_under_hone():
        return
    values = {
        "NNI_PLATFORM": "local",
        "NNI_EXP_ID": hone.get_experiment_id(),
        "NNI_TRIAL_JOB_ID": hone.get_trial_id(),
        "NNI_TRIAL_SEQ_ID": str(hone.get_sequence_id()),
        "NNI_OUTPUT_DIR": hone.get_output_dir(),
        "NNI_SYS_DIR": os.environ.get("HONE_TRIAL_DIR") or hone.get_output_dir(),
        "NNI_CODE_DIR": os.getcwd(),
    }
    for name, value in values.items():
        os.environ.setdefault(name, value)


def get_next_parameter():
    """The trial's hyperparameters as a dict ({} outside hone). NNI expects one call per
    trial; under hone later calls return the same configuration again."""
    global _params
    _params = hone.get_params()
    return _params


get_next_parameters = get_next_parameter


def get_current_parameter(tag=None):
    """The dict the last get_next_parameter() returned (None before it), or its `tag` entry."""
    if _params is None:
        return None
    if tag is None:
        return _params
    return _params[tag]


def _warn_if_no_parameter():
    if _params is None and hone.running_under_hone():
        global _warned_no_parameter
        if not _warned_no_parameter:
            _warned_no_parameter = True
            sys.stderr.write("nni: warning: a result was reported before "
                             "nni.get_next_parameter() was called\n")
            sys.stderr.flush()


def _report(report, metric):
    _warn_if_no_parameter()
    try:
        report(metric)
    except TypeError as err:  # hone's "not a metric": NNI raises RuntimeError
        raise RuntimeError(str(err)) from None


def report_intermediate_result(metric):
    """Reports one intermediate result (steps count from 0): a number (numpy scalars and
    one-element tensors included), or a dict with a numeric 'default', as
    hone.report_intermediate takes it. Anything else raises RuntimeError."""
    _report(hone.report_intermediate, metric)


def report_final_result(metric):
    """Reports the final result, as report_intermediate_result takes it."""
    _report(hone.report_final, metric)


def get_experiment_id():
    return hone.get_experiment_id()


def get_trial_id():
    return hone.get_trial_id()


def get_sequence_id():
    return hone.get_sequence_id()


_export_nni_environment()
