#include "tuners/anneal/anneal_tuner.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "tuners/random_tuner.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;

std::unique_ptr<Tuner> Make(const SearchSpace& space, uint64_t seed, bool anneal,
                            OptimizeMode mode = OptimizeMode::kMinimize, json args = json::object()) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = mode;
  ctx.class_args = std::move(args);
  auto tuner = anneal ? AnnealTuner::Create(ctx) : RandomTuner::Create(ctx);
  EXPECT_TRUE(tuner.ok()) << tuner.status().message();
  return tuner.ok() ? std::move(*tuner) : nullptr;
}

constexpr const char* kPlane = R"({"x": {"_type": "uniform", "_value": [-5, 5]},
                                   "y": {"_type": "loguniform", "_value": [0.01, 100]},
                                   "c": {"_type": "choice", "_value": ["a", "b", "c", "d"]}})";

double Bowl(const json& c) {
  double x = c["x"].get<double>() - 1, y = std::log10(c["y"].get<double>()) - 0.5;
  return x * x + y * y + (c["c"] == "b" ? 0 : 1);
}

// The best value found in n sequential trials, and the median value of the last 40.
std::pair<double, double> Drive(Tuner& tuner, int n, OptimizeMode mode) {
  double best = 1e300;
  std::vector<double> late;
  double sign = mode == OptimizeMode::kMinimize ? 1 : -1;
  for (int i = 0; i < n; ++i) {
    auto batch = tuner.Suggest(1);
    EXPECT_TRUE(batch.ok() && batch->size() == 1u);
    if (!batch.ok() || batch->empty()) break;
    double v = sign * Bowl((*batch)[0]);
    TrialRecord r;
    r.seq = i;
    r.status = TrialStatus::kSucceeded;
    r.params = (*batch)[0];
    r.final_value = v;
    tuner.Update(std::span<const TrialRecord>(&r, 1), {});
    best = std::min(best, sign * v);
    if (i >= n - 40) late.push_back(sign * v);
  }
  std::sort(late.begin(), late.end());
  return {best, late[late.size() / 2]};
}

TEST(AnnealTunerTest, ConvergesOnAQuadraticBetterThanRandom) {
  SearchSpace space = Space(kPlane);
  int wins = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto [a_best, a_late] = Drive(*Make(space, seed, true), 100, OptimizeMode::kMinimize);
    auto [r_best, r_late] = Drive(*Make(space, seed, false), 100, OptimizeMode::kMinimize);
    EXPECT_LT(a_late, r_late / 3) << "seed " << seed;
    wins += a_best < r_best;
  }
  EXPECT_GE(wins, 4);
}

TEST(AnnealTunerTest, MaximizeModeFollowsTheNegatedObjective) {
  SearchSpace space = Space(kPlane);
  // Maximizing -Bowl is minimizing Bowl: the same late quality.
  auto [best, late] = Drive(*Make(space, 3, true, OptimizeMode::kMaximize), 100, OptimizeMode::kMaximize);
  auto [r_best, r_late] = Drive(*Make(space, 3, false, OptimizeMode::kMaximize), 100, OptimizeMode::kMaximize);
  EXPECT_LT(late, r_late / 3);
}

TEST(AnnealTunerTest, RejectsBadClassArgs) {
  for (json args : {json{{"avg_best_idx", 0.5}}, json{{"shrink_coef", -1}}, json{{"n_startup_jobs", 1.5}},
                    json{{"bogus", 1}}}) {
    EXPECT_FALSE(tuner_test::CheckClassArgs("anneal", args).ok()) << args.dump();
  }
}

}  // namespace
}  // namespace hone
