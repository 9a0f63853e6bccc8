// The set_max_experiment_duration command (`hone experiment update --max-duration`): a
// running manager applies it and records it in meta "limits"; a resumed one reads it back.
#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using testing::ManagerHarness;
using testing::PushCommand;
using testing::ScriptedTuner;
using testing::Succeeds;

TEST(ManagerDurationCommandTest, SetMaxExperimentDurationEndsAnUnboundedRun) {
  ManagerHarness h;
  h.config.max_trial_number = 50;  // far away: the command ends the run first
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(1.0, 0.5); };
  const double start = h.clock.Now();
  bool pushed = false;
  h.platform.on_poll = [&] {
    if (pushed || h.clock.Now() - start < 1.5) return;
    pushed = true;
    ASSERT_TRUE(PushCommand(*h.storage, "set_max_experiment_duration", {{"value", 5}}).ok());
  };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_LT(h.clock.Now() - start, 7.0);
  EXPECT_GE(h.platform.launches.size(), 4u);
  EXPECT_LE(h.platform.launches.size(), 6u);
  EXPECT_EQ(json::parse(h.Meta("limits"))["max_experiment_duration_s"], 5.0);
}

TEST(ManagerDurationCommandTest, InvalidDurationIsAWarningAndChangesNothing) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  ASSERT_TRUE(PushCommand(*h.storage, "set_max_experiment_duration", {{"value", -3}}).ok());
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_EQ(h.platform.launches.size(), 2u);
  bool warned = false;
  for (const auto& e : h.Events(-1))
    warned |= e.kind == "warning" && e.detail.find("set_max_experiment_duration") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_EQ(h.Meta("limits"), "<unset>");
}

TEST(ManagerDurationCommandTest, StoredDurationLimitHoldsAfterResume) {
  ManagerHarness h;  // what `experiment update` writes for a stopped experiment
  h.config.max_trial_number = 50;
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(1.0, 0.5); };
  ASSERT_TRUE(h.storage->PutMeta("limits", R"({"max_experiment_duration_s": 3})").ok());
  ASSERT_TRUE(h.storage->Flush().ok());
  const double start = h.clock.Now();
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_LT(h.clock.Now() - start, 5.0);
  EXPECT_LE(h.platform.launches.size(), 4u);
}

}  // namespace
}  // namespace hone
