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

// Runs an experiment of `max_trials` whose every trial exits with `code`.
StatusOr<std::string> RunFailing(ManagerHarness& h, int fail_fast, int64_t max_trials, int code, std::string tail) {
  h.config.fail_fast = fail_fast;
  h.config.max_trial_number = max_trials;
  h.platform.program_for = [code, tail](const TrialLaunch&) { return FailsWith(code, tail); };
  ScriptedTuner tuner;
  return h.Run(tuner);
}

TEST(ManagerFailFastTest, FirstTrialsFailingTheSameWayStopTheExperiment) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  auto result = RunFailing(h, 3, 40, 2, "can't open file 'trail.py'");
  ASSERT_FALSE(result.ok()) << "ended as " << *result;
  const std::string message = result.status().message();
  EXPECT_NE(message.find("first 3 trials all failed the same way (exit code 2)"), std::string::npos) << message;
  EXPECT_NE(message.find("can't open file 'trail.py'"), std::string::npos) << message;
  EXPECT_NE(message.find("failFast"), std::string::npos) << message;
  EXPECT_EQ(h.Meta("status"), kExpFailed);
  EXPECT_LE(h.platform.launches.size(), 4u);  // 3 failures and at most one more in flight
  EXPECT_EQ(h.platform.live(), 0);
}

TEST(ManagerFailFastTest, OneMeansTheFirstFailureStopsAndZeroNever) {
  ManagerHarness first;
  auto stopped = RunFailing(first, 1, 10, 1, "Traceback: KeyError 'lr'");
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.status().message().find("the first trial failed (exit code 1)"), std::string::npos)
      << stopped.status().message();
  EXPECT_EQ(first.platform.launches.size(), 1u);

  ManagerHarness never;
  auto done = RunFailing(never, 0, 8, 2, "no such file");
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(*done, kExpDone);
  EXPECT_EQ(never.platform.launches.size(), 8u);
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
