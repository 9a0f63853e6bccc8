// The Tuner contract (core/tuner.h) for `tuner: amc`, through the real registry entry
// (tuners/plugin/compress_tuners.h) and the real `hone-compress amc-tuner` process: the
// contract suite's checks that apply to a tuner whose space is a model's decisions
// (tests/contract/tuner_contract_test.cc runs arbitrary spaces, which amc refuses).
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "core/registry.h"
#include "e2e_util.h"
#include "tuners/config_key.h"
#include "tuners/plugin/compress_tuners.h"

namespace hone::e2e {
namespace {

using nlohmann::json;

bool HaveCompress() { return std::filesystem::exists(std::string(HONE_BUILD_DIR) + "/hone-compress"); }

double Score(const json& config) {
  double r = 1;
  for (auto it = config.begin(); it != config.end(); ++it) r -= std::pow(it.value().get<double>() - 0.6, 2);
  return r;
}

TrialRecord Succeeded(const json& params, int64_t seq) {
  TrialRecord r;
  r.seq = seq;
  r.config_id = seq;
  r.id = std::to_string(seq);
  r.status = TrialStatus::kSucceeded;
  r.params = params;
  r.final_value = Score(params);
  r.final_metrics = {{"default", Score(params)}};
  return r;
}

class AmcTunerContractTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!HaveCompress()) GTEST_SKIP() << "built without libtorch";
    RunResult zoo = env_.Run({"compress", "zoo", "vgg-small", "--width", "8", "--out", env_.work() + "/m.pt"});
    ASSERT_EQ(zoo.exit_code, 0) << zoo.err;
    RunResult written = env_.Run({"compress", "amc-space", env_.work() + "/m.pt", "--round-to", "4",
                                "--out", env_.work() + "/space.json"});
    ASSERT_EQ(written.exit_code, 0) << written.out << written.err;
    space_json_ = json::parse(ReadFile(env_.work() + "/space.json"));
    auto space = SearchSpace::FromJson(space_json_);
    ASSERT_TRUE(space.ok()) << space.status().message();
    space_ = *space;
    plugin::RegisterCompressTuners(registry_, HONE_BUILD_DIR);
  }

  std::unique_ptr<Tuner> Make(uint64_t seed, json args = nullptr) {
    if (args.is_null()) args = {{"model", env_.work() + "/m.pt"}, {"round_to", 4}, {"warmup_episodes", 3}};
    TunerContext ctx;
    ctx.space = &space_;
    ctx.space_json = &space_json_;
    ctx.class_args = args;
    ctx.seed = seed;
    auto tuner = registry_.FindTuner("amc")->create(ctx);
    EXPECT_TRUE(tuner.ok()) << tuner.status().message();
    return tuner.ok() ? std::move(*tuner) : nullptr;
  }

  static std::vector<json> RunSequentially(Tuner& tuner, int n, int64_t seq = 0) {
    std::vector<json> out;
    for (int i = 0; i < n; ++i) {
      auto batch = tuner.Suggest(1);
      EXPECT_TRUE(batch.ok() && batch->size() == 1u) << (batch.ok() ? "none" : batch.status().message());
      if (!batch.ok() || batch->size() != 1u) break;
      TrialRecord done = Succeeded((*batch)[0], seq++);
      tuner.Update(std::span<const TrialRecord>(&done, 1), {});
      out.push_back((*batch)[0]);
    }
    return out;
  }

  HoneEnv env_;
  Registry registry_;
  json space_json_;
  SearchSpace space_;
};

TEST_F(AmcTunerContractTest, SuggestionsLieInsideTheSpaceAndNameEveryDecision) {
  auto tuner = Make(1);
  ASSERT_TRUE(tuner);
  EXPECT_EQ(tuner->Name(), "amc");
  auto batch = tuner->Suggest(5);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->size(), 5u);
  for (const json& c : *batch) {
    EXPECT_TRUE(space_.Contains(c)) << c.dump();
    EXPECT_EQ(c.size(), space_json_.size()) << c.dump();
  }
  auto none = tuner->Suggest(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(AmcTunerContractTest, UpdateAcceptsEveryKindOfFinishedTrial) {
  auto tuner = Make(9);
  tuner->Update({}, {});
  auto first = tuner->Suggest(6);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->size(), 6u);
  std::vector<TrialRecord> finished;
  for (size_t i = 0; i < 6; ++i) finished.push_back(Succeeded((*first)[i], static_cast<int64_t>(i)));
  finished[0].status = TrialStatus::kFailed;
  finished[0].final_value.reset();
  finished[0].final_metrics = nullptr;
  finished[1].status = TrialStatus::kEarlyStopped;
  finished[1].final_value.reset();
  finished[2].final_value = std::numeric_limits<double>::quiet_NaN();
  finished[3].final_value = std::numeric_limits<double>::infinity();
  finished[4].final_value = -std::numeric_limits<double>::infinity();
  finished[5].status = TrialStatus::kTimeout;
  finished[5].final_value.reset();
  tuner->Update(finished, {});
  auto next = tuner->Suggest(5);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_TRUE(tuner->Fault().ok()) << tuner->Fault().message();
  std::set<std::string> old;
  for (const json& c : *first) old.insert(ConfigKey(c));
  for (const json& c : *next) {
    EXPECT_TRUE(space_.Contains(c)) << c.dump();
    EXPECT_EQ(old.count(ConfigKey(c)), 0u) << "repeated " << c.dump();
  }
}

TEST_F(AmcTunerContractTest, SameSeedSameSuggestionsOtherSeedOthers) {
  auto a = RunSequentially(*Make(17), 6);
  EXPECT_EQ(a, RunSequentially(*Make(17), 6));
  EXPECT_NE(a, RunSequentially(*Make(18), 6));
}

TEST_F(AmcTunerContractTest, ResumedTunerSuggestsWhatTheUninterruptedOneWould) {
  auto uninterrupted = Make(31);
  std::vector<json> all = RunSequentially(*uninterrupted, 10);
  ASSERT_EQ(all.size(), 10u);
  std::vector<TrialRecord> replay;
  std::set<std::string> replayed;
  for (size_t i = 0; i < 7; ++i) {
    replay.push_back(Succeeded(all[i], static_cast<int64_t>(i)));
    replayed.insert(ConfigKey(all[i]));
  }
  auto resumed = Make(31);
  resumed->Update(replay, {});
  std::vector<json> next = RunSequentially(*resumed, 3, 7);
  EXPECT_EQ(next, std::vector<json>(all.begin() + 7, all.end())) << "past the warm-up of 3: the actor's policies";
  for (const json& c : next) EXPECT_EQ(replayed.count(ConfigKey(c)), 0u) << "replayed config suggested again";
}

TEST_F(AmcTunerContractTest, BadClassArgsAndAMissingExecutableFailWithAMessage) {
  auto tuner = Make(1, json{{"round_to", 4}});
  ASSERT_TRUE(tuner);
  auto batch = tuner->Suggest(1);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("classArgs.model"), std::string::npos) << batch.status().message();

  auto noisy = Make(1, json{{"model", env_.work() + "/m.pt"}, {"round_to", 4}, {"min_noise", 1.5}});
  ASSERT_TRUE(noisy);
  batch = noisy->Suggest(1);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("classArgs.min_noise must be a number in [0, 1]"), std::string::npos)
      << batch.status().message();
  auto frozen = Make(1, json{{"model", env_.work() + "/m.pt"}, {"round_to", 4}, {"noise_decay", 0}});
  ASSERT_TRUE(frozen);
  batch = frozen->Suggest(1);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("classArgs.noise_decay must be a number in (0, 1]"), std::string::npos)
      << batch.status().message();
  auto scheduled = Make(1, json{{"model", env_.work() + "/m.pt"}, {"round_to", 4}, {"warmup_episodes", 1},
                                {"noise", 0.3}, {"noise_decay", 0.9}, {"min_noise", 0.1}});
  ASSERT_TRUE(scheduled);
  EXPECT_EQ(RunSequentially(*scheduled, 3).size(), 3u);

  Registry elsewhere;
  plugin::RegisterCompressTuners(elsewhere, env_.work());
  TunerContext ctx;
  ctx.space = &space_;
  auto missing = elsewhere.FindTuner("amc")->create(ctx);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("without libtorch"), std::string::npos) << missing.status().message();
}

}  // namespace
}  // namespace hone::e2e
