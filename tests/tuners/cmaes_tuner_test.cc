// The cmaes tuner through the ask/tell interface: convergence, modes, resume, fallbacks.
#include <cmath>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "tuners/cmaes/cmaes_tuner.h"
#include "tuners/config_key.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;

constexpr const char* kSphere5 = R"({
  "x0": {"_type": "uniform", "_value": [-1, 1]},
  "x1": {"_type": "uniform", "_value": [-1, 1]},
  "x2": {"_type": "uniform", "_value": [-1, 1]},
  "x3": {"_type": "uniform", "_value": [-1, 1]},
  "x4": {"_type": "uniform", "_value": [-1, 1]}})";

double Sphere(const json& c) {
  double s = 0;
  for (const auto& [k, v] : c.items()) s += std::pow(v.get<double>() - 0.2, 2);
  return s;
}

std::unique_ptr<CmaesTuner> Make(const SearchSpace& space, uint64_t seed, OptimizeMode mode,
                                 json args = json::object()) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = mode;
  ctx.class_args = std::move(args);
  auto t = CmaesTuner::Create(ctx);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::unique_ptr<CmaesTuner>(static_cast<CmaesTuner*>(t->release()));
}

// Asks for whole batches, evaluates, tells; returns the best sphere value after `budget`
// evaluations and fills `history` with every finished trial.
double Minimize(CmaesTuner& tuner, int budget, double sign, std::vector<TrialRecord>* history = nullptr) {
  double best = std::numeric_limits<double>::infinity();
  int used = 0;
  while (used < budget) {
    auto batch = tuner.Suggest(budget - used);
    EXPECT_TRUE(batch.ok()) << batch.status().message();
    if (!batch.ok() || batch->empty()) break;
    std::vector<TrialRecord> done;
    for (const json& c : *batch) {
      TrialRecord r;
      r.seq = used++;
      r.status = TrialStatus::kSucceeded;
      r.params = c;
      r.final_value = sign * Sphere(c);
      best = std::min(best, Sphere(c));
      done.push_back(r);
    }
    tuner.Update(done, {});
    if (history) history->insert(history->end(), done.begin(), done.end());
  }
  return best;
}

TEST(CmaesTunerTest, MinimizesA5DSphereThroughAskTell) {
  SearchSpace space = Space(kSphere5);
  auto tuner = Make(space, 1, OptimizeMode::kMinimize);
  EXPECT_EQ(tuner->strategy().lambda(), 8);  // 4 + floor(3 ln 5)
  EXPECT_LT(Minimize(*tuner, 600, 1), 1e-3);
  EXPECT_GE(tuner->generation(), 70);
  EXPECT_LT(tuner->strategy().sigma(), 0.05);
}

TEST(CmaesTunerTest, MaximizeModeClimbsTheNegatedSphere) {
  SearchSpace space = Space(kSphere5);
  auto tuner = Make(space, 2, OptimizeMode::kMaximize);
  EXPECT_LT(Minimize(*tuner, 600, -1), 1e-3);
  // Reporting the sphere itself while maximizing walks away from the optimum.
  auto wrong = Make(space, 2, OptimizeMode::kMaximize);
  EXPECT_GT(Minimize(*wrong, 600, 1), 1e-2);
}

TEST(CmaesTunerTest, WaitsForTheGenerationBeforeStartingTheNext) {
  SearchSpace space = Space(kSphere5);
  auto tuner = Make(space, 3, OptimizeMode::kMinimize, {{"popsize", 6}});
  auto first = tuner->Suggest(10);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 6u);
  auto more = tuner->Suggest(1);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
  std::vector<TrialRecord> done;
  for (const json& c : *first) {
    TrialRecord r;
    r.status = TrialStatus::kSucceeded;
    r.params = c;
    r.final_value = Sphere(c);
    done.push_back(r);
  }
  done[0].status = TrialStatus::kFailed;  // ranks worst
  done[0].final_value.reset();
  tuner->Update(std::span<const TrialRecord>(done).first(5), std::span<const TrialRecord>(done).subspan(5));
  EXPECT_EQ(tuner->generation(), 0);
  tuner->Update(std::span<const TrialRecord>(done).subspan(5), {});
  EXPECT_EQ(tuner->generation(), 1);
  auto next = tuner->Suggest(10);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->size(), 6u);
}

TEST(CmaesTunerTest, ACanceledTrialRanksWorstInsteadOfStallingTheGeneration) {
  SearchSpace space = Space(kSphere5);
  auto tuner = Make(space, 3, OptimizeMode::kMinimize, {{"popsize", 4}});
  auto first = tuner->Suggest(4);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 4u);
  std::vector<TrialRecord> done;
  for (size_t i = 0; i < 3; ++i) {
    TrialRecord r;
    r.status = TrialStatus::kSucceeded;
    r.params = (*first)[i];
    r.final_value = Sphere(r.params);
    done.push_back(r);
  }
  // The fourth was canceled: it never finishes and is no longer active.
  tuner->Update(done, {});
  EXPECT_EQ(tuner->generation(), 1);
  auto next = tuner->Suggest(4);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->size(), 4u);
}

TEST(CmaesTunerTest, ReplayRebuildsTheDistribution) {
  SearchSpace space = Space(kSphere5);
  auto original = Make(space, 4, OptimizeMode::kMinimize);
  std::vector<TrialRecord> history;
  Minimize(*original, 8 * 5 + 3, 1, &history);
  auto resumed = Make(space, 4, OptimizeMode::kMinimize);
  resumed->Update(history, {});
  EXPECT_EQ(resumed->generation(), original->generation());
  EXPECT_EQ(resumed->strategy().sigma(), original->strategy().sigma());
  EXPECT_EQ(resumed->strategy().mean(), original->strategy().mean());
  auto a = original->Suggest(20), b = resumed->Suggest(20);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 5u);
}

TEST(CmaesTunerTest, CategoricalOnlySpaceIsExhaustedWithoutRepeats) {
  SearchSpace space = Space(R"({"c": {"_type": "choice", "_value": [1, 2, 3]},
                                "d": {"_type": "choice", "_value": ["x", "y"]}})");
  auto tuner = Make(space, 5, OptimizeMode::kMinimize);
  std::set<std::string> keys;
  for (int round = 0; round < 20; ++round) {
    auto batch = tuner->Suggest(3);
    if (!batch.ok()) {
      EXPECT_EQ(batch.status().code(), StatusCode::kExhausted);
      break;
    }
    std::vector<TrialRecord> done;
    for (const json& c : *batch) {
      EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << c.dump();
      TrialRecord r;
      r.status = TrialStatus::kSucceeded;
      r.params = c;
      r.final_value = 1.0;
      done.push_back(r);
    }
    tuner->Update(done, {});
  }
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_TRUE(tuner->IsExhausted());
}

TEST(CmaesTunerTest, RejectsBadClassArgs) {
  SearchSpace space = Space(kSphere5);
  TunerContext ctx;
  ctx.space = &space;
  EXPECT_FALSE(tuner_test::CheckClassArgs("cmaes", {{"popsize", 1}}).ok());
  // sigma0 > 0 is stricter than its ArgSpec's inclusive bound: the factory checks it.
  ctx.class_args = {{"sigma0", 0}};
  EXPECT_FALSE(CmaesTuner::Create(ctx).ok());
  ctx.class_args = {{"popsize", 12}, {"sigma0", 0.2}, {"seed", 3}, {"optimize_mode", "minimize"}};
  EXPECT_TRUE(CmaesTuner::Create(ctx).ok());
}

}  // namespace
}  // namespace hone
