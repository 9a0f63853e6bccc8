// Suggest latency of the tpe tuner with 1,000 and 10,000 finished trials in a 6-D mixed
// space (uniform, loguniform, quniform, normal, choice, randint), univariate and
// multivariate. Usage: hone_bench_tpe_latency [suggestions per case, default 200]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "tuners/tpe/tpe_tuner.h"

namespace {

using hone::TrialRecord;
using nlohmann::json;

constexpr const char* kSpace = R"({
  "lr": {"_type": "loguniform", "_value": [0.00001, 1]},
  "dropout": {"_type": "uniform", "_value": [0, 0.9]},
  "units": {"_type": "quniform", "_value": [16, 1024, 16]},
  "shift": {"_type": "normal", "_value": [0, 1]},
  "act": {"_type": "choice", "_value": ["relu", "tanh", "gelu", "silu"]},
  "layers": {"_type": "randint", "_value": [1, 9]}})";

double Objective(const json& c) {
  double v = std::pow(std::log10(c["lr"].get<double>()) + 3, 2) + std::pow(c["dropout"].get<double>() - 0.2, 2) +
             std::fabs(c["units"].get<double>() - 256) / 256 + std::pow(c["shift"].get<double>(), 2) +
             (c["act"] == "gelu" ? 0 : 0.5) + std::fabs(c["layers"].get<long long>() - 4) * 0.1;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = argc > 1 ? std::atoi(argv[1]) : 200;
  auto space = hone::SearchSpace::FromJson(json::parse(kSpace));
  if (!space.ok()) return 1;
  std::printf("%-8s %-13s %10s %10s %10s\n", "trials", "mode", "median_ms", "mean_ms", "max_ms");
  for (int n : {1000, 10000}) {
    std::mt19937_64 rng(42);
    std::vector<TrialRecord> history;
    for (int i = 0; i < n; ++i) {
      TrialRecord r;
      r.seq = i;
      r.status = hone::TrialStatus::kSucceeded;
      r.params = space->Sample(rng);
      r.final_value = Objective(r.params);
      history.push_back(std::move(r));
    }
    for (bool multivariate : {false, true}) {
      hone::TunerContext ctx;
      ctx.space = &*space;
      ctx.seed = 7;
      ctx.mode = hone::OptimizeMode::kMinimize;
      ctx.class_args = {{"multivariate", multivariate}};
      auto tuner = hone::TpeTuner::Create(ctx);
      if (!tuner.ok()) return 1;
      (*tuner)->Update(history, {});
      std::vector<double> ms;
      for (int i = 0; i < reps; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto batch = (*tuner)->Suggest(1);
        auto t1 = std::chrono::steady_clock::now();
        if (!batch.ok() || batch->size() != 1) return 1;
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        (*tuner)->Update({}, {});  // nothing running: no lies carried over
      }
      std::sort(ms.begin(), ms.end());
      double mean = 0;
      for (double x : ms) mean += x;
      mean /= static_cast<double>(ms.size());
      std::printf("%-8d %-13s %10.3f %10.3f %10.3f\n", n, multivariate ? "multivariate" : "univariate",
                  ms[ms.size() / 2], mean, ms.back());
    }
  }
  return 0;
}
