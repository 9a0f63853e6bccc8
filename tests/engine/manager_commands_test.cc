// ExperimentManager commands (Storage::PushCommand, as the CLI and the web UI send them)
// and the stop_requested flag that a signal handler sets.
#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"

namespace hone {
namespace {

using nlohmann::json;
using testing::Hangs;
using testing::ManagerHarness;
using testing::PushCommand;
using testing::ScriptedTuner;
using testing::Succeeds;

// Runs `action` once, on the first Poll at or after `at` seconds from now.
std::function<void()> Once(ManagerHarness& h, double at, std::function<void()> action) {
  double when = h.clock.Now() + at;
  auto done = std::make_shared<bool>(false);
  return [&h, when, done, action = std::move(action)] {
    if (*done || h.clock.Now() < when) return;
    *done = true;
    action();
  };
}

TEST(ManagerCommandsTest, StopCommandCancelsRunningTrialsAndEndsStopped) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.platform.program_for = [](const TrialLaunch&) { return Hangs(); };
  h.platform.on_poll = Once(h, 3, [&] { ASSERT_TRUE(PushCommand(*h.storage, "stop", json::object()).ok()); });
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpStopped);
  EXPECT_EQ(h.Meta("status"), kExpStopped);
  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 2u);  // nothing new is launched once stopping
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, TrialStatus::kCanceled);
    EXPECT_EQ(t.reason, kReasonExperimentStopped);
  }
  EXPECT_EQ(h.platform.kills.size(), 2u);
  EXPECT_LT(h.clock.Now() - 1000, 4.0);  // acted within the command interval
  EXPECT_TRUE(tuner.CompletedSeqs().empty());  // canceled runs teach the tuner nothing
}

TEST(ManagerCommandsTest, StopRequestedFlagEndsTheRunLikeTheStopCommand) {
  ManagerHarness h;
  h.platform.program_for = [](const TrialLaunch& l) { return l.seq == 0 ? Succeeds(1.0, 0.5) : Hangs(); };
  h.platform.on_poll = Once(h, 2, [&] { h.stop_requested = true; });
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpStopped);
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);
  EXPECT_EQ(h.Trial(1).status, TrialStatus::kCanceled);
  EXPECT_EQ(h.Trials().size(), 2u);
  EXPECT_TRUE(h.platform.stopped);
}

TEST(ManagerCommandsTest, KillTrialCancelsOnlyThatTrial) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.config.max_trial_number = 3;
  h.platform.program_for = [](const TrialLaunch& l) { return l.seq == 1 ? Hangs() : Succeeds(2.0, 0.5); };
  h.platform.on_poll = Once(h, 1, [&] { ASSERT_TRUE(PushCommand(*h.storage, "kill_trial", {{"seq", 1}}).ok()); });
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_EQ(h.platform.kills, (std::vector<int64_t>{1}));
  TrialRecord killed = h.Trial(1);
  EXPECT_EQ(killed.status, TrialStatus::kCanceled);
  EXPECT_EQ(killed.reason, "killed by user");
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);
  EXPECT_EQ(h.Trial(2).status, TrialStatus::kSucceeded);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0, 2}));
}

TEST(ManagerCommandsTest, KillTrialOfUnknownSeqChangesNothing) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  ASSERT_TRUE(PushCommand(*h.storage, "kill_trial", {{"seq", 99}}).ok());
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_TRUE(h.platform.kills.empty());
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);
  EXPECT_EQ(h.Trial(1).status, TrialStatus::kSucceeded);
}

TEST(ManagerCommandsTest, SetConcurrencyRaisesSlotsAndIsStoredInLimits) {
  ManagerHarness h;
  h.config.trial_concurrency = 1;
  h.config.max_trial_number = 6;
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(1.0, 0.5); };
  h.platform.on_poll = Once(h, 1.5, [&] { ASSERT_TRUE(PushCommand(*h.storage, "set_concurrency", {{"value", 3}}).ok()); });
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_EQ(h.platform.max_live, 3);
  EXPECT_EQ(h.platform.launches.size(), 6u);
  json limits = json::parse(h.Meta("limits"));
  EXPECT_EQ(limits["trial_concurrency"], 3);
}

TEST(ManagerCommandsTest, InvalidSetConcurrencyIsAWarningAndKeepsTheOldValue) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.config.max_trial_number = 4;
  ASSERT_TRUE(PushCommand(*h.storage, "set_concurrency", {{"value", 0}}).ok());
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(h.platform.max_live, 2);
  bool warned = false;
  for (const auto& e : h.Events(-1)) warned |= e.kind == "warning" && e.detail.find("set_concurrency") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_EQ(h.Meta("limits"), "<unset>");
}

TEST(ManagerCommandsTest, SetMaxTrialNumberExtendsTheBudget) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  h.platform.on_poll = Once(h, 0.5, [&] { ASSERT_TRUE(PushCommand(*h.storage, "set_max_trial_number", {{"value", 4}}).ok()); });
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_EQ(h.platform.launches.size(), 4u);
  EXPECT_EQ(json::parse(h.Meta("limits"))["max_trial_number"], 4);
}

TEST(ManagerCommandsTest, SetMaxTrialDurationTimesOutARunningTrial) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) { return Hangs(); };
  h.platform.on_poll = Once(h, 1, [&] { ASSERT_TRUE(PushCommand(*h.storage, "set_max_trial_duration", {{"value", 3}}).ok()); });
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_EQ(t.status, TrialStatus::kTimeout);
  EXPECT_GE(t.ended_at - t.started_at, 3.0);
  EXPECT_LT(t.ended_at - t.started_at, 3.5);
}

TEST(ManagerCommandsTest, AddTrialRunsTheGivenParametersNext) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  ASSERT_TRUE(PushCommand(*h.storage, "add_trial", {{"parameters", {{"x", 0.125}}}}).ok());
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  ASSERT_GE(h.Trials().size(), 1u);
  EXPECT_EQ(h.Trial(0).params, (json{{"x", 0.125}}));
  EXPECT_EQ(tuner.handed_out, 0);  // the added configuration used the budget of 1
}

}  // namespace
}  // namespace hone
