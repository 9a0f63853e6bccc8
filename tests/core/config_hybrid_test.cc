// trainingService as a list of platforms (NNI's hybrid mode): each item read and checked
// as a platform of its own, errors at file:line:col, and the stored JSON read back.
#include <gtest/gtest.h>

#include "tests/core/config_test_util.h"

namespace hone {
namespace {

class ConfigHybridTest : public testing::ConfigReaderTest {
 protected:
  static std::string Yaml(const std::string& service) {
    return "searchSpace: {x: {_type: choice, _value: [1, 2]}}\ntrialCommand: python3 t.py\n"
           "trialConcurrency: 2\ntuner: {name: random}\ntrainingService:\n" + service;
  }
};

TEST_F(ConfigHybridTest, AListOfPlatformsIsReadInOrderWithTheirOwnKeys) {
  auto cfg = Read(Yaml("  - platform: local\n    useActiveGpu: true\n"
                       "  - platform: replay\n    curves: /tmp/c.jsonl\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->platform, "hybrid");
  EXPECT_TRUE(cfg->platform_args.empty());
  ASSERT_EQ(cfg->hybrid.size(), 2u);
  EXPECT_EQ(cfg->hybrid[0].name, "local");
  EXPECT_EQ(cfg->hybrid[0].args["useActiveGpu"], true);
  EXPECT_EQ(cfg->hybrid[1].name, "replay");
  EXPECT_EQ(cfg->hybrid[1].args["curves"], "/tmp/c.jsonl");

  // Stored and read back (resume reads the stored config).
  auto again = ExperimentConfig::FromJson(cfg->ToJson(), registry_);
  ASSERT_TRUE(again.ok()) << again.status().message();
  ASSERT_EQ(again->hybrid.size(), 2u);
  EXPECT_EQ(again->hybrid[1].args, cfg->hybrid[1].args);
}

TEST_F(ConfigHybridTest, AListOfOneIsThatPlatform) {
  auto cfg = Read(Yaml("  - platform: local\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->platform, "local");
  EXPECT_TRUE(cfg->hybrid.empty());
}

TEST_F(ConfigHybridTest, MistakesInAnItemAreErrorsAtTheirPosition) {
  std::string errors = Errors(Yaml("  - platform: local\n    usActiveGpu: true\n  - platform: nope\n"
                                   "  - platform: local\n    trialCommand: x\n"));
  EXPECT_NE(errors.find("exp.yaml:7:5: error: trainingService.usActiveGpu"), std::string::npos) << errors;
  EXPECT_NE(errors.find("exp.yaml:8:15: error: trainingService.platform"), std::string::npos) << errors;
  EXPECT_NE(errors.find("exp.yaml:10:5: error: trainingService.trialCommand: belongs at the top level"),
            std::string::npos)
      << errors;
}

TEST_F(ConfigHybridTest, AnEmptyListIsAnError) {
  std::string errors = Errors(Yaml("  []\n"));
  EXPECT_NE(errors.find("trainingService: is an empty list"), std::string::npos) << errors;
}

}  // namespace
}  // namespace hone
