"""A tuner plugin in Python with hone's helper: random warm-up, then mutations of the
best configurations so far (a tiny evolutionary search). hone starts it as a process
and talks to it over stdin/stdout; see README.md."""

from hone.tuner import Tuner, sample, serve


class EvolveTuner(Tuner):
    def init(self, search_space, class_args, seed, optimize_mode):
        super().init(search_space, class_args, seed, optimize_mode)
        self.population = int(class_args.get("population", 6))
        self.results = []  # (value, params)
        self.seen = set()

    def _key(self, params):
        return repr(sorted(params.items()))

    def _mutate(self, parent):
        child = dict(parent)
        fresh = sample(self.search_space, self.rng)
        name = self.rng.choice(sorted(self.search_space))
        child[name] = fresh[name]  # one gene replaced by a fresh draw
        return child

    def suggest(self, count):
        out = []
        for _ in range(count):
            for _attempt in range(100):
                if len(self.results) < self.population:
                    params = sample(self.search_space, self.rng)
                else:
                    best = sorted(self.results, key=lambda r: r[0],
                                  reverse=self.optimize_mode == "maximize")[: self.population]
                    params = self._mutate(self.rng.choice(best)[1])
                if self._key(params) not in self.seen:
                    break
            else:
                break  # nothing new for now
            self.seen.add(self._key(params))
            out.append(params)
        return out

    def update(self, completed, active):
        for t in completed + active:
            self.seen.add(self._key(t["params"]))
        for t in completed:
            final = t["final"]
            if t["status"] == "succeeded" and final is not None and final == final and abs(final) != float("inf"):
                self.results.append((final, t["params"]))


if __name__ == "__main__":
    serve(EvolveTuner)
