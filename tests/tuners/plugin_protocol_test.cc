// The plugin protocol's encoding and decoding, and the plugin registration store.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include "core/config_reader.h"
#include "core/experiment_config.h"
#include "tuners/builtin_tuners.h"
#include "assessors/builtin_assessors.h"
#include "platforms/builtin_platforms.h"
#include "tuners/plugin/plugin_protocol.h"
#include "tuners/plugin/plugin_store.h"

namespace hone::plugin {
namespace {

using nlohmann::json;

TEST(PluginProtocolTest, NumbersWithoutJsonLiteralsForNanAndInfinity) {
  EXPECT_EQ(EncodeNumber(1.5), json(1.5));
  EXPECT_EQ(EncodeNumber(std::numeric_limits<double>::quiet_NaN()), json("NaN"));
  EXPECT_EQ(EncodeNumber(std::numeric_limits<double>::infinity()), json("Infinity"));
  EXPECT_EQ(EncodeNumber(-std::numeric_limits<double>::infinity()), json("-Infinity"));
  EXPECT_TRUE(std::isnan(*DecodeNumber("NaN")));
  EXPECT_EQ(*DecodeNumber("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(*DecodeNumber(2), 2.0);
  EXPECT_FALSE(DecodeNumber(nullptr).has_value());
}

TEST(PluginProtocolTest, TrialEncoding) {
  TrialRecord t;
  t.seq = 4;
  t.config_id = 3;
  t.status = TrialStatus::kEarlyStopped;
  t.params = {{"lr", 0.1}};
  t.intermediate = {{0, 0.5}, {1, std::numeric_limits<double>::quiet_NaN()}};
  json j = EncodeTrial(t);
  EXPECT_EQ(j["seq"], 4);
  EXPECT_EQ(j["config_id"], 3);
  EXPECT_EQ(j["status"], "early_stopped");
  EXPECT_EQ(j["params"]["lr"], 0.1);
  EXPECT_TRUE(j["final"].is_null());
  EXPECT_EQ(j["intermediate"], json::parse(R"([[0, 0.5], [1, "NaN"]])"));
  t.final_value = std::numeric_limits<double>::infinity();
  EXPECT_EQ(EncodeTrial(t)["final"], "Infinity");
  // The whole request serialises as valid JSON (no NaN literals).
  std::vector<TrialRecord> v{t};
  std::string text = UpdateRequest(v, {}).dump();
  EXPECT_FALSE(json::parse(text, nullptr, false).is_discarded()) << text;
}

// The whole final report travels as "metrics", so that a plugin can hand a tuner the
// value the trial reported (NNI's receive_trial_result gets the dict).
TEST(PluginProtocolTest, TrialCarriesTheWholeFinalReport) {
  TrialRecord t;
  EXPECT_TRUE(EncodeTrial(t)["metrics"].is_null());
  t.final_value = 0.5;
  t.final_metrics = {{"default", 0.5}, {"loss", std::numeric_limits<double>::quiet_NaN()}, {"note", "x"}};
  EXPECT_EQ(EncodeTrial(t)["metrics"], json::parse(R"({"default": 0.5, "loss": "NaN", "note": "x"})"));
}

TEST(PluginProtocolTest, Requests) {
  json init = InitRequest(PluginKind::kTuner, {{"x", 1}}, {{"a", 2}}, 9, OptimizeMode::kMinimize);
  EXPECT_EQ(init["type"], "init");
  EXPECT_EQ(init["kind"], "tuner");
  EXPECT_EQ(init["seed"], 9);
  EXPECT_EQ(init["optimize_mode"], "minimize");
  EXPECT_EQ(init["class_args"]["a"], 2);
  EXPECT_EQ(SuggestRequest(3), json::parse(R"({"type":"suggest","count":3})"));
  TrialRecord t;
  EXPECT_EQ(AssessRequest(t, {})["type"], "assess");
}

TEST(PluginProtocolTest, RepliesAreCheckedAndErrorsSurface) {
  EXPECT_FALSE(ParseReply("hello").ok());
  EXPECT_NE(ParseReply("hello").status().message().find("garbage"), std::string::npos);
  EXPECT_FALSE(ParseReply("[1,2]").ok());
  auto err = ParseReply(R"({"error":"out of ideas"})");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("out of ideas"), std::string::npos);
  ASSERT_TRUE(ParseReply("{}").ok());

  auto s = DecodeSuggestReply(json::parse(R"({"configs":[{"x":1},{"x":2}]})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->configs.size(), 2u);
  EXPECT_FALSE(s->exhausted);
  auto ex = DecodeSuggestReply(json::parse(R"({"exhausted":true})"));
  ASSERT_TRUE(ex.ok());
  EXPECT_TRUE(ex->exhausted);
  EXPECT_FALSE(DecodeSuggestReply(json::parse("{}")).ok());
  EXPECT_FALSE(DecodeSuggestReply(json::parse(R"({"configs":[1]})")).ok());
  EXPECT_FALSE(DecodeSuggestReply(json::parse(R"({"configs":{}})")).ok());

  EXPECT_TRUE(*DecodeVerdictReply(json::parse(R"({"verdict":"stop"})")));
  EXPECT_FALSE(*DecodeVerdictReply(json::parse(R"({"verdict":"continue"})")));
  EXPECT_FALSE(DecodeVerdictReply(json::parse(R"({"verdict":"maybe"})")).ok());
  EXPECT_FALSE(DecodeVerdictReply(json::parse("{}")).ok());
}

class TempHome : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hone_plugin_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

using PluginStoreTest = TempHome;

TEST_F(PluginStoreTest, SaveLoadRoundTrip) {
  auto none = LoadPluginEntries(dir_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  PluginEntry a{"walker", PluginKind::kTuner, "/x/libwalker.so", "", "", "a walker"};
  PluginEntry b{"judge", PluginKind::kAssessor, "", "/usr/bin/python3 judge.py", "/work", ""};
  ASSERT_TRUE(SavePluginEntries(dir_, {a, b}).ok());
  auto loaded = LoadPluginEntries(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].name, "walker");
  EXPECT_EQ((*loaded)[0].library, "/x/libwalker.so");
  EXPECT_EQ((*loaded)[0].summary, "a walker");
  EXPECT_EQ((*loaded)[1].kind, PluginKind::kAssessor);
  EXPECT_EQ((*loaded)[1].command, "/usr/bin/python3 judge.py");
  EXPECT_EQ((*loaded)[1].dir, "/work");
}

TEST_F(PluginStoreTest, CorruptFileIsAnError) {
  FILE* f = std::fopen(PluginStorePath(dir_).c_str(), "w");
  std::fputs("not json", f);
  std::fclose(f);
  EXPECT_FALSE(LoadPluginEntries(dir_).ok());
}

// The config reader's `plugin:` form, and its round trip through the stored JSON.
TEST(PluginConfigTest, PluginKeyRoundTrips) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  RegisterBuiltinAssessors(registry);
  RegisterBuiltinPlatforms(registry);
  std::vector<PluginEntry> registered = {{"judge", PluginKind::kAssessor, "", "true", "/", ""}};
  RegisterPluginAlgorithms(registry, registered, "");
  std::string text =
      "searchSpace:\n  x: {_type: uniform, _value: [0, 1]}\n"
      "trialCommand: 'true'\ntrialConcurrency: 1\ntrainingService: {platform: local}\n"
      "tuner:\n  plugin: /usr/bin/python3 my_tuner.py\n  classArgs: {optimize_mode: minimize, depth: 3, "
      "nested: {a: [1, 2]}}\n"
      "assessor:\n  name: judge\n  classArgs: {anything: yes}\n";
  auto cfg = ParseExperimentConfig(text, "exp.yaml", "/tmp", registry);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->tuner.name, "plugin");
  EXPECT_EQ(cfg->tuner.mode, OptimizeMode::kMinimize);
  EXPECT_EQ(cfg->tuner.class_args["depth"], 3);
  EXPECT_EQ(cfg->tuner.class_args["_plugin"]["command"], "/usr/bin/python3 my_tuner.py");
  EXPECT_EQ(cfg->tuner.class_args["_plugin"]["dir"], "/tmp");
  EXPECT_EQ(cfg->assessor.name, "judge");

  json stored = cfg->ToJson();
  EXPECT_EQ(stored["tuner"]["plugin"], "/usr/bin/python3 my_tuner.py");
  EXPECT_EQ(stored["tuner"]["pluginDir"], "/tmp");
  EXPECT_FALSE(stored["tuner"]["classArgs"].contains("_plugin"));
  auto back = ExperimentConfig::FromJson(stored, registry);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->tuner.class_args, cfg->tuner.class_args);
  EXPECT_EQ(back->assessor.name, "judge");
  EXPECT_EQ(back->ToJson(), stored);
}

TEST(PluginConfigTest, NameAndPluginTogetherIsAnError) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  RegisterBuiltinAssessors(registry);
  RegisterBuiltinPlatforms(registry);
  RegisterPluginAlgorithms(registry, {}, "");
  std::string text =
      "searchSpace:\n  x: {_type: uniform, _value: [0, 1]}\n"
      "trialCommand: 'true'\ntrialConcurrency: 1\ntrainingService: {platform: local}\n"
      "tuner:\n  name: random\n  plugin: ./t.py\n";
  auto cfg = ParseExperimentConfig(text, "exp.yaml", "/tmp", registry);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("not both"), std::string::npos) << cfg.status().message();
  std::string missing =
      "searchSpace:\n  x: {_type: uniform, _value: [0, 1]}\n"
      "trialCommand: 'true'\ntrialConcurrency: 1\ntrainingService: {platform: local}\n"
      "tuner:\n  plugin: ./nope.so\n";
  auto cfg2 = ParseExperimentConfig(missing, "exp.yaml", "/tmp", registry);
  ASSERT_FALSE(cfg2.ok());
  EXPECT_NE(cfg2.status().message().find("does not exist"), std::string::npos) << cfg2.status().message();
}

}  // namespace
}  // namespace hone::plugin
