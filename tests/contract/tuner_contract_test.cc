// The Tuner contract (tuners/tuner.h), run over every tuner RegisterBuiltinTuners adds:
// a new built-in is covered by adding it to the table.
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tuners/builtin_tuners.h"
#include "tuners/config_key.h"

namespace hone {
namespace {

using nlohmann::json;

// Tuners whose suggestions do not depend on the seed; every other tuner must give
// different suggestions for different seeds.
const std::set<std::string> kSeedIndependent = {"grid"};

// All ten types, plus a nested choice whose options have their own parameters.
constexpr const char* kFullSpace = R"({
  "c": {"_type": "choice", "_value": ["a", 2, 3.5]},
  "ri": {"_type": "randint", "_value": [2, 9]},
  "u": {"_type": "uniform", "_value": [-1, 1]},
  "qu": {"_type": "quniform", "_value": [0, 10, 2.5]},
  "lu": {"_type": "loguniform", "_value": [0.001, 1]},
  "qlu": {"_type": "qloguniform", "_value": [1, 100, 5]},
  "nm": {"_type": "normal", "_value": [0, 2]},
  "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
  "ln": {"_type": "lognormal", "_value": [0, 1]},
  "qln": {"_type": "qlognormal", "_value": [1, 0.5, 1]},
  "opt": {"_type": "choice", "_value": [
    {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
                     "momentum": {"_type": "quniform", "_value": [0, 0.9, 0.1]}},
    {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]}},
    {"_name": "plain"}]}})";

// 3 * 2 * 3 * (2 + 1) = 54 configurations.
constexpr const char* kFiniteSpace = R"({
  "c": {"_type": "choice", "_value": ["a", "b", "c"]},
  "r": {"_type": "randint", "_value": [0, 2]},
  "q": {"_type": "quniform", "_value": [0, 1, 0.5]},
  "n": {"_type": "choice", "_value": [
    {"_name": "x", "k": {"_type": "choice", "_value": [1, 2]}},
    {"_name": "y"}]}})";
constexpr size_t kFiniteSize = 54;

// Scheduling tuners hand a configuration out again with another budget and add keys
// beside the space's: scheduler_contract_test.cc holds their contract.
const std::set<std::string> kSchedulers = {"hyperband", "bohb", "pbt"};

std::vector<std::string> BuiltinTunerNames() {
  Registry registry;
  RegisterBuiltinTuners(registry);
  std::vector<std::string> names;
  for (const auto& name : registry.TunerNames())
    if (!kSchedulers.count(name)) names.push_back(name);
  return names;
}

SearchSpace Space(const char* text) {
  auto space = SearchSpace::FromJson(json::parse(text));
  EXPECT_TRUE(space.ok()) << space.status().message();
  return space.ok() ? *space : SearchSpace();
}

// A deterministic score, so that model-based tuners see the same history each run.
double Score(const json& config) {
  std::string key = ConfigKey(config);
  return static_cast<double>(std::hash<std::string>{}(key) % 1000) / 1000.0;
}

TrialRecord Succeeded(const json& params, int64_t seq) {
  TrialRecord r;
  r.seq = seq;
  r.config_id = seq;
  r.id = std::to_string(seq);
  r.status = TrialStatus::kSucceeded;
  r.params = params;
  r.intermediate = {{0, Score(params) / 2}, {1, Score(params)}};
  r.final_value = Score(params);
  r.final_metrics = {{"default", Score(params)}};
  return r;
}

class TunerContractTest : public testing::TestWithParam<std::string> {
 protected:
  TunerContractTest() { RegisterBuiltinTuners(registry_); }

  std::unique_ptr<Tuner> Make(const SearchSpace& space, uint64_t seed,
                              OptimizeMode mode = OptimizeMode::kMaximize) {
    const TunerInfo* info = registry_.FindTuner(GetParam());
    EXPECT_NE(info, nullptr);
    if (!info) return nullptr;
    TunerContext ctx;
    ctx.space = &space;
    ctx.seed = seed;
    ctx.mode = mode;
    auto tuner = info->create(ctx);
    EXPECT_TRUE(tuner.ok()) << tuner.status().message();
    return tuner.ok() ? std::move(*tuner) : nullptr;
  }

  // Runs `n` trials one at a time: Suggest(1), then Update with it finished.
  // `seq` continues a history. Returns the configurations in order.
  static std::vector<json> RunSequentially(Tuner& tuner, int n, int64_t seq = 0) {
    std::vector<json> out;
    for (int i = 0; i < n; ++i) {
      auto batch = tuner.Suggest(1);
      EXPECT_TRUE(batch.ok()) << batch.status().message();
      if (!batch.ok()) break;
      // A tuner may hold back while waiting for results; give it a few chances.
      for (int retry = 0; batch->empty() && retry < 3; ++retry) {
        tuner.Update({}, {});
        batch = tuner.Suggest(1);
        if (!batch.ok()) break;
      }
      EXPECT_TRUE(batch.ok() && batch->size() == 1u) << "tuner gave nothing at trial " << i;
      if (!batch.ok() || batch->size() != 1u) break;
      TrialRecord done = Succeeded((*batch)[0], seq++);
      tuner.Update(std::span<const TrialRecord>(&done, 1), {});
      out.push_back((*batch)[0]);
    }
    return out;
  }

  Registry registry_;
};

TEST_P(TunerContractTest, NameIsTheRegisteredName) {
  SearchSpace space = Space(kFullSpace);
  EXPECT_EQ(Make(space, 1)->Name(), GetParam());
}

TEST_P(TunerContractTest, SuggestionsLieInsideTheSpace) {
  SearchSpace space = Space(kFullSpace);
  for (OptimizeMode mode : {OptimizeMode::kMaximize, OptimizeMode::kMinimize}) {
    auto tuner = Make(space, 3, mode);
    for (const json& config : RunSequentially(*tuner, 40)) {
      std::string why;
      EXPECT_TRUE(space.Contains(config, &why)) << config.dump() << ": " << why;
    }
    auto batch = tuner->Suggest(8);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    for (const json& config : *batch) EXPECT_TRUE(space.Contains(config)) << config.dump();
  }
}

TEST_P(TunerContractTest, NestedChoiceCarriesOnlyTheChosenOptionsParams) {
  // Small enough that an exhaustive tuner reaches every option within 40 suggestions.
  SearchSpace space = Space(R"({
    "opt": {"_type": "choice", "_value": [
      {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
                       "momentum": {"_type": "quniform", "_value": [0, 0.9, 0.1]}},
      {"_name": "adam", "beta": {"_type": "uniform", "_value": [0.8, 0.999]}},
      {"_name": "plain"}]},
    "x": {"_type": "uniform", "_value": [0, 1]}})");
  const ParamSpec* opt = nullptr;
  for (const auto& p : space.params())
    if (p.name == "opt") opt = &p;
  ASSERT_NE(opt, nullptr);
  auto tuner = Make(space, 5);
  std::set<std::string> chosen;
  for (const json& config : RunSequentially(*tuner, 40)) {
    const json& value = config["opt"];
    ASSERT_TRUE(value.is_object()) << config.dump();
    ASSERT_TRUE(value.contains("_name")) << config.dump();
    chosen.insert(value["_name"].get<std::string>());
    for (size_t i = 0; i < opt->options.size(); ++i) {
      if (opt->options[i] != value["_name"]) continue;
      std::set<std::string> want{"_name"}, got;
      for (const auto& p : opt->nested[i].params()) want.insert(p.name);
      for (const auto& [k, v] : value.items()) got.insert(k);
      EXPECT_EQ(got, want) << config.dump();
    }
  }
  EXPECT_EQ(chosen.size(), 3u) << "40 suggestions never chose some option";
}

TEST_P(TunerContractTest, UpdateAcceptsEveryKindOfFinishedTrial) {
  SearchSpace space = Space(kFullSpace);
  auto tuner = Make(space, 9);
  tuner->Update({}, {});
  auto first = tuner->Suggest(6);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->size(), 6u);
  std::vector<TrialRecord> finished;
  for (size_t i = 0; i < 6; ++i) finished.push_back(Succeeded((*first)[i], i));
  finished[0].status = TrialStatus::kFailed;  // crashed: no metric at all
  finished[0].intermediate.clear();
  finished[0].final_value.reset();
  finished[0].final_metrics = nullptr;
  finished[0].reason = "exit code 3";
  finished[1].status = TrialStatus::kEarlyStopped;  // intermediates only
  finished[1].final_value.reset();
  finished[1].final_metrics = nullptr;
  finished[2].final_value = std::numeric_limits<double>::quiet_NaN();
  finished[2].intermediate[1].value = std::numeric_limits<double>::quiet_NaN();
  finished[3].final_value = std::numeric_limits<double>::infinity();
  finished[4].final_value = -std::numeric_limits<double>::infinity();
  finished[5].status = TrialStatus::kTimeout;
  finished[5].final_value.reset();
  tuner->Update(finished, {});
  auto next = tuner->Suggest(5);
  ASSERT_TRUE(next.ok()) << next.status().message();
  std::set<std::string> old;
  for (const json& c : *first) old.insert(ConfigKey(c));
  for (const json& c : *next) {
    EXPECT_TRUE(space.Contains(c)) << c.dump();
    EXPECT_EQ(old.count(ConfigKey(c)), 0u) << "repeated " << c.dump();
  }
}

TEST_P(TunerContractTest, SameSeedSameSuggestions) {
  SearchSpace space = Space(kFullSpace);
  auto a = RunSequentially(*Make(space, 17), 25);
  auto b = RunSequentially(*Make(space, 17), 25);
  ASSERT_EQ(a.size(), 25u);
  EXPECT_EQ(a, b);
}

TEST_P(TunerContractTest, OtherSeedOtherSuggestionsUnlessSeedIndependent) {
  SearchSpace space = Space(kFullSpace);
  auto a = RunSequentially(*Make(space, 17), 25);
  auto b = RunSequentially(*Make(space, 18), 25);
  if (kSeedIndependent.count(GetParam())) {
    EXPECT_EQ(a, b);
  } else {
    EXPECT_NE(a, b);
  }
}

TEST_P(TunerContractTest, ReplayedTrialsAreNotSuggestedAgain) {
  for (const char* text : {kFullSpace, kFiniteSpace}) {
    SearchSpace space = Space(text);
    std::vector<json> first = RunSequentially(*Make(space, 23), 20);
    ASSERT_EQ(first.size(), 20u);
    std::vector<TrialRecord> replay;
    std::set<std::string> replayed;
    for (size_t i = 0; i < first.size(); ++i) {
      replay.push_back(Succeeded(first[i], i));
      replayed.insert(ConfigKey(first[i]));
    }
    auto fresh = Make(space, 23);
    fresh->Update(replay, {});
    std::vector<json> next = RunSequentially(*fresh, 15, 20);
    ASSERT_EQ(next.size(), 15u);
    std::set<std::string> keys;
    for (const json& c : next) {
      EXPECT_EQ(replayed.count(ConfigKey(c)), 0u) << "replayed config suggested again: " << c.dump();
      EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << "repeated " << c.dump();
    }
  }
}

TEST_P(TunerContractTest, ResumedTunerSuggestsWhatTheUninterruptedOneWould) {
  SearchSpace space = Space(kFullSpace);
  auto uninterrupted = Make(space, 31);
  std::vector<json> all = RunSequentially(*uninterrupted, 18);
  ASSERT_EQ(all.size(), 18u);
  std::vector<TrialRecord> replay;
  for (size_t i = 0; i < 12; ++i) replay.push_back(Succeeded(all[i], i));
  auto resumed = Make(space, 31);
  resumed->Update(replay, {});
  EXPECT_EQ(RunSequentially(*resumed, 6, 12), std::vector<json>(all.begin() + 12, all.end()));
}

TEST_P(TunerContractTest, FiniteSpaceIsExhaustedWithoutDuplicates) {
  SearchSpace space = Space(kFiniteSpace);
  ASSERT_EQ(space.DiscreteSize(), static_cast<double>(kFiniteSize));
  auto tuner = Make(space, 41);
  std::set<std::string> keys;
  int64_t seq = 0;
  Status last;
  for (int round = 0; round < 200; ++round) {
    auto batch = tuner->Suggest(5);
    if (!batch.ok()) {
      last = batch.status();
      break;
    }
    std::vector<TrialRecord> done;
    for (const json& c : *batch) {
      EXPECT_TRUE(space.Contains(c)) << c.dump();
      EXPECT_TRUE(keys.insert(ConfigKey(c)).second) << "repeated " << c.dump();
      done.push_back(Succeeded(c, seq++));
    }
    tuner->Update(done, {});
  }
  EXPECT_EQ(last.code(), StatusCode::kExhausted) << last.message();
  EXPECT_EQ(keys.size(), kFiniteSize);
  EXPECT_TRUE(tuner->IsExhausted());
  EXPECT_EQ(tuner->Suggest(1).status().code(), StatusCode::kExhausted);
}

// What NNI's tuners take and hone must too: a range with low == high (one float), null
// and 2.0 among the options of a choice; each reaches the configuration as written.
constexpr const char* kEdgeSpace = R"({
  "c": {"_type": "choice", "_value": [null, 2.0, "a"]},
  "u": {"_type": "uniform", "_value": [0.5, 0.5]},
  "qu": {"_type": "quniform", "_value": [2, 2, 1]},
  "lu": {"_type": "loguniform", "_value": [0.01, 0.01]},
  "r": {"_type": "randint", "_value": [3, 4]},
  "x": {"_type": "uniform", "_value": [0, 1]}})";

TEST_P(TunerContractTest, EdgeCaseValuesArriveAsWritten) {
  SearchSpace space = Space(kEdgeSpace);
  std::set<std::string> chosen;
  for (const json& config : RunSequentially(*Make(space, 43), 30)) {
    std::string why;
    EXPECT_TRUE(space.Contains(config, &why)) << config.dump() << ": " << why;
    chosen.insert(config["c"].dump());
    EXPECT_TRUE(config["c"].is_null() || config["c"].is_string() || config["c"].is_number_float()) << config.dump();
    EXPECT_EQ(config["u"].dump(), "0.5");
    EXPECT_EQ(config["qu"].dump(), "2.0");
    EXPECT_EQ(config["lu"].dump(), "0.01");
    EXPECT_EQ(config["r"].dump(), "3");
  }
  EXPECT_EQ(chosen, (std::set<std::string>{"null", "2.0", "\"a\""}));
}

TEST_P(TunerContractTest, SuggestZeroReturnsNothing) {
  SearchSpace space = Space(kFullSpace);
  auto batch = Make(space, 1)->Suggest(0);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_TRUE(batch->empty());
}

INSTANTIATE_TEST_SUITE_P(Builtin, TunerContractTest, testing::ValuesIn(BuiltinTunerNames()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace hone
