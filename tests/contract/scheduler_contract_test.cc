// The Tuner contract as it holds for scheduling tuners (tuners/tuner.h: hyperband, bohb,
// pbt), which add TRIAL_BUDGET or checkpoint directories to configurations and may hand
// a configuration out again with another budget. tuner_contract_test.cc covers the rest.
#include <filesystem>
#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tuners/builtin_tuners.h"
#include "tuners/config_key.h"

namespace hone {
namespace {

using nlohmann::json;

const std::vector<std::string> kSchedulers = {"hyperband", "bohb", "pbt"};
const std::set<std::string> kBudgeted = {"hyperband", "bohb"};

constexpr const char* kSpace = R"({
  "c": {"_type": "choice", "_value": ["a", 2, 3.5]},
  "ri": {"_type": "randint", "_value": [2, 9]},
  "u": {"_type": "uniform", "_value": [-1, 1]},
  "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
  "lu": {"_type": "loguniform", "_value": [0.001, 1]},
  "nm": {"_type": "normal", "_value": [0, 2]},
  "opt": {"_type": "choice", "_value": [
    {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}},
    {"_name": "plain"}]}})";

// 3 * 2 * 2 = 12 configurations.
constexpr const char* kFiniteSpace = R"({
  "c": {"_type": "choice", "_value": ["a", "b", "c"]},
  "r": {"_type": "randint", "_value": [0, 2]},
  "q": {"_type": "quniform", "_value": [0, 1, 1]}})";

SearchSpace Space(const char* text) {
  auto space = SearchSpace::FromJson(json::parse(text));
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : SearchSpace();
}

// Deterministic, and larger budgets score higher, as on a learning curve.
double Score(const json& params, const SearchSpace& space) {
  double base = static_cast<double>(std::hash<std::string>{}(ConfigKey(WithoutSchedulerParams(params, space))) % 1000) / 1000.0;
  double budget = params.contains(kTrialBudgetParam) ? params[kTrialBudgetParam].get<double>() : 27;
  return base * (0.5 + budget / 54.0);
}

TrialRecord Succeeded(const json& params, int64_t seq, const SearchSpace& space) {
  TrialRecord r;
  r.seq = r.config_id = seq;
  r.id = std::to_string(seq);
  r.status = TrialStatus::kSucceeded;
  r.params = params;
  r.intermediate = {{1, Score(params, space) / 2}, {2, Score(params, space)}};
  r.final_value = Score(params, space);
  r.final_metrics = {{"default", *r.final_value}};
  return r;
}

class SchedulerContractTest : public testing::TestWithParam<std::string> {
 protected:
  SchedulerContractTest() { RegisterBuiltinTuners(registry_); }

  std::string CheckpointRoot() const {
    return (std::filesystem::path(testing::TempDir()) / ("hone-scheduler-contract-" + GetParam())).string();
  }

  std::unique_ptr<Tuner> Make(const SearchSpace& space, uint64_t seed, OptimizeMode mode = OptimizeMode::kMaximize) {
    const TunerInfo* info = registry_.FindTuner(GetParam());
    EXPECT_NE(info, nullptr);
    if (!info) return nullptr;
    TunerContext ctx;
    ctx.space = &space;
    ctx.seed = seed;
    ctx.mode = mode;
    if (GetParam() == "hyperband") ctx.class_args = {{"R", 27}, {"eta", 3}};
    if (GetParam() == "bohb") ctx.class_args = {{"min_budget", 1}, {"max_budget", 27}, {"eta", 3}};
    if (GetParam() == "pbt") ctx.class_args = {{"all_checkpoint_dir", CheckpointRoot()}, {"population_size", 5}};
    auto tuner = info->create(ctx);
    EXPECT_TRUE(tuner.ok()) << tuner.status().message();
    return tuner.ok() ? std::move(*tuner) : nullptr;
  }

  static std::vector<json> RunSequentially(Tuner& tuner, const SearchSpace& space, int n, int64_t seq = 0) {
    std::vector<json> out;
    for (int i = 0; i < n; ++i) {
      auto batch = tuner.Suggest(1);
      EXPECT_TRUE(batch.ok()) << batch.status().message();
      if (!batch.ok() || batch->size() != 1u) {
        ADD_FAILURE() << "tuner gave nothing at trial " << i;
        break;
      }
      TrialRecord done = Succeeded((*batch)[0], seq++, space);
      tuner.Update(std::span<const TrialRecord>(&done, 1), {});
      out.push_back((*batch)[0]);
    }
    return out;
  }

  void ExpectWellFormed(const json& config, const SearchSpace& space) {
    std::string why;
    EXPECT_TRUE(space.Contains(WithoutSchedulerParams(config, space), &why)) << config.dump() << ": " << why;
    if (kBudgeted.count(GetParam())) {
      ASSERT_TRUE(config.contains(kTrialBudgetParam)) << config.dump();
      ASSERT_TRUE(config[kTrialBudgetParam].is_number()) << config.dump();
      double b = config[kTrialBudgetParam].get<double>();
      EXPECT_GE(b, 1);
      EXPECT_LE(b, 27);
    } else {
      ASSERT_TRUE(config.contains(kLoadCheckpointParam) && config.contains(kSaveCheckpointParam)) << config.dump();
      std::string save = config[kSaveCheckpointParam].get<std::string>();
      EXPECT_EQ(save.rfind(CheckpointRoot(), 0), 0u) << save;
      EXPECT_TRUE(std::filesystem::is_directory(save)) << save;
    }
  }

  Registry registry_;
};

TEST(SchedulerContractTest, EverySchedulerIsRegistered) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  for (const auto& name : kSchedulers) EXPECT_NE(registry.FindTuner(name), nullptr) << name;
}

TEST_P(SchedulerContractTest, NameIsTheRegisteredName) {
  SearchSpace space = Space(kSpace);
  EXPECT_EQ(Make(space, 1)->Name(), GetParam());
}

TEST_P(SchedulerContractTest, SuggestionsLieInsideTheSpaceAndCarryTheSchedulerKeys) {
  SearchSpace space = Space(kSpace);
  for (OptimizeMode mode : {OptimizeMode::kMaximize, OptimizeMode::kMinimize}) {
    auto tuner = Make(space, 3, mode);
    for (const json& config : RunSequentially(*tuner, space, 60)) ExpectWellFormed(config, space);
    auto batch = tuner->Suggest(8);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    for (const json& config : *batch) ExpectWellFormed(config, space);
  }
}

TEST_P(SchedulerContractTest, TheBestOfARungRunAgainWithALargerBudget) {
  if (!kBudgeted.count(GetParam())) GTEST_SKIP() << "pbt keeps no budgets";
  SearchSpace space = Space(kSpace);
  auto tuner = Make(space, 4);
  // Max budget 27, eta 3: the first bracket runs 27 configurations at budget 1, then the
  // best 9 of them at budget 3.
  std::vector<json> run = RunSequentially(*tuner, space, 36);
  ASSERT_EQ(run.size(), 36u);
  std::vector<std::pair<double, std::string>> first;
  for (int i = 0; i < 27; ++i) {
    EXPECT_EQ(run[i][kTrialBudgetParam], 1) << run[i].dump();
    first.push_back({Score(run[i], space), ConfigKey(WithoutSchedulerParams(run[i], space))});
  }
  std::sort(first.rbegin(), first.rend());
  std::set<std::string> best9;
  for (int i = 0; i < 9; ++i) best9.insert(first[i].second);
  std::set<std::string> promoted;
  for (int i = 27; i < 36; ++i) {
    EXPECT_EQ(run[i][kTrialBudgetParam], 3) << run[i].dump();
    promoted.insert(ConfigKey(WithoutSchedulerParams(run[i], space)));
  }
  EXPECT_EQ(promoted, best9);
}

TEST_P(SchedulerContractTest, NeverHandsOutTheSameWorkTwice) {
  SearchSpace space = Space(kSpace);
  auto tuner = Make(space, 5);
  std::set<std::string> keys;
  for (const json& config : RunSequentially(*tuner, space, 80))
    EXPECT_TRUE(keys.insert(ConfigKey(config)).second) << "repeated " << config.dump();
}

TEST_P(SchedulerContractTest, UpdateAcceptsEveryKindOfFinishedTrial) {
  SearchSpace space = Space(kSpace);
  auto tuner = Make(space, 9);
  tuner->Update({}, {});
  auto first = tuner->Suggest(5);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->size(), 5u);
  std::vector<TrialRecord> finished;
  for (size_t i = 0; i < 5; ++i) finished.push_back(Succeeded((*first)[i], i, space));
  finished[0].status = TrialStatus::kFailed;
  finished[0].intermediate.clear();
  finished[0].final_value.reset();
  finished[1].status = TrialStatus::kEarlyStopped;
  finished[1].final_value.reset();
  finished[2].final_value = std::numeric_limits<double>::quiet_NaN();
  finished[3].final_value = std::numeric_limits<double>::infinity();
  finished[4].status = TrialStatus::kTimeout;
  finished[4].final_value.reset();
  tuner->Update(finished, {});
  auto next = tuner->Suggest(5);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_FALSE(next->empty());
  std::set<std::string> old;
  for (const json& c : *first) old.insert(ConfigKey(c));
  for (const json& c : *next) {
    ExpectWellFormed(c, space);
    EXPECT_EQ(old.count(ConfigKey(c)), 0u) << "repeated " << c.dump();
  }
}

TEST_P(SchedulerContractTest, SameSeedSameSuggestions) {
  SearchSpace space = Space(kSpace);
  auto a = RunSequentially(*Make(space, 17), space, 40);
  auto b = RunSequentially(*Make(space, 17), space, 40);
  ASSERT_EQ(a.size(), 40u);
  EXPECT_EQ(a, b);
}

TEST_P(SchedulerContractTest, OtherSeedOtherSuggestions) {
  SearchSpace space = Space(kSpace);
  EXPECT_NE(RunSequentially(*Make(space, 17), space, 25), RunSequentially(*Make(space, 18), space, 25));
}

TEST_P(SchedulerContractTest, ResumedTunerSuggestsWhatTheUninterruptedOneWould) {
  SearchSpace space = Space(kSpace);
  for (int cut : {7, 12, 30}) {
    auto uninterrupted = Make(space, 31);
    std::vector<json> all = RunSequentially(*uninterrupted, space, cut + 15);
    ASSERT_EQ(all.size(), static_cast<size_t>(cut + 15));
    std::vector<TrialRecord> replay;
    for (int i = 0; i < cut; ++i) replay.push_back(Succeeded(all[i], i, space));
    auto resumed = Make(space, 31);
    resumed->Update(replay, {});
    EXPECT_EQ(RunSequentially(*resumed, space, 15, cut), std::vector<json>(all.begin() + cut, all.end()))
        << "resumed after " << cut;
  }
}

TEST_P(SchedulerContractTest, ResumeWithRunningTrialsDoesNotHandThemOutAgain) {
  SearchSpace space = Space(kSpace);
  auto tuner = Make(space, 37);
  auto batch = tuner->Suggest(4);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 4u);
  std::vector<TrialRecord> done = {Succeeded((*batch)[0], 0, space), Succeeded((*batch)[1], 1, space)};
  std::vector<TrialRecord> running = {Succeeded((*batch)[2], 2, space), Succeeded((*batch)[3], 3, space)};
  for (auto& r : running) r.status = TrialStatus::kRunning;
  auto resumed = Make(space, 37);
  resumed->Update(done, running);
  auto next = resumed->Suggest(3);
  ASSERT_TRUE(next.ok());
  for (const json& c : *next)
    for (const json& old : *batch) EXPECT_NE(ConfigKey(c), ConfigKey(old)) << c.dump();
}

TEST_P(SchedulerContractTest, FiniteSpaceComesToAnEnd) {
  if (!kBudgeted.count(GetParam())) GTEST_SKIP() << "pbt runs generations until the budget ends";
  SearchSpace space = Space(kFiniteSpace);
  auto tuner = Make(space, 41);
  std::set<std::string> configs;
  int64_t seq = 0;
  Status last;
  for (int round = 0; round < 400; ++round) {
    auto batch = tuner->Suggest(3);
    if (!batch.ok()) {
      last = batch.status();
      break;
    }
    std::vector<TrialRecord> finished;
    for (const json& c : *batch) {
      configs.insert(ConfigKey(WithoutSchedulerParams(c, space)));
      finished.push_back(Succeeded(c, seq++, space));
    }
    tuner->Update(finished, {});
  }
  EXPECT_EQ(last.code(), StatusCode::kExhausted) << last.message();
  EXPECT_EQ(configs.size(), 12u);
  EXPECT_TRUE(tuner->IsExhausted());
}

TEST_P(SchedulerContractTest, SuggestZeroReturnsNothing) {
  SearchSpace space = Space(kSpace);
  auto batch = Make(space, 1)->Suggest(0);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->empty());
}

// A range with low == high (one float), null and 2.0 among a choice's options reach the
// configuration as written (tuner_contract_test.cc checks the other tuners).
TEST_P(SchedulerContractTest, EdgeCaseValuesArriveAsWritten) {
  SearchSpace space = Space(R"({
    "c": {"_type": "choice", "_value": [null, 2.0, "a"]},
    "u": {"_type": "uniform", "_value": [0.5, 0.5]},
    "qu": {"_type": "quniform", "_value": [2, 2, 1]},
    "x": {"_type": "uniform", "_value": [0, 1]}})");
  std::set<std::string> chosen;
  for (const json& config : RunSequentially(*Make(space, 43), space, 30)) {
    ExpectWellFormed(config, space);
    chosen.insert(config["c"].dump());
    EXPECT_EQ(config["u"].dump(), "0.5");
    EXPECT_EQ(config["qu"].dump(), "2.0");
  }
  EXPECT_EQ(chosen, (std::set<std::string>{"null", "2.0", "\"a\""}));
}

INSTANTIATE_TEST_SUITE_P(Builtin, SchedulerContractTest, testing::ValuesIn(kSchedulers),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace hone
