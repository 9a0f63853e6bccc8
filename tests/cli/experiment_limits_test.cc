// The budgets `experiment show` and `experiment update` work with: the config's, with
// meta "limits" on top; the CLI's parsing of new values.
#include "cli/experiment_limits.h"

#include <gtest/gtest.h>

#include "cli/confirm.h"

namespace hone {
namespace {

using nlohmann::json;

TEST(ExperimentLimitsTest, ConfigLimitsWithoutChanges) {
  json config = {{"trialConcurrency", 3}, {"maxTrialNumber", 20}, {"maxExperimentDuration", "7200.000000s"}};
  ExperimentLimits l = EffectiveLimits(config, std::nullopt);
  EXPECT_EQ(l.trial_concurrency, 3);
  EXPECT_EQ(l.max_trial_number, 20);
  EXPECT_EQ(l.max_experiment_duration_s, 7200);
  EXPECT_FALSE(l.max_trial_duration_s);
}

TEST(ExperimentLimitsTest, StoredChangesWinOverTheConfig) {
  json config = {{"trialConcurrency", 3}, {"maxTrialNumber", 20}, {"maxTrialDuration", "1m"}};
  ExperimentLimits l = EffectiveLimits(
      config, R"({"trial_concurrency": 8, "max_trial_number": 50, "max_experiment_duration_s": 600,
                  "max_trial_duration_s": null})");
  EXPECT_EQ(l.trial_concurrency, 8);
  EXPECT_EQ(l.max_trial_number, 50);
  EXPECT_EQ(l.max_experiment_duration_s, 600);
  EXPECT_FALSE(l.max_trial_duration_s);
  // Unreadable or mistyped stored values are skipped.
  ExperimentLimits bad = EffectiveLimits(config, R"({"trial_concurrency": "many", "max_trial_number": 0.5})");
  EXPECT_EQ(bad.trial_concurrency, 3);
  EXPECT_EQ(bad.max_trial_number, 20);
  EXPECT_EQ(EffectiveLimits(config, "not json").trial_concurrency, 3);
}

TEST(ExperimentLimitsTest, MergeKeepsOtherKeys) {
  std::string merged = MergeLimits(R"({"trial_concurrency": 2, "max_trial_number": 9})", {{"max_trial_number", 30}});
  EXPECT_EQ(json::parse(merged), (json{{"trial_concurrency", 2}, {"max_trial_number", 30}}));
  EXPECT_EQ(json::parse(MergeLimits("[1]", {{"trial_concurrency", 4}})), (json{{"trial_concurrency", 4}}));
  EXPECT_EQ(json::parse(MergeLimits(std::nullopt, {{"trial_concurrency", 4}})), (json{{"trial_concurrency", 4}}));
}

TEST(ExperimentLimitsTest, ParseRejectsBadValuesWithTheOptionName) {
  EXPECT_EQ(*ParseLimitInt("--concurrency", "4", 1, 100), 4);
  for (const char* bad : {"0", "-1", "101", "4x", "", "1.5", "99999999999999999999999"}) {
    auto v = ParseLimitInt("--concurrency", bad, 1, 100);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find("--concurrency: must be an integer in [1, 100], but got '"),
              std::string::npos) << v.status().message();
  }
  EXPECT_EQ(*ParseLimitDuration("--max-duration", "1.5h"), 5400);
  EXPECT_EQ(*ParseLimitDuration("--max-duration", "90"), 90);
  for (const char* bad : {"0", "-1h", "10x", "", "inf"}) {
    auto v = ParseLimitDuration("--max-duration", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_NE(v.status().message().find("--max-duration: expected a positive duration"), std::string::npos);
  }
}

TEST(ConfirmTest, OnlyYesIsYes) {
  for (const char* yes : {"y", "Y", "yes", "YES", " y ", "yes\r"}) EXPECT_TRUE(IsYes(yes)) << yes;
  for (const char* no : {"", "n", "no", "yep", "y y", "1"}) EXPECT_FALSE(IsYes(no)) << no;
}

TEST(ConfirmTest, AskReadsOneLine) {
  std::FILE* in = std::tmpfile();
  std::FILE* out = std::tmpfile();
  std::fputs("yes\nno\n", in);
  std::rewind(in);
  EXPECT_TRUE(AskYesNo("delete?", in, out));
  EXPECT_FALSE(AskYesNo("delete?", in, out));
  EXPECT_FALSE(AskYesNo("delete?", in, out));  // end of input
  std::rewind(out);
  char buf[64] = {};
  ASSERT_NE(std::fgets(buf, sizeof buf, out), nullptr);
  EXPECT_EQ(std::string(buf), "delete? [y/N] delete? [y/N] delete? [y/N] ");
  std::fclose(in);
  std::fclose(out);
}

}  // namespace
}  // namespace hone
