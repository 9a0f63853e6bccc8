// failFast: an experiment whose first trials all fail the same way stops with an error that
// carries the first failure's stderr, instead of running its whole budget into it.
#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"

namespace hone {
namespace {

using testing::Exit;
using testing::ManagerHarness;
using testing::ScriptedTuner;
using testing::Succeeds;
using testing::TrialProgram;

TrialProgram FailsWith(int code, const std::string& stderr_tail) { return {Exit(1.0, code, 0, stderr_tail)}; }

TEST(ManagerFailFastTest, FirstTrialsFailingTheSameWayStopTheExperiment) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.config.max_trial_number = 40;
  h.platform.program_for = [](const TrialLaunch&) { return FailsWith(2, "can't open file 'trail.py'"); };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_FALSE(result.ok()) << "ended as " << *result;
  const std::string message = result.status().message();
  EXPECT_NE(message.find("first 3 trials all failed the same way (exit code 2)"), std::string::npos) << message;
  EXPECT_NE(message.find("can't open file 'trail.py'"), std::string::npos) << message;
  EXPECT_NE(message.find("failFast"), std::string::npos) << message;
  EXPECT_EQ(h.Meta("status"), kExpFailed);
  EXPECT_LE(h.platform.launches.size(), 4u);  // 3 failures and at most one more in flight
  EXPECT_EQ(h.platform.live(), 0);
}

TEST(ManagerFailFastTest, OneMeansTheFirstFailureStops) {
  ManagerHarness h;
  h.config.fail_fast = 1;
  h.config.max_trial_number = 10;
  h.platform.program_for = [](const TrialLaunch&) { return FailsWith(1, "Traceback: KeyError 'lr'"); };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("the first trial failed (exit code 1)"), std::string::npos)
      << result.status().message();
  EXPECT_EQ(h.platform.launches.size(), 1u);
}

TEST(ManagerFailFastTest, ZeroRunsTheWholeBudget) {
  ManagerHarness h;
  h.config.fail_fast = 0;
  h.config.max_trial_number = 8;
  h.platform.program_for = [](const TrialLaunch&) { return FailsWith(2, "no such file"); };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_EQ(h.platform.launches.size(), 8u);
}

// Failures that differ (exit codes, signals, a missing metric) are the search at work, and
// one success anywhere shows that the command runs: neither stops the experiment.
TEST(ManagerFailFastTest, DifferentFailuresOrASuccessKeepItRunning) {
  const std::vector<std::function<TrialProgram(const TrialLaunch&)>> programs = {
      [](const TrialLaunch& l) { return FailsWith(static_cast<int>(l.seq % 2) + 1, "out of memory"); },
      [](const TrialLaunch& l) { return l.seq == 1 ? Succeeds(1.0, 0.5) : FailsWith(3, "diverged"); },
      [](const TrialLaunch& l) { return l.seq == 2 ? TrialProgram{Exit(1.0, 0)} : FailsWith(3, "diverged"); },
  };
  for (size_t i = 0; i < programs.size(); ++i) {
    SCOPED_TRACE("program " + std::to_string(i));
    ManagerHarness h;
    h.config.max_trial_number = 6;
    h.platform.program_for = programs[i];
    ScriptedTuner tuner;
    auto result = h.Run(tuner);
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_EQ(h.platform.launches.size(), 6u);
  }
}

}  // namespace
}  // namespace hone
