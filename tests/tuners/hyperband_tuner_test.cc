#include "tuners/hyperband/hyperband_tuner.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tuners/bohb/bohb_tuner.h"
#include "tuners/config_key.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::SucceededTrial;

SearchSpace Space() {
  auto s = SearchSpace::FromJson(json::parse(R"({"x": {"_type": "uniform", "_value": [0, 1]},
                                                 "y": {"_type": "uniform", "_value": [0, 1]}})"));
  EXPECT_TRUE(s.ok());
  return *s;
}

TEST(BracketPlanTest, BracketSizesAndBudgetsFollowHyperband) {
  BracketOptions o;
  o.max_budget = 9;
  o.min_budget = 1;
  o.eta = 3;
  BracketPlan plan(o, [](uint64_t, double) { return std::optional<json>(json::object()); }, [](const json&) {});
  EXPECT_EQ(plan.s_max(), 2);
  EXPECT_EQ(plan.RungSize(2, 0), 9);
  EXPECT_EQ(plan.RungSize(2, 1), 3);
  EXPECT_EQ(plan.RungSize(2, 2), 1);
  EXPECT_EQ(plan.RungSize(1, 0), 5);
  EXPECT_EQ(plan.RungSize(1, 1), 1);
  EXPECT_EQ(plan.RungSize(0, 0), 3);
  EXPECT_EQ(plan.BudgetOf(2, 0), 1);
  EXPECT_EQ(plan.BudgetOf(2, 1), 3);
  EXPECT_EQ(plan.BudgetOf(1, 0), 3);
  EXPECT_EQ(plan.BudgetOf(0, 0), 9);
  BracketOptions nni;  // NNI's Hyperband default R 60, eta 3: s_max 3, budgets 60/27 ... 60
  nni.max_budget = 60;
  BracketPlan p60(nni, [](uint64_t, double) { return std::optional<json>(json::object()); }, [](const json&) {});
  EXPECT_EQ(p60.s_max(), 3);
  EXPECT_EQ(p60.RungSize(3, 0), 27);
  EXPECT_EQ(p60.BudgetOf(3, 0), 2);  // 60 / 27 = 2.2, rounded
}

TEST(HyperbandTunerTest, SerialModeWaitsForTheRungAndPromotesTheBest) {
  SearchSpace space = Space();
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = 3;
  ctx.class_args = {{"R", 9}, {"eta", 3}, {"exec_mode", "serial"}};
  auto tuner = HyperbandTuner::Create(ctx);
  ASSERT_TRUE(tuner.ok()) << tuner.status().message();
  auto first = (*tuner)->Suggest(20);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 9u) << "serial: only the first rung of the first bracket";
  for (const auto& c : *first) EXPECT_EQ(c["TRIAL_BUDGET"], 1);
  std::vector<TrialRecord> done;
  for (size_t i = 0; i + 1 < first->size(); ++i) done.push_back(SucceededTrial((*first)[i], i, (*first)[i]["x"].get<double>()));
  (*tuner)->Update(done, {});
  EXPECT_TRUE((*tuner)->Suggest(5)->empty()) << "one trial of the rung still runs";
  TrialRecord last = SucceededTrial(first->back(), 8, first->back()["x"].get<double>());
  (*tuner)->Update(std::span<const TrialRecord>(&last, 1), {});
  auto second = (*tuner)->Suggest(20);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 3u);
  std::vector<double> xs;
  for (const auto& c : *first) xs.push_back(c["x"].get<double>());
  std::sort(xs.rbegin(), xs.rend());
  std::set<double> promoted;
  for (const auto& c : *second) {
    EXPECT_EQ(c["TRIAL_BUDGET"], 3);
    promoted.insert(c["x"].get<double>());
  }
  EXPECT_EQ(promoted, std::set<double>(xs.begin(), xs.begin() + 3));
}

TEST(HyperbandTunerTest, ParallelModeOpensTheNextBracketWhileWaiting) {
  SearchSpace space = Space();
  TunerContext ctx;
  ctx.space = &space;
  ctx.class_args = {{"R", 9}, {"eta", 3}};
  auto tuner = HyperbandTuner::Create(ctx);
  ASSERT_TRUE(tuner.ok());
  auto batch = (*tuner)->Suggest(14);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 14u);
  std::map<int, int> budgets;
  for (const auto& c : *batch) budgets[c["TRIAL_BUDGET"].get<int>()]++;
  EXPECT_EQ(budgets[1], 9);  // bracket 0
  EXPECT_EQ(budgets[3], 5);  // bracket 1
}

TEST(HyperbandTunerTest, MinimizePromotesTheLowest) {
  SearchSpace space = Space();
  TunerContext ctx;
  ctx.space = &space;
  ctx.mode = OptimizeMode::kMinimize;
  ctx.class_args = {{"R", 3}, {"eta", 3}, {"exec_mode", "serial"}};
  auto tuner = HyperbandTuner::Create(ctx);
  ASSERT_TRUE(tuner.ok());
  auto first = (*tuner)->Suggest(10);
  ASSERT_EQ(first->size(), 3u);  // s_max 1: n = ceil(2/2 * 3) = 3 at budget 1
  std::vector<TrialRecord> done;
  for (size_t i = 0; i < 3; ++i) done.push_back(SucceededTrial((*first)[i], i, (*first)[i]["x"].get<double>()));
  (*tuner)->Update(done, {});
  auto second = (*tuner)->Suggest(10);
  ASSERT_EQ(second->size(), 1u);
  double lowest = std::min({(*first)[0]["x"].get<double>(), (*first)[1]["x"].get<double>(), (*first)[2]["x"].get<double>()});
  EXPECT_EQ((*second)[0]["x"], lowest);
}

TEST(HyperbandTunerTest, BadClassArgsAreErrors) {
  SearchSpace space = Space();
  for (const json& args : {json{{"R", 0}}, json{{"eta", 1}}, json{{"exec_mode", "fast"}},
                           json{{"R", 5}, {"min_budget", 9}}}) {
    TunerContext ctx;
    ctx.space = &space;
    ctx.class_args = args;
    EXPECT_FALSE(HyperbandTuner::Create(ctx).ok()) << args.dump();
  }
}

TEST(BohbTunerTest, DrawsFromTheModelOnceABudgetHasEnoughResults) {
  SearchSpace space = Space();
  // Over several seeds: one run's few late draws are too noisy to judge the model by.
  double gap_sum = 0;
  int draws = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    TunerContext ctx;
    ctx.space = &space;
    ctx.seed = seed;
    ctx.class_args = {{"min_budget", 1}, {"max_budget", 9}, {"eta", 3}, {"random_fraction", 0.0}};
    auto made = BohbTuner::Create(ctx);
    ASSERT_TRUE(made.ok()) << made.status().message();
    auto* bohb = static_cast<BohbTuner*>(made->get());
    int64_t seq = 0;
    for (int round = 0; round < 90; ++round) {
      auto batch = bohb->Suggest(1);
      ASSERT_TRUE(batch.ok());
      ASSERT_EQ(batch->size(), 1u);
      const json& c = (*batch)[0];
      // Good configurations are those with x near 0.8.
      double value = 1 - std::abs(c["x"].get<double>() - 0.8) + 0.01 * c["TRIAL_BUDGET"].get<double>();
      if (round >= 50 && c["TRIAL_BUDGET"] == 1) {
        gap_sum += std::abs(c["x"].get<double>() - 0.8);
        ++draws;
      }
      TrialRecord r = SucceededTrial(c, seq++, value);
      bohb->Update(std::span<const TrialRecord>(&r, 1), {});
    }
    EXPECT_GT(bohb->model_draws(), 0) << "seed " << seed;
  }
  ASSERT_GT(draws, 0);
  EXPECT_LT(gap_sum / draws, 0.25) << "model draws should gather near the good region (random: ~0.34)";
}

}  // namespace
}  // namespace hone
