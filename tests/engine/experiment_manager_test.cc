// ExperimentManager on a scripted platform and a hand clock: budgets, slots, trial
// durations, trial outcomes and early stopping. Nothing sleeps; simulated time moves
// only when the fake platform's Poll moves it.
#include "engine/experiment_manager.h"

#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "tests/engine/manager_test_util.h"
#include "tuners/builtin_tuners.h"

namespace hone {
namespace {

using testing::Curve;
using testing::Exit;
using testing::FinalLine;
using testing::Hangs;
using testing::Line;
using testing::ManagerHarness;
using testing::RecordingTuner;
using testing::ScriptedAssessor;
using testing::ScriptedTuner;
using testing::Succeeds;
using testing::TrialProgram;

std::unique_ptr<Tuner> BuiltinTuner(const std::string& name, const ExperimentConfig& config, uint64_t seed = 7) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  const TunerInfo* info = registry.FindTuner(name);
  EXPECT_NE(info, nullptr) << name;
  if (!info) return nullptr;
  TunerContext ctx;
  ctx.space = &config.search_space;
  ctx.seed = seed;
  auto tuner = info->create(ctx);
  EXPECT_TRUE(tuner.ok()) << tuner.status().message();
  return tuner.ok() ? std::move(*tuner) : nullptr;
}

int CountStatus(const std::vector<TrialRecord>& trials, TrialStatus status) {
  return static_cast<int>(std::count_if(trials.begin(), trials.end(), [&](const TrialRecord& t) { return t.status == status; }));
}

TEST(ExperimentManagerTest, StopsLaunchingAtMaxTrialNumber) {
  ManagerHarness h;
  h.config.max_trial_number = 5;
  h.config.trial_concurrency = 2;
  RecordingTuner tuner(BuiltinTuner("random", h.config));
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_EQ(h.platform.launches.size(), 5u);
  EXPECT_EQ(tuner.suggested.size(), 5u);  // never asked for more than the budget left
  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 5u);
  EXPECT_EQ(CountStatus(trials, TrialStatus::kSucceeded), 5);
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].seq, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].config_id, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].final_value, 0.5);
    EXPECT_TRUE(h.config.search_space.Contains(trials[i].params));
  }
  EXPECT_EQ(h.Meta("status"), kExpDone);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(ExperimentManagerTest, LaunchesCarryParametersInEnvironmentAndParamsFile) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  ASSERT_EQ(h.platform.launches.size(), 2u);
  const TrialLaunch& second = h.platform.launches[1];
  EXPECT_EQ(second.seq, 1);
  EXPECT_EQ(second.command, "fake");
  EXPECT_EQ(second.trial_dir, h.dir / "trials/1");
  EXPECT_EQ(nlohmann::json::parse(second.env.at("HONE_PARAMS")), (nlohmann::json{{"x", 0.001}}));
  EXPECT_EQ(second.env.at("HONE_TRIAL_SEQ"), "1");
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFile(h.dir / "trials/1/params.json")), (nlohmann::json{{"x", 0.001}}));
}

TEST(ExperimentManagerTest, StopsCreatingTrialsAtMaxExperimentDuration) {
  ManagerHarness h;
  h.config.max_experiment_duration_s = 10;
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(3.0, 0.5); };
  ScriptedTuner tuner;
  const double start = h.clock.Now();
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  std::vector<TrialRecord> trials = h.Trials();
  // Launched at 0, 3, 6 and 9 s; nothing once 10 s have passed.
  ASSERT_EQ(trials.size(), 4u);
  for (const auto& t : trials) EXPECT_LT(t.created_at - start, 10.0) << "trial " << t.seq;
  EXPECT_LT(h.clock.Now() - start, 13.5);  // it did not idle after the last trial
  EXPECT_GE(std::stod(h.Meta("elapsed")), 10.0);
}

TEST(ExperimentManagerTest, NeverRunsMoreThanTrialConcurrency) {
  ManagerHarness h;
  h.config.trial_concurrency = 3;
  h.config.max_trial_number = 10;
  h.platform.program_for = [](const TrialLaunch& l) { return Succeeds(1.0 + static_cast<double>(l.seq % 4), 0.5); };
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_EQ(h.platform.launches.size(), 10u);
  EXPECT_EQ(h.platform.max_live, 3);
  for (int count : tuner.suggest_counts) EXPECT_LE(count, 3);
}

TEST(ExperimentManagerTest, PlatformCapacityLimitsSlotsBelowConcurrency) {
  ManagerHarness h;
  h.config.trial_concurrency = 4;
  h.config.max_trial_number = 5;
  h.platform.capacity = 1;
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  EXPECT_EQ(h.platform.launches.size(), 5u);
  EXPECT_EQ(h.platform.max_live, 1);
}

TEST(ExperimentManagerTest, KillsTrialPastMaxTrialDurationAsTimeout) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  h.config.max_trial_duration_s = 5;
  h.platform.program_for = [](const TrialLaunch& l) { return l.seq == 0 ? Hangs() : Succeeds(4.0, 0.9); };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(h.platform.kills, (std::vector<int64_t>{0}));
  TrialRecord hung = h.Trial(0);
  EXPECT_EQ(hung.status, TrialStatus::kTimeout);
  EXPECT_NE(hung.reason.find("maxTrialDuration"), std::string::npos) << hung.reason;
  EXPECT_GE(hung.ended_at - hung.started_at, 5.0);
  EXPECT_LT(hung.ended_at - hung.started_at, 5.5);
  EXPECT_EQ(h.Trial(1).status, TrialStatus::kSucceeded);  // 4 s is under the limit
  EXPECT_EQ(tuner.updates.back().completed.back().seq, 1);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0, 1}));  // a timeout teaches the tuner too
}

TEST(ExperimentManagerTest, AssessorStopKillsTrialAndRecordsEarlyStopped) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  h.platform.program_for = [](const TrialLaunch& l) {
    return l.seq == 0 ? Curve({0.5, 0.6, 0.7, 0.8}, 1.0) : Curve({0.1, 0.2, 0.3, 0.4}, 1.0);
  };
  ScriptedAssessor assessor;
  assessor.name = "below";
  assessor.rule = [](const TrialRecord& t) {
    return t.intermediate.size() >= 2 && t.intermediate.back().value < 0.5 ? Verdict::kStop : Verdict::kContinue;
  };
  ScriptedTuner tuner;
  auto result = h.Run(tuner, assessor);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);
  TrialRecord stopped = h.Trial(1);
  EXPECT_EQ(stopped.status, TrialStatus::kEarlyStopped);
  EXPECT_EQ(stopped.reason, "stopped by assessor 'below' at step 2");
  ASSERT_EQ(stopped.intermediate.size(), 2u);  // nothing after the verdict counts
  EXPECT_EQ(h.platform.kills, (std::vector<int64_t>{1}));
  EXPECT_FALSE(stopped.final_value.has_value());
  // Assessed after every intermediate value, with the finished trials as history.
  ASSERT_EQ(assessor.calls.size(), 6u);
  EXPECT_EQ(assessor.calls[4].seq, 1);
  EXPECT_EQ(assessor.calls[4].finished, 1u);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0, 1}));
}

TEST(ExperimentManagerTest, NonZeroExitFailsWithExitCodeAndStderr) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) {
    return TrialProgram{Line(1, FinalLine(0.9)), Exit(1, 3, 0, "Traceback\nValueError: bad lr")};
  };
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_EQ(t.status, TrialStatus::kFailed);
  EXPECT_EQ(t.exit_code, 3);
  EXPECT_EQ(t.reason, "exit code 3; stderr: Traceback\nValueError: bad lr");
  EXPECT_EQ(h.Meta("status"), kExpDone);  // a failed trial does not fail the experiment
}

TEST(ExperimentManagerTest, DeathBySignalFailsWithTheSignal) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) { return TrialProgram{Exit(2, 0, 9)}; };
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_EQ(t.status, TrialStatus::kFailed);
  EXPECT_EQ(t.exit_code, 128 + 9);
  EXPECT_EQ(t.reason, "killed by signal 9");
}

TEST(ExperimentManagerTest, ExitZeroWithoutFinalMetricFails) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) {
    return TrialProgram{Line(1, testing::IntermediateLine(1, 0.4)), Line(1, "done training"), Exit(2, 0)};
  };
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_EQ(t.status, TrialStatus::kFailed);
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_EQ(t.reason, "exited 0 without reporting a final metric");
  ASSERT_EQ(t.intermediate.size(), 1u);
  EXPECT_EQ(t.intermediate[0].value, 0.4);
  ASSERT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0}));  // failures are delivered too
  EXPECT_EQ(tuner.updates.back().completed[0].status, TrialStatus::kFailed);
}

TEST(ExperimentManagerTest, MalformedReportLineIsAWarningNotAFailure) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) {
    return TrialProgram{Line(1, "@hone {\"type\":\"final\"}"), Line(1, FinalLine(0.25)), Exit(1, 0)};
  };
  ScriptedTuner tuner;
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_EQ(t.status, TrialStatus::kSucceeded);
  EXPECT_EQ(t.final_value, 0.25);
  int warnings = 0;
  for (const auto& e : h.Events(0)) warnings += e.kind == "warning";
  EXPECT_EQ(warnings, 1);
}

TEST(ExperimentManagerTest, LaunchFailureFailsTheTrialAndTheExperimentGoesOn) {
  ManagerHarness h;
  h.config.max_trial_number = 3;
  h.platform.failing_launches = {1};
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  TrialRecord t = h.Trial(1);
  EXPECT_EQ(t.status, TrialStatus::kFailed);
  EXPECT_NE(t.reason.find("launch failed"), std::string::npos) << t.reason;
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);
  EXPECT_EQ(h.Trial(2).status, TrialStatus::kSucceeded);
}

TEST(ExperimentManagerTest, ExhaustedGridEndsAsNoMoreTrial) {
  ManagerHarness h;
  auto space = SearchSpace::FromJson({{"c", {{"_type", "choice"}, {"_value", {"a", "b", "c"}}}}});
  ASSERT_TRUE(space.ok());
  h.config.search_space = *space;
  h.config.max_trial_number = 10;
  h.config.trial_concurrency = 2;
  RecordingTuner tuner(BuiltinTuner("grid", h.config));
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpNoMoreTrial);
  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 3u);
  std::set<std::string> values;
  for (const auto& t : trials) values.insert(t.params["c"].get<std::string>());
  EXPECT_EQ(values, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(h.Meta("status"), kExpNoMoreTrial);
}

TEST(ExperimentManagerTest, ScriptedExhaustionAfterBudgetIsDoneNotNoMoreTrial) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  ScriptedTuner tuner;
  tuner.exhausted_after = 2;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);  // the budget ran out at the same moment: done
  EXPECT_EQ(h.platform.launches.size(), 2u);
}

TEST(ExperimentManagerTest, RecordsTimesOnTheHandClockAndThePid) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(2.5, 0.5); };
  ScriptedTuner tuner;
  const double start = h.clock.Now();
  ASSERT_TRUE(h.Run(tuner).ok());
  TrialRecord t = h.Trial(0);
  EXPECT_DOUBLE_EQ(t.created_at, start);
  EXPECT_DOUBLE_EQ(t.started_at, start);
  EXPECT_DOUBLE_EQ(t.ended_at, start + 2.5);
  EXPECT_EQ(t.pid, 10000);  // as the platform's kStarted reported it
  bool started_event = false;
  for (const auto& e : h.Events(0)) started_event |= e.kind == "started" && e.detail == "pid 10000";
  EXPECT_TRUE(started_event);
}

}  // namespace
}  // namespace hone
