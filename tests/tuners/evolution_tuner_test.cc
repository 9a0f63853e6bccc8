#include "tuners/evolution/evolution_tuner.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tuners/evolution/mutation.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;

StatusOr<std::unique_ptr<Tuner>> Make(const SearchSpace& space, bool regularized, json args,
                                      OptimizeMode mode = OptimizeMode::kMinimize, uint64_t seed = 5) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.mode = mode;
  ctx.class_args = std::move(args);
  return regularized ? EvolutionTuner::CreateRegularized(ctx) : EvolutionTuner::CreateEvolution(ctx);
}

TrialRecord Done(const json& params, int64_t seq, std::optional<double> value,
                 TrialStatus status = TrialStatus::kSucceeded) {
  TrialRecord r;
  r.seq = seq;
  r.config_id = seq;
  r.status = status;
  r.params = params;
  r.final_value = value;
  return r;
}

constexpr const char* kQuadratic = R"({
  "x": {"_type": "uniform", "_value": [-5, 5]},
  "y": {"_type": "uniform", "_value": [-5, 5]}})";

double Quadratic(const json& c) {
  double x = c["x"].get<double>(), y = c["y"].get<double>();
  return (x - 1) * (x - 1) + (y + 2) * (y + 2);
}

// Best value found in `n` sequential trials of f (minimized).
double RunTrials(Tuner& tuner, int n, double (*f)(const json&)) {
  double best = INFINITY;
  for (int i = 0; i < n; ++i) {
    auto batch = tuner.Suggest(1);
    EXPECT_TRUE(batch.ok() && batch->size() == 1u);
    if (!batch.ok() || batch->empty()) break;
    double v = f((*batch)[0]);
    best = std::min(best, v);
    TrialRecord r = Done((*batch)[0], i, v);
    tuner.Update(std::span<const TrialRecord>(&r, 1), {});
  }
  return best;
}

TEST(EvolutionTunerTest, DefaultsFollowNni) {
  SearchSpace space = Space(kQuadratic);
  auto evo = Make(space, false, json::object());
  ASSERT_TRUE(evo.ok());
  EXPECT_EQ((*evo)->Name(), "evolution");
  auto reg = Make(space, true, json::object());
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ((*reg)->Name(), "regularized_evolution");
}

// Its defaults evolve within 100 trials: better than the same 100 trials with a population
// of 100 (NNI's default, where every one of them is a random draw), over several seeds.
TEST(EvolutionTunerTest, RegularizedDefaultsEvolveWithinAHundredTrials) {
  SearchSpace space = Space(kQuadratic);
  double defaults = 0, random = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    auto evolving = Make(space, true, json::object(), OptimizeMode::kMinimize, seed);
    auto all_random = Make(space, true, {{"population_size", 100}, {"sample_size", 25}}, OptimizeMode::kMinimize, seed);
    ASSERT_TRUE(evolving.ok() && all_random.ok());
    defaults += RunTrials(**evolving, 100, Quadratic);
    random += RunTrials(**all_random, 100, Quadratic);
  }
  EXPECT_LT(defaults, random * 0.6) << "mean best: defaults " << defaults / 8 << ", random " << random / 8;
}

TEST(EvolutionTunerTest, RejectsBadArguments) {
  SearchSpace space = Space(kQuadratic);
  EXPECT_FALSE(tuner_test::CheckClassArgs("evolution", {{"population_size", 0}}).ok());
  EXPECT_FALSE(tuner_test::CheckClassArgs("evolution", {{"population_size", "many"}}).ok());
  // A relation between two arguments is the factory's to check.
  EXPECT_FALSE(Make(space, true, {{"population_size", 10}, {"sample_size", 11}}).ok());
  EXPECT_TRUE(Make(space, true, {{"population_size", 10}, {"sample_size", 10}}).ok());
}

TEST(EvolutionTunerTest, BeatsItsOwnRandomStartOnAQuadratic) {
  SearchSpace space = Space(kQuadratic);
  for (bool regularized : {false, true}) {
    auto tuner = Make(space, regularized, {{"population_size", 10}, {"sample_size", 3}});
    ASSERT_TRUE(tuner.ok());
    double best = RunTrials(**tuner, 200, Quadratic);
    EXPECT_LT(best, 0.05) << (regularized ? "regularized" : "evolution");
  }
}

TEST(EvolutionTunerTest, MaximizeModeKeepsTheLargest) {
  SearchSpace space = Space(kQuadratic);
  auto tuner = Make(space, false, {{"population_size", 4}}, OptimizeMode::kMaximize);
  ASSERT_TRUE(tuner.ok());
  auto* evo = static_cast<EvolutionTuner*>(tuner->get());
  std::vector<TrialRecord> done;
  for (int i = 0; i < 6; ++i) done.push_back(Done({{"x", 0.0}, {"y", static_cast<double>(i)}}, i, i));
  evo->Update(done, {});
  std::set<double> kept;
  for (const auto& m : evo->population()) kept.insert(m.value);
  EXPECT_EQ(kept, (std::set<double>{2, 3, 4, 5}));
}

TEST(EvolutionTunerTest, AgingDropsTheOldestAndIgnoresFailures) {
  SearchSpace space = Space(kQuadratic);
  auto tuner = Make(space, true, {{"population_size", 3}, {"sample_size", 2}});
  ASSERT_TRUE(tuner.ok());
  auto* evo = static_cast<EvolutionTuner*>(tuner->get());
  std::vector<TrialRecord> done;
  // Out of seq order on purpose: the population is built in seq order.
  done.push_back(Done({{"x", 0.0}, {"y", 4.0}}, 4, 0.1));
  done.push_back(Done({{"x", 0.0}, {"y", 0.0}}, 0, 0.0));
  done.push_back(Done({{"x", 0.0}, {"y", 1.0}}, 1, 5.0));
  done.push_back(Done({{"x", 0.0}, {"y", 2.0}}, 2, std::nullopt, TrialStatus::kFailed));
  done.push_back(Done({{"x", 0.0}, {"y", 3.0}}, 3, NAN));
  done.push_back(Done({{"x", 0.0}, {"y", 5.0}}, 5, 7.0));
  evo->Update(done, {});
  std::vector<int64_t> seqs;
  for (const auto& m : evo->population()) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 4, 5}));
}

TEST(EvolutionTunerTest, ChildrenOfANestedChoiceStayInsideTheSpace) {
  SearchSpace space = Space(R"({
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
                       "m": {"_type": "quniform", "_value": [0, 0.9, 0.1]}},
      {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]},
                        "k": {"_type": "randint", "_value": [1, 4]}},
      {"_name": "plain"}]},
    "n": {"_type": "qlognormal", "_value": [1, 0.5, 1]},
    "c": {"_type": "choice", "_value": [1, "two", 3.5]}})");
  std::mt19937_64 rng(3);
  std::set<std::string> names;
  json parent = space.Sample(rng);
  for (int i = 0; i < 2000; ++i) {
    json child = Mutate(space, parent, rng);
    std::string why;
    ASSERT_TRUE(space.Contains(child, &why)) << child.dump() << ": " << why;
    EXPECT_NE(ConfigKey(child), ConfigKey(parent) + "x");
    names.insert(child["opt"]["_name"].get<std::string>());
    parent = child;
  }
  EXPECT_EQ(names.size(), 3u);
}

TEST(EvolutionTunerTest, MutationChangesOneParameterMostOfTheTime) {
  SearchSpace space = Space(R"({
    "a": {"_type": "choice", "_value": [0, 1, 2, 3]},
    "b": {"_type": "choice", "_value": [0, 1, 2, 3]},
    "c": {"_type": "choice", "_value": [0, 1, 2, 3]},
    "d": {"_type": "choice", "_value": [0, 1, 2, 3]}})");
  std::mt19937_64 rng(11);
  json parent = {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}};
  int single = 0;
  for (int i = 0; i < 1000; ++i) {
    json child = Mutate(space, parent, rng);
    int changed = 0;
    for (const char* k : {"a", "b", "c", "d"}) changed += child[k] != parent[k];
    EXPECT_GE(changed, 1);
    single += changed == 1;
  }
  EXPECT_GT(single, 300);
}

TEST(EvolutionTunerTest, ResumeRebuildsThePopulationInTheEvolvingPhase) {
  SearchSpace space = Space(kQuadratic);
  for (bool regularized : {false, true}) {
    json args = {{"population_size", 4}, {"sample_size", 2}};
    if (!regularized) args.erase("sample_size");
    auto whole = Make(space, regularized, args);
    ASSERT_TRUE(whole.ok());
    std::vector<json> all;
    std::vector<TrialRecord> done;
    for (int i = 0; i < 20; ++i) {
      auto batch = (*whole)->Suggest(1);
      ASSERT_TRUE(batch.ok() && batch->size() == 1u);
      all.push_back((*batch)[0]);
      done.push_back(Done((*batch)[0], i, Quadratic((*batch)[0])));
      (*whole)->Update(std::span<const TrialRecord>(&done.back(), 1), {});
    }
    auto resumed = Make(space, regularized, args);
    ASSERT_TRUE(resumed.ok());
    (*resumed)->Update(std::span<const TrialRecord>(done.data(), 12), {});
    for (int i = 12; i < 20; ++i) {
      auto batch = (*resumed)->Suggest(1);
      ASSERT_TRUE(batch.ok() && batch->size() == 1u);
      EXPECT_EQ((*batch)[0], all[i]) << "trial " << i << (regularized ? " regularized" : "");
      (*resumed)->Update(std::span<const TrialRecord>(&done[i], 1), {});
    }
  }
}

TEST(EvolutionTunerTest, ParallelBatchesAreDistinct) {
  SearchSpace space = Space(R"({"k": {"_type": "randint", "_value": [0, 40]}})");
  auto tuner = Make(space, false, {{"population_size", 4}});
  ASSERT_TRUE(tuner.ok());
  std::set<std::string> keys;
  int64_t seq = 0;
  for (int round = 0; round < 5; ++round) {
    auto batch = (*tuner)->Suggest(8);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 8u);
    std::vector<TrialRecord> done;
    for (const auto& c : *batch) {
      EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << c.dump();
      done.push_back(Done(c, seq++, std::abs(c["k"].get<double>() - 17)));
    }
    (*tuner)->Update(done, {});
  }
  EXPECT_EQ((*tuner)->Suggest(1).status().code(), StatusCode::kExhausted);
}

}  // namespace
}  // namespace hone
