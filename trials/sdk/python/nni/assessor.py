"""NNI's custom assessor base class, so that an NNI assessor class runs under hone unchanged.

Name it as NNI does, `assessor: {className: my_assessor.MyAssessor, codeDirectory: .}`
(or `plugin: "python3 -m nni.plugin_runner my_assessor:MyAssessor"`).
trial_job_id is hone's trial sequence number as a string; trial_history the trial's
intermediate values in step order.
"""

from enum import Enum

from .recoverable import Recoverable

__all__ = ["Assessor", "AssessResult"]


class AssessResult(Enum):
    Good = True
    Bad = False


class Assessor(Recoverable):
    def assess_trial(self, trial_job_id, trial_history):
        raise NotImplementedError("Assessor: assess_trial not implemented")

    def trial_end(self, trial_job_id, success):
        pass
