// Test functions for the tuner benchmark: each is a search space (NNI format), an
// objective to minimize over configurations of that space, and its known minimum.
// bench/tuners/run_optuna.py defines the same functions for Optuna; `run_hone --check`
// and `run_optuna.py --check` print values at fixed points so the two can be compared.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hone::bench {

struct TestFunction {
  std::string name;     // "branin", "hartmann6", ..., "mixed"
  nlohmann::json space;  // NNI search space
  double optimum = 0;   // the global minimum
  std::function<double(const nlohmann::json&)> eval;
};

// Branin (2-D), Hartmann-6, Rosenbrock-10, Ackley-10, Levy-10, Styblinski-Tang-8 and a
// mixed space (integer, log-scaled, quantized, categorical and a nested choice).
std::vector<TestFunction> AllFunctions();

}  // namespace hone::bench
