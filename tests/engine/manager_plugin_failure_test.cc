// A tuner or assessor that throws, reports a fault or answers outside its contract ends
// ExperimentManager::Run with an error naming the plugin, the experiment recorded as
// failed, and no trial left running.
#include <gtest/gtest.h>

#include "core/experiment_status.h"
#include "engine/experiment_manager.h"
#include "tests/engine/manager_test_util.h"

namespace hone {
namespace {

using testing::Curve;
using testing::Hangs;
using testing::ManagerHarness;
using testing::ScriptedAssessor;
using testing::ScriptedTuner;

// Runs and checks the common outcome: an error that names `plugin` and holds `detail`,
// meta status "failed" with the error, and every trial in a terminal status.
void ExpectFailedRun(ManagerHarness& h, Tuner& tuner, Assessor& assessor, const std::string& plugin,
                     const std::string& detail) {
  auto result = h.Run(tuner, assessor);
  ASSERT_FALSE(result.ok()) << "ended as " << *result;
  const std::string message = result.status().message();
  EXPECT_NE(message.find(plugin), std::string::npos) << message;
  EXPECT_NE(message.find(detail), std::string::npos) << message;
  EXPECT_EQ(h.Meta("status"), kExpFailed);
  EXPECT_NE(h.Meta("error").find(plugin), std::string::npos) << h.Meta("error");
  for (const auto& t : h.Trials()) EXPECT_TRUE(IsTerminal(t.status)) << "trial " << t.seq << " left " << TrialStatusName(t.status);
  EXPECT_EQ(h.platform.live(), 0);
}

TEST(ManagerPluginFailureTest, TunerUpdateThrowingAfterATrialFinishes) {
  ManagerHarness h;
  h.config.trial_concurrency = 2;
  h.platform.program_for = [](const TrialLaunch& l) { return l.seq == 0 ? testing::Succeeds(1.0, 0.5) : Hangs(); };
  ScriptedTuner tuner;
  tuner.name = "boom";
  tuner.update_throws = true;
  ScriptedAssessor assessor;
  ExpectFailedRun(h, tuner, assessor, "tuner 'boom'", "update exploded");
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kSucceeded);  // recorded before the tuner heard of it
  EXPECT_EQ(h.Trial(1).status, TrialStatus::kCanceled);
}

// Tuners that fail before any trial could start: the first Update comes during Recover
// (the replay, empty on a fresh experiment), then Suggest.
TEST(ManagerPluginFailureTest, TunerFailingBeforeAnyLaunch) {
  struct Case {
    const char* name;
    void (*misbehave)(ScriptedTuner&);
    const char* detail;
  };
  const Case cases[] = {
      {"boom", [](ScriptedTuner& t) { t.suggest_throws = true; }, "suggest exploded"},
      {"boom", [](ScriptedTuner& t) { t.update_throws_always = true; }, "update exploded"},
      {"arrays", [](ScriptedTuner& t) { t.suggests_non_object = true; }, "not an object"},
      {"wild", [](ScriptedTuner& t) { t.suggests_outside_space = true; }, "outside the search space"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.detail);
    ManagerHarness h;
    ScriptedTuner tuner;
    tuner.name = c.name;
    c.misbehave(tuner);
    ScriptedAssessor assessor;
    ExpectFailedRun(h, tuner, assessor, std::string("tuner '") + c.name + "'", c.detail);
    EXPECT_TRUE(h.platform.launches.empty());
  }
}

TEST(ManagerPluginFailureTest, TunerReportingAFault) {
  ManagerHarness h;
  h.config.max_trial_number = 3;
  ScriptedTuner tuner;
  tuner.name = "plugin";
  tuner.fault = "plugin process exited with code 1";
  tuner.fault_after_suggests = 1;
  ScriptedAssessor assessor;
  ExpectFailedRun(h, tuner, assessor, "tuner 'plugin'", "exited with code 1");
}

TEST(ManagerPluginFailureTest, AssessorThrowing) {
  ManagerHarness h;
  h.platform.program_for = [](const TrialLaunch&) { return Curve({0.1, 0.2, 0.3}, 1.0); };
  ScriptedTuner tuner;
  ScriptedAssessor assessor;
  assessor.name = "fragile";
  assessor.throws = true;
  ExpectFailedRun(h, tuner, assessor, "assessor 'fragile'", "assess exploded");
  EXPECT_EQ(h.Trial(0).status, TrialStatus::kCanceled);
  EXPECT_EQ(h.platform.kills, (std::vector<int64_t>{0}));
}

TEST(ManagerPluginFailureTest, AssessorReportingAFault) {
  ManagerHarness h;
  h.platform.program_for = [](const TrialLaunch&) { return Curve({0.1, 0.2, 0.3}, 1.0); };
  ScriptedTuner tuner;
  ScriptedAssessor assessor;
  assessor.name = "remote";
  assessor.fault = "answered 'maybe' to assess";
  ExpectFailedRun(h, tuner, assessor, "assessor 'remote'", "answered 'maybe'");
  EXPECT_EQ(assessor.calls.size(), 1u);  // checked right after the first call
}

}  // namespace
}  // namespace hone
