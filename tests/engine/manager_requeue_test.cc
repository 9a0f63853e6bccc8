// ExperimentManager and platform failures: a trial the platform lost (its host went away)
// is recorded failed and its configuration runs again, up to maxTrialRetries; on resume,
// trials the platform can take back are re-attached instead of rerun.
#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"

namespace hone {
namespace {

using testing::Exit;
using testing::FinalLine;
using testing::IntermediateLine;
using testing::Line;
using testing::LostByPlatform;
using testing::ManagerHarness;
using testing::ScriptedTuner;
using testing::Succeeds;
using testing::TrialProgram;

bool Requeued(const TrialRecord& t) { return t.reason.rfind(kReasonRequeued, 0) == 0; }

bool HasEvent(ManagerHarness& h, int64_t seq, const std::string& kind) {
  for (const auto& e : h.Events(seq))
    if (e.kind == kind) return true;
  return false;
}

TEST(ManagerRequeueTest, APlatformLossRunsTheConfigurationAgainAndTheTunerSeesOnlyTheRerun) {
  ManagerHarness h;
  h.config.max_trial_number = 2;
  h.platform.program_for = [](const TrialLaunch& l) -> TrialProgram {
    if (l.seq == 0) return {LostByPlatform(1.0, "host gpu2 unreachable (3 polls failed)")};
    return Succeeds(1.0, 0.4);
  };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);

  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].status, TrialStatus::kFailed);
  EXPECT_TRUE(Requeued(trials[0])) << trials[0].reason;
  EXPECT_NE(trials[0].reason.find("host gpu2 unreachable"), std::string::npos) << trials[0].reason;
  EXPECT_TRUE(HasEvent(h, 0, "requeued"));
  // The configuration ran again with the same parameters; the budget counts configurations.
  int reruns = 0;
  for (size_t i = 1; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].status, TrialStatus::kSucceeded) << i;
    if (trials[i].config_id == trials[0].config_id) {
      ++reruns;
      EXPECT_EQ(trials[i].params, trials[0].params);
    }
  }
  EXPECT_EQ(reruns, 1);
  EXPECT_EQ(tuner.handed_out, 2);
  for (int64_t seq : tuner.CompletedSeqs()) EXPECT_NE(seq, 0) << "the lost run reached the tuner";
}

TEST(ManagerRequeueTest, RetriesStopAtMaxTrialRetriesAndTheLastLossIsAnOrdinaryFailure) {
  ManagerHarness h;
  h.config.max_trial_number = 1;
  h.config.max_trial_retries = 2;
  h.config.fail_fast = 0;
  h.platform.program_for = [](const TrialLaunch&) -> TrialProgram {
    return {LostByPlatform(1.0, "node n1 failed")};
  };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();

  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 3u);  // the first run and two retries
  EXPECT_TRUE(Requeued(trials[0]));
  EXPECT_TRUE(Requeued(trials[1]));
  EXPECT_EQ(trials[2].status, TrialStatus::kFailed);
  EXPECT_FALSE(Requeued(trials[2]));
  EXPECT_EQ(trials[2].reason, "node n1 failed");
  for (const auto& t : trials) EXPECT_EQ(t.config_id, 0);
  EXPECT_EQ(tuner.CompletedSeqs(), (std::vector<int64_t>{2}));
}

// A dead manager left trial 0 running (pid 4242, two intermediate results stored) and
// trial 1 failed after a platform loss that the manager had not yet run again.
void WriteCrashedRun(ManagerHarness& h) {
  TrialRecord running;
  running.seq = 0;
  running.id = "0";
  running.config_id = 0;
  running.params = {{"x", 0.25}};
  running.status = TrialStatus::kWaiting;
  running.created_at = 900;
  ASSERT_TRUE(h.storage->InsertTrial(running).ok());
  running.status = TrialStatus::kRunning;
  running.started_at = 901;
  running.pid = 4242;
  ASSERT_TRUE(h.storage->UpdateTrial(running).ok());
  ASSERT_TRUE(h.storage->AppendIntermediate(0, 1, 0.1, "{}").ok());
  ASSERT_TRUE(h.storage->AppendIntermediate(0, 2, 0.2, "{}").ok());
  TrialRecord lost;
  lost.seq = 1;
  lost.id = "1";
  lost.config_id = 1;
  lost.params = {{"x", 0.75}};
  lost.status = TrialStatus::kWaiting;
  lost.created_at = 902;
  ASSERT_TRUE(h.storage->InsertTrial(lost).ok());
  lost.status = TrialStatus::kFailed;
  lost.reason = std::string(kReasonRequeued) + "host h2 unreachable";
  lost.ended_at = 903;
  ASSERT_TRUE(h.storage->UpdateTrial(lost).ok());
  ASSERT_TRUE(h.storage->PutMeta("status", kExpRunning).ok());
  ASSERT_TRUE(h.storage->Flush().ok());
}

TEST(ManagerRequeueTest, ResumeReattachesARunningTrialAndRerunsARequeuedConfiguration) {
  ManagerHarness h;
  WriteCrashedRun(h);
  h.config.max_trial_number = 2;
  h.config.trial_concurrency = 2;
  // The platform still has trial 0: its whole stdout again, then one more epoch.
  h.platform.attach_program = [](const TrialLaunch& l, int64_t pid) -> std::optional<TrialProgram> {
    if (l.seq != 0 || pid != 4242) return std::nullopt;
    return TrialProgram{Line(0, IntermediateLine(1, 0.1)), Line(0, IntermediateLine(2, 0.2)),
                        Line(1, IntermediateLine(3, 0.3)), Line(1, FinalLine(0.3)), Exit(1, 0)};
  };
  h.platform.program_for = [](const TrialLaunch&) { return Succeeds(1.0, 0.9); };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(*result, kExpDone);

  ASSERT_EQ(h.platform.attaches.size(), 1u);  // only trial 0 was waiting or running
  EXPECT_TRUE(h.platform.reclaims.empty());
  std::vector<TrialRecord> trials = h.Trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].status, TrialStatus::kSucceeded);
  EXPECT_EQ(trials[0].pid, 4242);
  EXPECT_EQ(trials[0].started_at, 901);  // the same run, not a new one
  ASSERT_EQ(trials[0].intermediate.size(), 3u);  // the repeated two are not stored again
  EXPECT_EQ(trials[0].intermediate[2].value, 0.3);
  EXPECT_TRUE(HasEvent(h, 0, "attached"));
  EXPECT_TRUE(HasEvent(h, 0, "reattached"));
  // The requeued configuration runs again; nothing new is asked of the tuner.
  EXPECT_EQ(trials[2].config_id, 1);
  EXPECT_EQ(trials[2].params, trials[1].params);
  EXPECT_EQ(trials[2].status, TrialStatus::kSucceeded);
  EXPECT_EQ(tuner.handed_out, 0);
  for (int64_t seq : tuner.CompletedSeqs()) EXPECT_NE(seq, 1);
}

TEST(ManagerRequeueTest, ATrialThePlatformCannotTakeBackIsReclaimedAndRerun) {
  ManagerHarness h;
  WriteCrashedRun(h);
  h.config.max_trial_number = 2;
  h.platform.attach_program = [](const TrialLaunch&, int64_t) -> std::optional<TrialProgram> { return std::nullopt; };
  ScriptedTuner tuner;
  auto result = h.Run(tuner);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(h.platform.reclaims.size(), 1u);
  EXPECT_EQ(h.platform.reclaims[0].pid, 4242);
  std::vector<TrialRecord> trials = h.Trials();
  EXPECT_EQ(trials[0].status, TrialStatus::kLost);
  EXPECT_EQ(trials.size(), 4u);  // configurations 0 and 1 both run again
}

}  // namespace
}  // namespace hone
