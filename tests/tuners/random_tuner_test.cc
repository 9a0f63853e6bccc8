#include "tuners/random_tuner.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tuners/config_key.h"
#include "tests/tuners/tuner_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using tuner_test::Space;
using tuner_test::Take;

std::unique_ptr<Tuner> Make(const SearchSpace& space, uint64_t seed, json args = json::object()) {
  TunerContext ctx;
  ctx.space = &space;
  ctx.seed = seed;
  ctx.class_args = std::move(args);
  auto tuner = RandomTuner::Create(ctx);
  EXPECT_TRUE(tuner.ok()) << tuner.status().message();
  return tuner.ok() ? std::move(*tuner) : nullptr;
}

TrialRecord Finished(const json& params, int64_t seq) {
  TrialRecord r;
  r.seq = seq;
  r.config_id = seq;
  r.status = TrialStatus::kSucceeded;
  r.params = params;
  r.final_value = 0.5;
  return r;
}

constexpr const char* kMixed = R"({
  "c": {"_type": "choice", "_value": ["a", "b", "c"]},
  "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
  "u": {"_type": "uniform", "_value": [0, 1]}})";

// 3 * 2 * 2 = 12 configurations.
constexpr const char* kSmall = R"({
  "c": {"_type": "choice", "_value": ["a", "b", "c"]},
  "q": {"_type": "quniform", "_value": [0, 1, 1]},
  "r": {"_type": "randint", "_value": [0, 2]}})";

TEST(RandomTunerTest, SuggestsOnlyValuesInsideSearchSpace) {
  SearchSpace space = Space(kMixed);
  auto tuner = Make(space, 1);
  for (const json& config : Take(*tuner, 200)) {
    std::string why;
    EXPECT_TRUE(space.Contains(config, &why)) << config.dump() << ": " << why;
  }
}

TEST(RandomTunerTest, DrawsSpreadOverTheSpace) {
  SearchSpace space = Space(kMixed);
  auto tuner = Make(space, 3);
  std::map<std::string, int> per_choice;
  double sum_u = 0, sum_log_lr = 0;
  std::vector<json> configs = Take(*tuner, 600);
  for (const json& config : configs) {
    ++per_choice[config["c"].get<std::string>()];
    sum_u += config["u"].get<double>();
    sum_log_lr += std::log10(config["lr"].get<double>());
  }
  EXPECT_EQ(per_choice.size(), 3u);
  for (const auto& [name, n] : per_choice) EXPECT_GT(n, 150) << name;
  EXPECT_NEAR(sum_u / 600, 0.5, 0.05);
  EXPECT_NEAR(sum_log_lr / 600, -2.5, 0.15);  // log-uniform: the mean exponent is centred
}

TEST(RandomTunerTest, SameSeedGivesSameSequenceAndOtherSeedDiffers) {
  SearchSpace space = Space(kMixed);
  auto a = Take(*Make(space, 42), 20);
  auto b = Take(*Make(space, 42), 20);
  auto c = Take(*Make(space, 43), 20);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(RandomTunerTest, BatchSizeDoesNotChangeTheSequence) {
  SearchSpace space = Space(kMixed);
  auto whole = Take(*Make(space, 5), 9);
  auto tuner = Make(space, 5);
  std::vector<json> pieces;
  for (int n : {1, 3, 5})
    for (json& c : Take(*tuner, n)) pieces.push_back(std::move(c));
  EXPECT_EQ(whole, pieces);
}

TEST(RandomTunerTest, SeedClassArgOverridesContextSeed) {
  SearchSpace space = Space(kMixed);
  EXPECT_EQ(Take(*Make(space, 1, {{"seed", 9}}), 5), Take(*Make(space, 9), 5));
  EXPECT_EQ(Take(*Make(space, 1, {{"seed", 9}, {"optimize_mode", "minimize"}}), 5),
            Take(*Make(space, 9), 5));
}

TEST(RandomTunerTest, RejectsNonIntegerSeed) {
  Status status = tuner_test::CheckClassArgs("random", {{"seed", "abc"}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("seed"), std::string::npos);
}

TEST(RandomTunerTest, FiniteSpaceIsExhaustedWithoutRepeats) {
  SearchSpace space = Space(kSmall);
  auto tuner = Make(space, 7);
  std::set<std::string> keys;
  for (int i = 0; i < 4; ++i)
    for (const json& config : Take(*tuner, 3)) {
      EXPECT_TRUE(space.Contains(config));
      EXPECT_TRUE(keys.insert(ConfigKey(config)).second) << "repeated " << config.dump();
    }
  EXPECT_EQ(keys.size(), 12u);
  EXPECT_TRUE(tuner->IsExhausted());
  auto more = tuner->Suggest(1);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kExhausted);
  EXPECT_NE(more.status().message().find("12 configurations and all have been suggested"),
            std::string::npos)
      << more.status().message();
}

TEST(RandomTunerTest, ReturnsThePartialBatchBeforeExhaustion) {
  SearchSpace space = Space(kSmall);
  auto tuner = Make(space, 7);
  EXPECT_EQ(Take(*tuner, 10).size(), 10u);
  EXPECT_EQ(Take(*tuner, 10).size(), 2u);
  EXPECT_EQ(tuner->Suggest(10).status().code(), StatusCode::kExhausted);
}

TEST(RandomTunerTest, QuantizedBoundsThatCannotComeUpAreNotCounted) {
  // round(x / 5) * 5 for x in [3, 10] is 5 or 10: two configurations, never 3.
  SearchSpace space = Space(R"({"q": {"_type": "quniform", "_value": [3, 10, 5]}})");
  auto tuner = Make(space, 1);
  std::set<double> values;
  for (const json& c : Take(*tuner, 5)) values.insert(c["q"].get<double>());
  EXPECT_EQ(values, (std::set<double>{5.0, 10.0}));
  EXPECT_TRUE(tuner->IsExhausted());
}

TEST(RandomTunerTest, ReplayedConfigurationsAreNeverSuggested) {
  SearchSpace space = Space(kSmall);
  auto first = Make(space, 11);
  std::vector<json> done = Take(*first, 8);
  std::vector<TrialRecord> records;
  for (size_t i = 0; i < done.size(); ++i) records.push_back(Finished(done[i], i));
  auto fresh = Make(space, 11);
  fresh->Update(records, {});
  std::set<std::string> replayed;
  for (const json& c : done) replayed.insert(ConfigKey(c));
  std::vector<json> rest = Take(*fresh, 10);
  EXPECT_EQ(rest.size(), 4u);
  for (const json& c : rest) EXPECT_EQ(replayed.count(ConfigKey(c)), 0u) << c.dump();
  EXPECT_TRUE(fresh->IsExhausted());
}

TEST(RandomTunerTest, WholeSpaceReplayedMeansExhaustedBeforeAnySuggest) {
  SearchSpace space = Space(kSmall);
  std::vector<json> all = Take(*Make(space, 2), 12);
  std::vector<TrialRecord> completed, active;
  for (size_t i = 0; i < all.size(); ++i) (i < 9 ? completed : active).push_back(Finished(all[i], i));
  auto fresh = Make(space, 2);
  EXPECT_FALSE(fresh->IsExhausted());
  fresh->Update(completed, active);
  EXPECT_TRUE(fresh->IsExhausted());
  EXPECT_EQ(fresh->Suggest(1).status().code(), StatusCode::kExhausted);
}

TEST(RandomTunerTest, ResumedTunerContinuesTheUninterruptedSequence) {
  for (const char* text : {kMixed, kSmall}) {
    SearchSpace space = Space(text);
    auto uninterrupted = Make(space, 21);
    std::vector<json> all = Take(*uninterrupted, 10);
    std::vector<TrialRecord> finished;
    for (size_t i = 0; i < 6; ++i) finished.push_back(Finished(all[i], i));
    // The 7th configuration was running when the manager died: it reruns as active.
    std::vector<TrialRecord> lost{Finished(all[6], 6)};
    lost[0].status = TrialStatus::kRunning;
    auto resumed = Make(space, 21);
    resumed->Update(finished, lost);
    std::vector<json> next = Take(*resumed, 3);
    EXPECT_EQ(next, std::vector<json>(all.begin() + 7, all.end())) << text;
  }
}

TEST(RandomTunerTest, EmptySpaceYieldsOneEmptyConfiguration) {
  SearchSpace space;
  auto tuner = Make(space, 0);
  EXPECT_EQ(Take(*tuner, 3), std::vector<json>{json::object()});
  EXPECT_EQ(tuner->Suggest(1).status().code(), StatusCode::kExhausted);
}

}  // namespace
}  // namespace hone
