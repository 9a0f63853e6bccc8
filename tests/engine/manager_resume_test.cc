// ExperimentManager resume: a second manager on the same storage replays finished trials
// into a fresh tuner once, reruns the configurations that never finished, ends what a
// dead manager left running, and duplicates nothing.
#include <set>

#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"
#include "tuners/builtin_tuners.h"

namespace hone {
namespace {

using testing::Hangs;
using testing::HandClock;
using testing::ManagerHarness;
using testing::RecordingTuner;
using testing::ScriptedAssessor;
using testing::ScriptedTuner;
using testing::Succeeds;

std::unique_ptr<Tuner> RandomTuner(const ExperimentConfig& config) {
  Registry registry;
  RegisterBuiltinTuners(registry);
  TunerContext ctx;
  ctx.space = &config.search_space;
  ctx.seed = 11;
  auto tuner = registry.FindTuner("random")->create(ctx);
  EXPECT_TRUE(tuner.ok()) << tuner.status().message();
  return std::move(*tuner);
}

TEST(ManagerResumeTest, StoppedRunResumesReplayingFinishedAndRerunningCanceled) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.config.max_trial_number = 4;
  // First run: trial 0 finishes after 1 s, everything else runs until the stop at 5 s.
  h.platform.program_for = [](const TrialLaunch& l) { return l.seq == 0 ? Succeeds(1.0, 0.3) : Hangs(); };
  const double stop_at = h.clock.Now() + 5;
  h.platform.on_poll = [&] { if (h.clock.Now() >= stop_at) h.stop_requested = true; };
  RecordingTuner first(RandomTuner(h.config));
  auto result = h.Run(first);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpStopped);
  EXPECT_EQ(h.Meta("status"), kExpStopped);
  std::vector<TrialRecord> before = h.Trials();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[0].status, TrialStatus::kSucceeded);
  for (int i : {1, 2}) {
    EXPECT_EQ(before[i].status, TrialStatus::kCanceled);
    EXPECT_EQ(before[i].reason, kReasonExperimentStopped);
  }

  // Second run: a fresh manager, tuner and platform on the same storage.
  h.stop_requested = false;
  h.platform.on_poll = nullptr;
  testing::FakePlatform platform(h.clock);
  platform.program_for = [](const TrialLaunch&) { return Succeeds(1.0, 0.6); };
  RecordingTuner second(RandomTuner(h.config));
  ScriptedAssessor none;
  ManagerOptions options{.experiment_id = "exp", .experiment_dir = h.dir.path(), .sdk_python_dir = "", .stop_requested = &h.stop_requested};
  ExperimentManager manager(h.config, options, *h.storage, platform, second, none, h.clock, nullptr);
  result = manager.Run();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);

  // The replay: one Update with the finished trial, the reruns as active.
  ASSERT_FALSE(second.updates.empty());
  const auto& replay = second.updates.front();
  ASSERT_EQ(replay.completed.size(), 1u);
  EXPECT_EQ(replay.completed[0].seq, 0);
  EXPECT_EQ(replay.completed[0].final_value, 0.3);
  ASSERT_EQ(replay.active.size(), 2u);
  EXPECT_EQ(replay.active[0].params, before[1].params);
  EXPECT_EQ(replay.active[1].params, before[2].params);
  // Each finished trial reaches the tuner exactly once.
  std::vector<int64_t> completed = second.CompletedSeqs();
  std::multiset<int64_t> once(completed.begin(), completed.end());
  for (int64_t seq : once) EXPECT_EQ(once.count(seq), 1u) << "trial " << seq;
  EXPECT_EQ(once, (std::multiset<int64_t>{0, 3, 4, 5}));

  std::vector<TrialRecord> after = h.Trials();
  ASSERT_EQ(after.size(), 6u);
  // The canceled configurations ran again first, under new seqs and their old config ids.
  EXPECT_EQ(after[3].config_id, 1);
  EXPECT_EQ(after[3].params, before[1].params);
  EXPECT_EQ(after[4].config_id, 2);
  EXPECT_EQ(after[4].params, before[2].params);
  EXPECT_EQ(after[5].config_id, 3);  // the budget's last configuration, suggested afresh
  EXPECT_EQ(second.suggested.size(), 1u);
  std::set<std::string> configs;
  for (const auto& t : after) {
    if (t.status == TrialStatus::kSucceeded) {
      EXPECT_TRUE(configs.insert(t.params.dump()).second) << t.params.dump();
    }
  }
  EXPECT_EQ(configs.size(), 4u);
  EXPECT_EQ(platform.launches.size(), 3u);
}

// What a manager that died mid-turn leaves behind: a finished trial, a running one whose
// start was recorded with its pid (the trial's pid column), and a waiting one that never started.
void WriteCrashedExperiment(ManagerHarness& h) {
  auto record = [](int64_t seq, TrialStatus status, double x) {
    TrialRecord r;
    r.seq = seq;
    r.config_id = seq;
    r.id = std::to_string(seq);
    r.status = status;
    r.params = {{"x", x}};
    r.created_at = 900;
    return r;
  };
  TrialRecord done = record(0, TrialStatus::kWaiting, 0.25);
  ASSERT_TRUE(h.storage->InsertTrial(done).ok());
  done.status = TrialStatus::kSucceeded;
  done.final_value = 0.7;
  done.final_metrics = {{"default", 0.7}};
  done.started_at = 901;
  done.ended_at = 905;
  ASSERT_TRUE(h.storage->UpdateTrial(done).ok());
  TrialRecord running = record(1, TrialStatus::kWaiting, 0.5);
  ASSERT_TRUE(h.storage->InsertTrial(running).ok());
  running.status = TrialStatus::kRunning;
  running.started_at = 906;
  running.pid = 4242;
  ASSERT_TRUE(h.storage->UpdateTrial(running).ok());
  ASSERT_TRUE(h.storage->InsertTrial(record(2, TrialStatus::kWaiting, 0.75)).ok());
  ASSERT_TRUE(h.storage->PutMeta("status", kExpRunning).ok());
  ASSERT_TRUE(h.storage->PutMeta("elapsed", "7").ok());
  ASSERT_TRUE(h.storage->Flush().ok());
}

TEST(ManagerResumeTest, TrialsOfADeadManagerAreLostReclaimedAndRerun) {
  ManagerHarness h;
  WriteCrashedExperiment(h);
  h.config.max_trial_number = 4;
  h.config.trial_concurrency = 2;
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);

  // Only the trial that had started is reclaimed, with the pid it was started under.
  ASSERT_EQ(h.platform.reclaims.size(), 1u);
  EXPECT_EQ(h.platform.reclaims[0].seq, 1);
  EXPECT_EQ(h.platform.reclaims[0].pid, 4242);
  EXPECT_EQ(h.platform.reclaims[0].trial_dir, h.dir / "trials/1");

  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 6u);
  for (int seq : {1, 2}) {
    EXPECT_EQ(trials[seq].status, TrialStatus::kLost) << seq;
    EXPECT_EQ(trials[seq].reason, kReasonManagerLost);
  }
  EXPECT_EQ(trials[0].status, TrialStatus::kSucceeded);
  EXPECT_EQ(trials[0].final_value, 0.7);  // a finished trial is never rewritten
  EXPECT_EQ(trials[3].config_id, 1);
  EXPECT_EQ(trials[3].params, trials[1].params);
  EXPECT_EQ(trials[4].config_id, 2);
  EXPECT_EQ(trials[4].params, trials[2].params);
  EXPECT_EQ(trials[5].config_id, 3);
  EXPECT_EQ(tuner.handed_out, 1);  // one new configuration fills the budget of 4

  ASSERT_FALSE(tuner.updates.empty());
  ASSERT_EQ(tuner.updates[0].completed.size(), 1u);
  EXPECT_EQ(tuner.updates[0].completed[0].seq, 0);
  EXPECT_EQ(tuner.updates[0].active.size(), 2u);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{0, 3, 4, 5}));
}

TEST(ManagerResumeTest, EarlierElapsedTimeCountsAgainstMaxExperimentDuration) {
  ManagerHarness h;
  WriteCrashedExperiment(h);  // 7 s spent before
  h.config.max_experiment_duration_s = 10;
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(2.0, 0.5); };
  ScriptedTuner tuner;
  const double start = h.clock.Now();
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  // The two reruns take 4 s in one slot: 7 + 4 > 10, so no new configuration starts.
  EXPECT_EQ(tuner.handed_out, 0);
  EXPECT_EQ(h.Trials().size(), 5u);
  EXPECT_LT(h.clock.Now() - start, 4.5);
}

TEST(ManagerResumeTest, ResumingAFinishedExperimentLaunchesNothing) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  ScriptedTuner first;
  ASSERT_TRUE(h.Run(first).ok());
  ASSERT_EQ(h.platform.launches.size(), 2u);

  testing::FakePlatform platform(h.clock);
  ScriptedTuner second;
  ScriptedAssessor none;
  ManagerOptions options{.experiment_id = "exp", .experiment_dir = h.dir.path(), .sdk_python_dir = ""};
  ExperimentManager manager(h.config, options, *h.storage, platform, second, none, h.clock, nullptr);
  auto result = manager.Run();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);
  EXPECT_TRUE(platform.launches.empty());
  EXPECT_EQ(second.handed_out, 0);
  EXPECT_EQ(second.CompletedSeqs(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(h.Trials().size(), 2u);
}

}  // namespace
}  // namespace hone
