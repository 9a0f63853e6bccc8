"""NNI's custom tuner base class, so that an NNI tuner class runs under hone unchanged.

    from nni.tuner import Tuner
    class MyTuner(Tuner):
        def update_search_space(self, search_space): ...
        def generate_parameters(self, parameter_id, **kwargs): ...
        def receive_trial_result(self, parameter_id, parameters, value, **kwargs): ...

Name it in the experiment config as NNI does, `tuner: {className: my_tuner.MyTuner,
codeDirectory: ., classArgs: {...}}`: hone runs it through `python3 -m nni.plugin_runner`
(classArgs become the constructor's keyword arguments). update_search_space gets the
search space as written in the config, receive_trial_result the value the trial
reported (a number, or the dict it gave). Parameter ids are hone's configuration ids.
"""

from .recoverable import Recoverable

__all__ = ["Tuner", "NoMoreTrialError"]


class NoMoreTrialError(Exception):
    """Raised by generate_parameters when the tuner has nothing left to offer."""


class Tuner(Recoverable):
    def generate_parameters(self, parameter_id, **kwargs):
        raise NotImplementedError("Tuner: generate_parameters not implemented")

    def generate_multiple_parameters(self, parameter_id_list, **kwargs):
        result = []
        for parameter_id in parameter_id_list:
            try:
                result.append(self.generate_parameters(parameter_id, **kwargs))
            except NoMoreTrialError:
                break
        return result

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        raise NotImplementedError("Tuner: receive_trial_result not implemented")

    def receive_customized_trial_result(self, parameter_id, parameters, value, **kwargs):
        pass

    def trial_end(self, parameter_id, success, **kwargs):
        pass

    def update_search_space(self, search_space):
        raise NotImplementedError("Tuner: update_search_space not implemented")

    def import_data(self, data):
        pass

    def _on_exit(self):
        pass

    def _on_error(self):
        pass
