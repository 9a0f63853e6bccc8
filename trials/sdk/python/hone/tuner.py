"""Tuner and assessor plugins in Python, speaking hone's plugin protocol.

    from hone.tuner import Tuner, serve

    class MyTuner(Tuner):
        def suggest(self, count):
            return [sample(self.search_space, self.rng) for _ in range(count)]
        def update(self, completed, active):
            ...

    if __name__ == "__main__":
        serve(MyTuner)

and in the experiment config: `tuner: {plugin: "/usr/bin/python3 my_tuner.py"}`.

The protocol (tuners/plugin/plugin_protocol.h in the hone sources): one JSON request per
line on stdin, one JSON reply per line on stdout. serve() runs that loop; while your code
runs, print() goes to stderr so that it cannot garble a reply. Trials reach update() and
assess() as dicts {"seq", "config_id", "status", "params", "final", "metrics",
"intermediate"} with "final" a float (NaN and infinities restored) or None, "metrics" the
whole final report ({"default": ..., other keys}) or None, and "intermediate" a list of
[step, value] pairs.
"""

import json
import math
import random
import sys
import traceback

__all__ = ["Tuner", "Assessor", "serve", "sample", "NoMoreConfigurations"]


class NoMoreConfigurations(Exception):
    """Raise from suggest() when the tuner has nothing left to offer."""


class Tuner:
    """Base class: override suggest(), and update() to learn from results."""

    def init(self, search_space, class_args, seed, optimize_mode):
        self.search_space = search_space
        self.class_args = class_args
        self.seed = seed
        self.optimize_mode = optimize_mode
        self.rng = random.Random(seed)

    def suggest(self, count):
        """Up to `count` configurations (dicts); fewer, even none, is fine."""
        raise NotImplementedError

    def update(self, completed, active):
        """`completed`: trials that finished since the last call (each exactly once);
        `active`: every trial still running."""


class Assessor:
    """Base class: override assess(); return True (or "stop") to stop the trial."""

    def init(self, search_space, class_args, seed, optimize_mode):
        self.class_args = class_args
        self.optimize_mode = optimize_mode

    def assess(self, trial, finished):
        return False


def _number(v):
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, math.nan)
    return None if v is None else float(v)


def _trial(t):
    t = dict(t)
    t["final"] = _number(t.get("final"))
    t["intermediate"] = [[s, _number(v)] for s, v in t.get("intermediate", [])]
    return t


def _encode(value):
    """JSON without NaN/Infinity literals (they become strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _encode(value.item())
    return value


def _handle(factory, state, request):
    kind = request.get("type")
    if kind == "init":
        obj = factory()
        obj.init(request.get("search_space", {}), request.get("class_args", {}),
                 request.get("seed", 0), request.get("optimize_mode", "maximize"))
        state["obj"] = obj
        return {}
    obj = state.get("obj")
    if obj is None:
        return {"error": "'%s' before 'init'" % kind}
    if kind == "suggest":
        try:
            configs = list(obj.suggest(int(request.get("count", 1))))
        except NoMoreConfigurations:
            return {"configs": [], "exhausted": True}
        return {"configs": configs}
    if kind == "update":
        obj.update([_trial(t) for t in request.get("completed", [])],
                   [_trial(t) for t in request.get("active", [])])
        return {}
    if kind == "assess":
        verdict = obj.assess(_trial(request["trial"]), [_trial(t) for t in request.get("finished", [])])
        stop = verdict is True or (isinstance(verdict, str) and verdict.lower() in ("stop", "bad"))
        return {"verdict": "stop" if stop else "continue"}
    if kind == "shutdown":
        return {}
    return {"error": "unknown request type '%s'" % kind}


def serve(factory, stdin=None, stdout=None):
    """Answers requests until stdin closes. `factory()` makes the Tuner or Assessor."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    if stdout is None:
        sys.stdout = sys.stderr  # user prints must not garble replies
    state = {}
    for line in stdin:
        line = line.strip()
        if not line:
            continue
        request = {}
        try:
            request = json.loads(line)
            reply = _handle(factory, state, request)
        except Exception as e:  # noqa: BLE001 - every failure becomes an error reply
            traceback.print_exc(file=sys.stderr)
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(_encode(reply), allow_nan=False) + "\n")
        out.flush()
        if isinstance(request, dict) and request.get("type") == "shutdown":
            break


def _q(x, q):
    return round(x / q) * q if q else x


def sample(search_space, rng):
    """A random configuration of an NNI-format search space (nested choices included)."""
    out = {}
    for name, spec in search_space.items():
        t, v = spec.get("_type"), spec.get("_value")
        if t == "choice":
            opt = rng.choice(v)
            if isinstance(opt, dict) and "_name" in opt:
                sub = {k: s for k, s in opt.items() if k != "_name"}
                chosen = sample(sub, rng)
                chosen["_name"] = opt["_name"]
                opt = chosen
            out[name] = opt
        elif t == "randint":
            out[name] = rng.randrange(int(v[0]), int(v[1]))
        elif t in ("uniform", "quniform"):
            x = rng.uniform(v[0], v[1])
            out[name] = min(max(_q(x, v[2]), v[0]), v[1]) if t == "quniform" else x
        elif t in ("loguniform", "qloguniform"):
            x = math.exp(rng.uniform(math.log(v[0]), math.log(v[1])))
            out[name] = min(max(_q(x, v[2]), v[0]), v[1]) if t == "qloguniform" else x
        elif t in ("normal", "qnormal"):
            x = rng.gauss(v[0], v[1])
            out[name] = _q(x, v[2]) if t == "qnormal" else x
        elif t in ("lognormal", "qlognormal"):
            x = math.exp(rng.gauss(v[0], v[1]))
            out[name] = _q(x, v[2]) if t == "qlognormal" else x
        else:
            raise ValueError("unsupported _type '%s' for '%s'" % (t, name))
    return out
