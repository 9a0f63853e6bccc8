"""Run hone experiments from Python, as nni.experiment.Experiment does for NNI.

    import hone
    exp = hone.Experiment("exp.yaml")        # or a dict with the YAML's keys
    status = exp.run()                       # blocks: "done", "no_more_trial", "failed", ...
    best = max(exp.trials(), key=lambda t: t["final"] or float("-inf"))

    exp = hone.Experiment({"searchSpace": {...}, "trialCommand": "python3 trial.py",
                           "maxTrialNumber": 20, "tuner": {"name": "tpe"}})
    exp.start()                              # in the background; returns the id
    ...
    exp.stop()

Every call drives the `hone` command (the one installed beside this package, else the
first on PATH, or the path given), so experiments started here are the same as those of
the CLI: `hone experiment list` shows them, `hone resume ID` continues them. Relative
paths of a dict config (trialCodeDirectory, searchSpaceFile, ...) resolve against the
current directory, as NNI's do.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

__all__ = ["Experiment", "ExperimentError", "find_hone"]

# Statuses of an experiment that is still going (core/experiment_status.h).
_ACTIVE = ("created", "running")


class ExperimentError(RuntimeError):
    """hone refused a command; the message is hone's own (config errors with file:line)."""


def find_hone(binary=None):
    """The hone executable: `binary` if given, else the one this package was installed
    with (<prefix>/bin/hone), else `hone` on PATH."""
    if binary:
        return os.fspath(binary)
    here = os.path.dirname(os.path.abspath(__file__))
    # From <prefix>/lib/python3/dist-packages/hone or <prefix>/share/hone/python/hone:
    # <prefix>/bin/hone; from <build>/share/hone/python/hone: <build>/hone; from the
    # source tree's trials/sdk/python/hone: build/hone.
    for candidate in ("../../../../bin/hone", "../../../../hone", "../../../../build/hone"):
        path = os.path.normpath(os.path.join(here, candidate))
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which("hone")
    if not found:
        raise ExperimentError("the hone executable is neither beside this package nor on PATH")
    return found


class Experiment:
    """One hone experiment. `config`: the path of an experiment YAML, or a dict of its keys.
    `home`: the HONE_HOME to use (default: hone's, ~/.local/share/hone). `hone`: the
    executable (default: find_hone())."""

    def __init__(self, config=None, *, home=None, hone=None):
        if config is not None and not isinstance(config, (dict, str, os.PathLike)):
            raise TypeError("config must be a path or a dict, but got %s" % type(config).__name__)
        self.config = config
        self.home = os.fspath(home) if home is not None else None
        self.binary = find_hone(hone)
        self.id = None

    @classmethod
    def connect(cls, experiment_id, *, home=None, hone=None):
        """An existing experiment by id (or a unique prefix), to watch, stop or export."""
        exp = cls(None, home=home, hone=hone)
        exp.id = experiment_id
        return exp

    def _hone(self, *args):
        env = dict(os.environ)
        if self.home is not None:
            env["HONE_HOME"] = self.home
        proc = subprocess.run([self.binary, *args], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise ExperimentError(proc.stderr.strip() or "hone %s exited with %d" % (args[0], proc.returncode))
        return proc

    def _require_id(self):
        if self.id is None:
            raise ExperimentError("the experiment has not been started")
        return self.id

    def start(self, *, port=None, ui=False):
        """Creates the experiment and runs its manager in the background; returns its id.
        With ui=True (or a port) the manager also serves the web UI."""
        if self.id is not None:
            raise ExperimentError("experiment %s was already started" % self.id)
        if self.config is None:
            raise ExperimentError("no config to start")
        args = ["create"]
        if port is not None:
            args += ["--port", str(port)]
        elif not ui:
            args.append("--no-ui")
        if isinstance(self.config, dict):
            # Written beside the caller so that relative paths resolve against the current
            # directory; hone keeps its own copy, so the file goes once create returns.
            fd, path = tempfile.mkstemp(prefix=".hone-experiment-", suffix=".yaml", dir=os.getcwd())
            try:
                with os.fdopen(fd, "w") as f:
                    json.dump(self.config, f, indent=1)  # JSON is YAML
                proc = self._hone(*args, path)
            except ExperimentError as e:
                raise ExperimentError("the config dict, written as %s:\n%s" % (path, e)) from None
            finally:
                os.unlink(path)
        else:
            proc = self._hone(*args, os.fspath(self.config))
        self.id = proc.stdout.split()[0]
        return self.id

    def status(self):
        """The experiment's status: "created", "running", "done", "no_more_trial",
        "stopped" or "failed"."""
        out = self._hone("experiment", "show", self._require_id()).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "status":
                return value.strip()
        raise ExperimentError("hone experiment show printed no status:\n" + out)

    def wait(self, timeout=None, poll=0.5):
        """Blocks until the experiment ends (or `timeout` seconds pass); returns its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status()
            if status not in _ACTIVE or (deadline is not None and time.monotonic() >= deadline):
                return status
            time.sleep(poll)

    def run(self, *, port=None, ui=False, timeout=None):
        """start() then wait(): blocks until the experiment ends and returns its status.
        Ctrl-C (or a timeout) stops the experiment before returning or raising."""
        self.start(port=port, ui=ui)
        try:
            status = self.wait(timeout)
        except BaseException:
            self.stop()
            raise
        if status in _ACTIVE:
            self.stop()
            status = self.status()
        return status

    def stop(self, timeout=60):
        """Stops the experiment (running trials are canceled); `hone resume` continues it."""
        self._hone("stop", self._require_id(), "--timeout", str(timeout))

    def trials(self, intermediate=False):
        """Every trial as a dict (seq, status, parameters, final, metrics, ...), as
        `hone experiment export --format json` writes them."""
        args = ["experiment", "export", self._require_id(), "--format", "json"]
        if intermediate:
            args.append("--intermediate")
        return json.loads(self._hone(*args).stdout)

    def export(self, path, format="json", intermediate=False):
        """Writes every trial to `path` as JSON or CSV."""
        args = ["experiment", "export", self._require_id(), "--format", format, "--output", os.fspath(path)]
        if intermediate:
            args.append("--intermediate")
        self._hone(*args)
