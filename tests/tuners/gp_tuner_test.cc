// The gp tuner end to end through the ask/tell interface, and its unit-cube encoding.
#include <cmath>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tuners/gp/gp_tuner.h"
#include "tuners/gp/unit_cube_encoding.h"
#include "tuners/random_tuner.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;

constexpr const char* kBraninSpace = R"({
  "x1": {"_type": "uniform", "_value": [-5, 10]},
  "x2": {"_type": "uniform", "_value": [0, 15]}})";

double Branin(const json& c) {
  double x1 = c["x1"].get<double>(), x2 = c["x2"].get<double>();
  double b = 5.1 / (4 * M_PI * M_PI), cc = 5 / M_PI, t = 1 / (8 * M_PI);
  return std::pow(x2 - b * x1 * x1 + cc * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

// Runs `n` sequential trials of `tuner` on Branin (reported as `sign` * value) and
// returns the best Branin value seen.
double BestBranin(Tuner& tuner, int n, double sign) {
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    auto batch = tuner.Suggest(1);
    EXPECT_TRUE(batch.ok() && batch->size() == 1u);
    if (!batch.ok() || batch->empty()) break;
    TrialRecord r;
    r.seq = i;
    r.status = TrialStatus::kSucceeded;
    r.params = (*batch)[0];
    double f = Branin(r.params);
    r.final_value = sign * f;
    best = std::min(best, f);
    tuner.Update(std::span<const TrialRecord>(&r, 1), {});
  }
  return best;
}

std::unique_ptr<Tuner> MakeGp(const SearchSpace& space, uint64_t seed, OptimizeMode mode) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = mode;
  auto t = GpTuner::Create(ctx);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(*t);
}

TEST(GpTunerTest, BeatsRandomSearchOnBraninInBothModes) {
  SearchSpace space = Space(kBraninSpace);
  for (uint64_t seed : {1, 2}) {
    RandomTuner random(space, seed);
    double random_best = BestBranin(random, 30, 1);
    auto gp_min = MakeGp(space, seed, OptimizeMode::kMinimize);
    double gp_min_best = BestBranin(*gp_min, 30, 1);
    auto gp_max = MakeGp(space, seed, OptimizeMode::kMaximize);
    double gp_max_best = BestBranin(*gp_max, 30, -1);
    EXPECT_LT(gp_min_best, random_best) << "seed " << seed;
    EXPECT_LT(gp_max_best, random_best) << "seed " << seed;
    EXPECT_LT(gp_min_best, 1.0) << "seed " << seed;  // the minimum is 0.398
  }
}

TEST(GpTunerTest, BatchSuggestionsAreDistinctAndAvoidRunningTrials) {
  SearchSpace space = Space(kBraninSpace);
  auto tuner = MakeGp(space, 7, OptimizeMode::kMinimize);
  BestBranin(*tuner, 12, 1);
  TrialRecord running;
  running.status = TrialStatus::kRunning;
  running.params = {{"x1", 3.0}, {"x2", 2.0}};
  tuner->Update({}, std::span<const TrialRecord>(&running, 1));
  auto batch = tuner->Suggest(4);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->size(), 4u);
  std::set<std::string> keys{ConfigKey(running.params)};
  for (const json& c : *batch) {
    EXPECT_TRUE(space.Contains(c)) << c.dump();
    EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << c.dump();
  }
  // Kriging believer spreads the batch out rather than stacking it on one spot.
  double min_gap = 1e9;
  for (size_t i = 0; i < batch->size(); ++i)
    for (size_t j = i + 1; j < batch->size(); ++j) {
      double dx = ((*batch)[i]["x1"].get<double>() - (*batch)[j]["x1"].get<double>()) / 15;
      double dy = ((*batch)[i]["x2"].get<double>() - (*batch)[j]["x2"].get<double>()) / 15;
      min_gap = std::min(min_gap, std::hypot(dx, dy));
    }
  EXPECT_GT(min_gap, 1e-3);
}

TEST(GpTunerTest, RejectsBadClassArgs) {
  SearchSpace space = Space(kBraninSpace);
  TunerContext ctx;
  ctx.space = &space;
  EXPECT_FALSE(tuner_test::CheckClassArgs("gp", {{"n_startup_jobs", -1}}).ok());
  EXPECT_FALSE(tuner_test::CheckClassArgs("gp", {{"optimize_mode", "sideways"}}).ok());
  ctx.class_args = {{"n_startup_jobs", 3}, {"n_candidates", 100}, {"seed", 4}, {"optimize_mode", "minimize"}};
  EXPECT_TRUE(GpTuner::Create(ctx).ok());
}

TEST(GpUnitCubeEncodingTest, RoundTripsEveryKindAndNestedChoices) {
  SearchSpace space = Space(R"({
    "c": {"_type": "choice", "_value": ["a", 2, 3.5]},
    "ri": {"_type": "randint", "_value": [2, 9]},
    "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
    "lu": {"_type": "loguniform", "_value": [0.001, 1]},
    "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
    "ln": {"_type": "lognormal", "_value": [0, 1]},
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}},
      {"_name": "plain"}]}})");
  UnitCubeEncoding enc(space);
  EXPECT_EQ(enc.size(), 3u + 5u + 2u + 1u);
  size_t lr_dim = enc.size();  // the only dimension inside a nested option: sgd's lr
  for (size_t j = 0; j < enc.size(); ++j)
    if (enc.dims()[j].nested) lr_dim = j;
  ASSERT_LT(lr_dim, enc.size());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    json c = space.Sample(rng);
    std::vector<double> x = enc.Encode(c);
    for (double v : x) EXPECT_TRUE(v >= 0 && v <= 1) << c.dump();
    json back = enc.Decode(x);
    ASSERT_TRUE(space.Contains(back)) << back.dump();
    EXPECT_EQ(back["c"], c["c"]);
    EXPECT_EQ(back["ri"], c["ri"]);
    EXPECT_EQ(back["qu"], c["qu"]);
    EXPECT_EQ(back["qn"], c["qn"]);
    EXPECT_NEAR(back["lu"].get<double>(), c["lu"].get<double>(), 1e-9);
    EXPECT_NEAR(back["ln"].get<double>(), c["ln"].get<double>(), 1e-6 * c["ln"].get<double>());
    EXPECT_EQ(back["opt"]["_name"], c["opt"]["_name"]);
    // The unchosen option's dimension sits at 0.5 and is inactive.
    std::vector<bool> active = enc.ActiveDims(x);
    EXPECT_EQ(active[lr_dim], c["opt"]["_name"] == "sgd");
    if (c["opt"]["_name"] == "plain") {
      EXPECT_EQ(x[lr_dim], 0.5);
    }
  }
}

}  // namespace
}  // namespace hone
