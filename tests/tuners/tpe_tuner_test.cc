#include "tuners/tpe/tpe_tuner.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tuners/random_tuner.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;
using tuner_test::SucceededTrial;

std::unique_ptr<Tuner> MakeTpe(const SearchSpace& space, uint64_t seed, json args = json::object(),
                               OptimizeMode mode = OptimizeMode::kMinimize) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = mode;
  ctx.class_args = std::move(args);
  auto tuner = TpeTuner::Create(ctx);
  EXPECT_TRUE(tuner.ok()) << tuner.status().message();
  return tuner.ok() ? std::move(*tuner) : nullptr;
}

std::unique_ptr<Tuner> MakeRandom(const SearchSpace& space, uint64_t seed) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  return std::move(RandomTuner::Create(ctx)).value();
}

// Runs n trials one at a time against `f`; returns the configurations in order.
std::vector<json> Drive(Tuner& tuner, int n, const std::function<double(const json&)>& f) {
  std::vector<json> out;
  for (int i = 0; i < n; ++i) {
    auto batch = tuner.Suggest(1);
    EXPECT_TRUE(batch.ok() && batch->size() == 1u);
    if (!batch.ok() || batch->empty()) break;
    TrialRecord done = SucceededTrial((*batch)[0], i, f((*batch)[0]));
    tuner.Update(std::span<const TrialRecord>(&done, 1), {});
    out.push_back((*batch)[0]);
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median distance to `opt` of suggestions [from, to).
double MedianDistance(const std::vector<json>& configs, int from, int to, double opt) {
  std::vector<double> d;
  for (int i = from; i < to; ++i) d.push_back(std::fabs(configs[i]["x"].get<double>() - opt));
  return Median(d);
}

constexpr const char* kLine = R"({"x": {"_type": "uniform", "_value": [-1, 1]}})";
double Quadratic(const json& c) { return std::pow(c["x"].get<double>() - 0.3, 2); }

TEST(TpeTunerTest, ConcentratesNearTheOptimumFarMoreThanRandom) {
  SearchSpace space = Space(kLine);
  for (uint64_t seed : {1u, 2u, 3u}) {
    auto tpe = Drive(*MakeTpe(space, seed), 80, Quadratic);
    auto rnd = Drive(*MakeRandom(space, seed), 80, Quadratic);
    ASSERT_EQ(tpe.size(), 80u);
    double t = MedianDistance(tpe, 30, 80, 0.3), r = MedianDistance(rnd, 30, 80, 0.3);
    EXPECT_LT(t, r / 2) << "seed " << seed << ": tpe " << t << " random " << r;
  }
}

TEST(TpeTunerTest, OptimizeModeFlipsTheDirection) {
  SearchSpace space = Space(kLine);
  auto down = Drive(*MakeTpe(space, 5, json::object(), OptimizeMode::kMinimize), 60, Quadratic);
  auto up = Drive(*MakeTpe(space, 5, json::object(), OptimizeMode::kMaximize), 60, Quadratic);
  // Maximizing (x - 0.3)^2 on [-1, 1] pushes x to -1; minimizing it pulls x to 0.3.
  EXPECT_LT(MedianDistance(down, 30, 60, 0.3), 0.25);
  EXPECT_LT(MedianDistance(up, 30, 60, -1.0), 0.3);
  EXPECT_LT(MedianDistance(down, 30, 60, 0.3), MedianDistance(up, 30, 60, 0.3) / 3);
  // optimize_mode in classArgs overrides the context's mode.
  auto via_args = Drive(*MakeTpe(space, 5, {{"optimize_mode", "maximize"}}, OptimizeMode::kMinimize), 60, Quadratic);
  EXPECT_EQ(via_args, up);
}

TEST(TpeTunerTest, MultivariateModeOptimizesJointly) {
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [-1, 1]},
                                "y": {"_type": "loguniform", "_value": [0.001, 10]}})");
  auto f = [](const json& c) {
    return std::pow(c["x"].get<double>() - 0.3, 2) + std::pow(std::log10(c["y"].get<double>()) - 0.0, 2) / 4;
  };
  for (uint64_t seed : {11u, 12u}) {
    auto tpe = Drive(*MakeTpe(space, seed, {{"multivariate", true}}), 80, f);
    auto rnd = Drive(*MakeRandom(space, seed), 80, f);
    std::vector<double> a, b;
    for (int i = 30; i < 80; ++i) {
      a.push_back(f(tpe[i]));
      b.push_back(f(rnd[i]));
    }
    EXPECT_LT(Median(a), Median(b) / 3) << "seed " << seed;
  }
}

TEST(TpeTunerTest, QuantizedKindsStayOnTheirGrid) {
  SearchSpace space = Space(R"({
    "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
    "qlu": {"_type": "qloguniform", "_value": [1, 100, 5]},
    "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
    "qln": {"_type": "qlognormal", "_value": [1, 0.5, 1]}})");
  for (bool multivariate : {false, true}) {
    auto tpe = MakeTpe(space, 4, {{"n_startup_jobs", 5}, {"multivariate", multivariate}});
    auto configs = Drive(*tpe, 50, [](const json& c) {
      return std::fabs(c["qu"].get<double>() - 5) + std::fabs(c["qn"].get<double>() - 12);
    });
    for (const json& c : configs) {
      std::string why;
      EXPECT_TRUE(space.Contains(c, &why)) << c.dump() << ": " << why;
      double qu = c["qu"].get<double>();
      EXPECT_DOUBLE_EQ(qu / 2.5, std::nearbyint(qu / 2.5)) << c.dump();
      double qn = c["qn"].get<double>();
      EXPECT_DOUBLE_EQ(qn / 2, std::nearbyint(qn / 2)) << c.dump();
    }
  }
}

TEST(TpeTunerTest, RandintIsModelledAsOrderedIntegers) {
  // A wide integer range with a quadratic bowl at 3700: modelled as ordered numbers, TPE
  // closes in on it (as 10,000 unordered categories it could only stumble on it).
  SearchSpace space = Space(R"({"n": {"_type": "randint", "_value": [0, 10000]}})");
  auto f = [](const json& c) { return std::pow(c["n"].get<double>() - 3700, 2); };
  for (uint64_t seed : {21u, 22u, 23u}) {
    auto tpe = Drive(*MakeTpe(space, seed), 80, f);
    auto rnd = Drive(*MakeRandom(space, seed), 80, f);
    ASSERT_EQ(tpe.size(), 80u);
    std::vector<double> t, r;
    for (int i = 0; i < 80; ++i) {
      ASSERT_TRUE(tpe[i]["n"].is_number_integer());
      long long n = tpe[i]["n"].get<long long>();
      ASSERT_GE(n, 0);
      ASSERT_LT(n, 10000);
      if (i >= 40) {
        t.push_back(std::fabs(static_cast<double>(n) - 3700));
        r.push_back(std::fabs(rnd[i]["n"].get<double>() - 3700));
      }
    }
    EXPECT_LT(Median(t), Median(r) / 2) << "seed " << seed;
  }
}

TEST(TpeTunerTest, NestedChoicesModelEachBranchOnItsOwnTrials) {
  SearchSpace space = Space(R"({
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}},
      {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]}}]}})");
  auto f = [](const json& c) {
    const json& o = c["opt"];
    if (o["_name"] == "sgd") return 1.0 + std::fabs(std::log10(o["lr"].get<double>()) + 2);
    return std::fabs(o["beta"].get<double>() - 0.9);
  };
  auto configs = Drive(*MakeTpe(space, 8), 80, f);
  int adam = 0, near = 0;
  for (size_t i = 0; i < configs.size(); ++i) {
    const json& o = configs[i]["opt"];
    if (o["_name"] == "sgd") {
      EXPECT_EQ(o.size(), 2u) << o.dump();
      EXPECT_FALSE(o.contains("beta")) << o.dump();
    } else {
      EXPECT_EQ(o.size(), 2u) << o.dump();
      EXPECT_FALSE(o.contains("lr")) << o.dump();
      if (i >= 30) {
        ++adam;
        near += std::fabs(o["beta"].get<double>() - 0.9) < 0.03;
      }
    }
  }
  EXPECT_GT(adam, 35);       // of 50 model-based suggestions
  EXPECT_GT(near, adam / 2);  // a random beta lands this close 30% of the time
}

TEST(TpeTunerTest, ConstantLiarSpreadsABatchAndAvoidsRunningConfigurations) {
  SearchSpace space = Space(R"({"x": {"_type": "quniform", "_value": [0, 40, 1]}})");
  auto f = [](const json& c) { return std::fabs(c["x"].get<double>() - 20); };
  for (const char* liar : {"best", "worst", "mean", "none"}) {
    auto tpe = MakeTpe(space, 6, {{"constant_liar_type", liar}});
    Drive(*tpe, 25, f);
    TrialRecord running = SucceededTrial(json{{"x", 20.0}}, 100, 0);
    running.status = TrialStatus::kRunning;
    running.final_value.reset();
    tpe->Update({}, std::span<const TrialRecord>(&running, 1));
    auto batch = tpe->Suggest(8);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 8u) << liar;
    std::set<std::string> keys;
    for (const json& c : *batch) {
      EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << liar << ": repeated " << c.dump();
      EXPECT_NE(c["x"].get<double>(), 20.0) << liar << ": suggested the running configuration";
    }
  }
  // The lie changes what a batch looks like: 'worst' pushes later members away from
  // the earlier ones, 'best' pulls them together.
  // Summed over seeds: one batch alone is too noisy to compare.
  auto spread = [&](const char* liar) {
    double total = 0;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      auto tpe = MakeTpe(space, seed, {{"constant_liar_type", liar}});
      Drive(*tpe, 25, f);
      auto batch = *tpe->Suggest(8);
      double lo = 1e9, hi = -1e9;
      for (const json& c : batch) {
        lo = std::min(lo, c["x"].get<double>());
        hi = std::max(hi, c["x"].get<double>());
      }
      total += hi - lo;
    }
    return total;
  };
  EXPECT_GT(spread("worst"), spread("best"));
}

TEST(TpeTunerTest, CrashedTrialsRankBelowEveryCompletedOne) {
  SearchSpace space = Space(kLine);
  auto tpe = MakeTpe(space, 3, {{"n_startup_jobs", 0}});
  // Good values are near 0.3; crashed trials sit at -0.7 and must not attract.
  std::vector<TrialRecord> done;
  for (int i = 0; i < 30; ++i) {
    double x = -1 + 2.0 * i / 29;
    TrialRecord r = SucceededTrial(json{{"x", x}}, i, Quadratic(json{{"x", x}}));
    done.push_back(r);
  }
  for (int i = 0; i < 20; ++i) {
    TrialRecord r = SucceededTrial(json{{"x", -0.7 + 0.001 * i}}, 30 + i, 0);
    r.status = TrialStatus::kFailed;
    r.final_value.reset();
    done.push_back(r);
  }
  tpe->Update(done, {});
  auto batch = tpe->Suggest(10);
  ASSERT_TRUE(batch.ok());
  std::vector<json> configs = *batch;
  EXPECT_LT(MedianDistance(configs, 0, 10, 0.3), 0.2);
}

TEST(TpeTunerTest, ResumedModelSuggestsWhatTheUninterruptedOneWould) {
  SearchSpace space = Space(R"({"x": {"_type": "uniform", "_value": [-1, 1]},
    "c": {"_type": "choice", "_value": [{"_name": "a", "q": {"_type": "quniform", "_value": [0, 9, 1]}},
                                          {"_name": "b"}]}})");
  auto f = [](const json& c) { return Quadratic(c) + (c["c"]["_name"] == "a" ? 0.0 : 0.5); };
  json args = {{"n_startup_jobs", 5}};
  std::vector<json> all = Drive(*MakeTpe(space, 21, args), 30, f);
  ASSERT_EQ(all.size(), 30u);
  std::vector<TrialRecord> replay;
  for (int i = 0; i < 20; ++i) replay.push_back(SucceededTrial(all[i], i, f(all[i])));
  auto resumed = MakeTpe(space, 21, args);
  resumed->Update(replay, {});
  std::vector<json> rest;
  for (int i = 20; i < 30; ++i) {
    auto batch = resumed->Suggest(1);
    ASSERT_TRUE(batch.ok() && batch->size() == 1u);
    rest.push_back((*batch)[0]);
    TrialRecord done = SucceededTrial((*batch)[0], i, f((*batch)[0]));
    resumed->Update(std::span<const TrialRecord>(&done, 1), {});
  }
  EXPECT_EQ(rest, std::vector<json>(all.begin() + 20, all.end()));
}

TEST(TpeTunerTest, RejectsBadClassArgs) {
  SearchSpace space = Space(kLine);
  TunerContext ctx;
  ctx.space = &space;
  for (json args : {json{{"gamma", 0}}, json{{"constant_liar_type", "sometimes"}},
                    json{{"n_startup_jobs", -1}}, json{{"multivariate", 1}}, json{{"gamma_rule", "x"}},
                    json{{"tpe_args", {{"bogus", 1}}}}}) {
    ctx.class_args = args;
    EXPECT_FALSE(TpeTuner::Create(ctx).ok()) << args.dump();
  }
  ctx.class_args = {{"optimize_mode", "minimize"},
                    {"tpe_args", {{"constant_liar_type", nullptr}, {"n_startup_jobs", 5}, {"gamma", 0.3}}}};
  auto options = TpeTuner::ParseOptions(ctx);
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->liar, LiarType::kNone);
  EXPECT_EQ(options->n_startup_jobs, 5);
  EXPECT_EQ(options->model.gamma, 0.3);
  EXPECT_EQ(options->mode, OptimizeMode::kMinimize);
}

}  // namespace
}  // namespace hone
