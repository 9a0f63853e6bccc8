"""NNI compatibility for hone: `import nni` in an unmodified NNI trial script gets
parameters from, and reports metrics to, the hone manager.

    import nni
    params = nni.get_next_parameter()
    nni.report_intermediate_result(accuracy)
    nni.report_final_result(accuracy)
"""

from . import trial, utils
from .tuner import NoMoreTrialError
from .utils import ClassArgsValidator
from .trial import (
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
)

__version__ = "3.0+hone"
