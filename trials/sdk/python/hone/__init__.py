"""hone's Python trial SDK.

    import hone
    params = hone.get_params()            # {"lr": 0.01, "optimizer": "adam", ...}
    for epoch in range(10):
        hone.report_intermediate(train(params))
    hone.report_final({"default": accuracy, "loss": loss})

The manager puts this directory on PYTHONPATH for every trial it launches.
Experiments themselves start from Python too: `hone.Experiment("exp.yaml").run()`
(hone/experiment.py).
"""

from .trial import (
    format_report,
    get_experiment_id,
    get_next_parameter,
    get_output_dir,
    get_params,
    get_sequence_id,
    get_trial_id,
    report_final,
    report_intermediate,
    running_under_hone,
)

__all__ = [
    "Experiment",
    "ExperimentError",
    "format_report",
    "get_experiment_id",
    "get_next_parameter",
    "get_output_dir",
    "get_params",
    "get_sequence_id",
    "get_trial_id",
    "report_final",
    "report_intermediate",
    "running_under_hone",
]


def __getattr__(name):
    # The launch API loads on first use, so that a trial's `import hone` stays cheap.
    if name in ("Experiment", "ExperimentError"):
        from . import experiment
        return getattr(experiment, name)
    raise AttributeError("module 'hone' has no attribute %r" % name)
