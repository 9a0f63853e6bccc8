// How long the gp tuner takes to suggest with a long history: 500 finished trials in a
// 10-D continuous space, then Suggest(1) timed (first call fits hyperparameters; the
// following ones reuse them, as they would until the next refit point).
//
//   hone_bench_gp_latency [trials=500] [dims=10] [repeats=5]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

#include "tuners/gp/gp_tuner.h"

namespace {

double Rastrigin(const nlohmann::json& c) {
  double s = 0;
  for (const auto& [k, v] : c.items()) {
    double x = v.get<double>();
    s += x * x - 10 * std::cos(2 * M_PI * x) + 10;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::atoi(argv[1]) : 500;
  int dims = argc > 2 ? std::atoi(argv[2]) : 10;
  int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  nlohmann::json space_json = nlohmann::json::object();
  for (int i = 0; i < dims; ++i)
    space_json["x" + std::to_string(i)] = {{"_type", "uniform"}, {"_value", {-5.12, 5.12}}};
  auto space = hone::SearchSpace::FromJson(space_json);
  if (!space.ok()) {
    std::fprintf(stderr, "%s\n", space.status().message().c_str());
    return 1;
  }
  std::mt19937_64 rng(1);
  std::vector<hone::TrialRecord> history;
  for (int i = 0; i < trials; ++i) {
    hone::TrialRecord r;
    r.seq = i;
    r.status = hone::TrialStatus::kSucceeded;
    r.params = space->Sample(rng);
    r.final_value = Rastrigin(r.params);
    history.push_back(r);
  }
  hone::GpTuner tuner(*space, hone::GpTunerOptions{.seed = 1, .mode = hone::OptimizeMode::kMinimize});
  tuner.Update(history, {});
  for (int k = 0; k < repeats; ++k) {
    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    auto batch = tuner.Suggest(1);
    double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!batch.ok() || batch->size() != 1) {
      std::fprintf(stderr, "suggest failed\n");
      return 1;
    }
    std::printf("suggest %d (n=%d, d=%d): %.1f ms wall, %.1f ms cpu%s\n", k, trials + k, dims, ms, cpu_ms,
                k == 0 ? " (includes the hyperparameter fit)" : "");
    hone::TrialRecord r;
    r.seq = trials + k;
    r.status = hone::TrialStatus::kSucceeded;
    r.params = (*batch)[0];
    r.final_value = Rastrigin(r.params);
    tuner.Update(std::span<const hone::TrialRecord>(&r, 1), {});
  }
  return 0;
}
