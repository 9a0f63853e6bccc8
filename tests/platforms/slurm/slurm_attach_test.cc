// SlurmPlatform::Attach on a real single-node Slurm: a later platform takes back the jobs
// an earlier one abandoned (as a manager that dies does): running, ended while away,
// pending (held), and the cases it must refuse.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/platforms/slurm/slurm_platform_fixture.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::FindExit;
using testing::LinesOf;
using testing::PollUntil;
using Kind = PlatformEvent::Kind;

class SlurmAttachTest : public testing::SlurmPlatformFixture {
 protected:
  SlurmOptions Later() {  // a later manager's platform: the probe ran already
    SlurmOptions o = Options();
    o.probe_dir = "";
    return o;
  }
};

int Count(const std::vector<PlatformEvent>& events, Kind kind, int64_t seq) {
  int n = 0;
  for (const auto& e : events) n += e.kind == kind && e.seq == seq;
  return n;
}

int64_t StartedPid(const std::vector<PlatformEvent>& events, int64_t seq) {
  for (const auto& e : events)
    if (e.kind == Kind::kStarted && e.seq == seq) return e.pid;
  return -1;
}

TEST_F(SlurmAttachTest, TakesBackARunningJobWithItsWholeOutput) {
  const std::string command = "echo one; echo two; sleep 2; echo three; exit 3";
  auto a = std::make_unique<SlurmPlatform>(Later());
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(a->Launch(Trial(1, command)).ok());
  auto seen = PollUntil(*a, [](const auto& ev) { return LinesOf(ev, 1).size() >= 2; }, 15s);
  ASSERT_EQ(LinesOf(seen, 1), (std::vector<std::string>{"one", "two"}));
  const int64_t pid = StartedPid(seen, 1);
  ASSERT_EQ(std::to_string(pid), JobIdOf(1));
  a->AbandonJobs();
  a.reset();  // the job must outlive the platform that launched it

  SlurmPlatform b(Later());
  ASSERT_TRUE(b.Start().ok());
  auto attached = b.Attach(Trial(1, command), pid);
  ASSERT_TRUE(attached.ok()) << attached.status().message();
  ASSERT_TRUE(*attached);
  EXPECT_EQ(b.Capacity(), Later().max_concurrent_jobs - 1);
  auto events = PollUntil(b, testing::ExitedSeq(1), 15s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(FindExit(events, 1)->exit_code, 3);
  EXPECT_FALSE(FindExit(events, 1)->platform_failure);
  EXPECT_EQ(StartedPid(events, 1), pid);
  EXPECT_EQ(Count(events, Kind::kStarted, 1), 1);
  EXPECT_EQ(Count(events, Kind::kExited, 1), 1);
  EXPECT_EQ(LinesOf(events, 1), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(events.front().kind, Kind::kStarted);
}

TEST_F(SlurmAttachTest, TakesBackAJobThatEndedWhileNobodyWatched) {
  const std::string command = "echo done early; exit 5";
  auto a = std::make_unique<SlurmPlatform>(Later());
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(a->Launch(Trial(1, command)).ok());
  std::vector<PlatformEvent> ignored;
  ASSERT_TRUE(a->Poll(1ms, &ignored).ok());  // submits it
  const std::string job = JobIdOf(1);
  ASSERT_FALSE(job.empty());
  a->AbandonJobs();
  a.reset();
  const std::string exit_file = dir_ / "trials/1/exit_status";
  for (int i = 0; i < 150 && !std::filesystem::exists(exit_file); ++i) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(std::filesystem::exists(exit_file));

  SlurmPlatform b(Later());
  ASSERT_TRUE(b.Start().ok());
  auto attached = b.Attach(Trial(1, command), 0);  // the dead manager never saw it start
  ASSERT_TRUE(attached.ok() && *attached);
  auto events = PollUntil(b, testing::ExitedSeq(1), 10s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(FindExit(events, 1)->exit_code, 5);
  EXPECT_EQ(std::to_string(StartedPid(events, 1)), job);
  EXPECT_EQ(LinesOf(events, 1), std::vector<std::string>{"done early"});
  EXPECT_EQ(Count(events, Kind::kExited, 1), 1);
}

TEST_F(SlurmAttachTest, APendingJobIsTakenBackAsWaitingWithItsReason) {
  SlurmOptions held = Later();
  held.sbatch_args = {"--hold"};  // pending (JobHeldUser) until scontrol release
  auto a = std::make_unique<SlurmPlatform>(held);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(a->Launch(Trial(1, "echo released")).ok());
  std::vector<PlatformEvent> ignored;
  ASSERT_TRUE(a->Poll(1ms, &ignored).ok());
  const std::string job = JobIdOf(1);
  a->AbandonJobs();
  a.reset();

  SlurmPlatform b(Later());
  ASSERT_TRUE(b.Start().ok());
  auto attached = b.Attach(Trial(1, "echo released"), 0);
  ASSERT_TRUE(attached.ok() && *attached);
  auto events = PollUntil(b, [](const auto& ev) { return Count(ev, Kind::kWaiting, 1) > 0; }, 5s);
  ASSERT_EQ(Count(events, Kind::kWaiting, 1), 1);
  EXPECT_NE(events.back().line.find("JobHeldUser"), std::string::npos) << events.back().line;
  EXPECT_EQ(Count(events, Kind::kStarted, 1), 0);
  Slurm("scontrol", {"release", job});
  auto rest = PollUntil(b, testing::ExitedSeq(1), 15s);
  ASSERT_NE(FindExit(rest, 1), nullptr);
  EXPECT_EQ(FindExit(rest, 1)->exit_code, 0);
  EXPECT_EQ(std::to_string(StartedPid(rest, 1)), job);
  EXPECT_EQ(LinesOf(rest, 1), std::vector<std::string>{"released"});
}

// Slurm forgets ended jobs after MinJobAge; what the job left in its directory is enough.
TEST_F(SlurmAttachTest, AJobSlurmForgotIsTakenBackFromItsExitStatus) {
  SlurmPlatform b(Later());
  ASSERT_TRUE(b.Start().ok());
  TrialLaunch l = Trial(3, "true");
  std::filesystem::create_directories(l.trial_dir);
  testing::WriteFile(l.trial_dir + "/slurm_job_id", "987654\n");
  testing::WriteFile(l.trial_dir + "/stdout.log", "first\nlast\n");
  testing::WriteFile(l.trial_dir + "/exit_status", "0\n");
  auto attached = b.Attach(l, 987654);
  ASSERT_TRUE(attached.ok() && *attached);
  auto events = PollUntil(b, testing::ExitedSeq(3), 5s);
  ASSERT_NE(FindExit(events, 3), nullptr);
  EXPECT_EQ(FindExit(events, 3)->exit_code, 0);
  EXPECT_EQ(StartedPid(events, 3), 987654);
  EXPECT_EQ(LinesOf(events, 3), (std::vector<std::string>{"first", "last"}));
}

TEST_F(SlurmAttachTest, RefusesWhatItCannotTakeBack) {
  SlurmPlatform b(Later());
  ASSERT_TRUE(b.Start().ok());
  TrialLaunch l = Trial(4, "true");
  auto none = b.Attach(l, 0);  // never submitted: no slurm_job_id
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  std::filesystem::create_directories(l.trial_dir);
  testing::WriteFile(l.trial_dir + "/slurm_job_id", "987653\n");
  auto unknown = b.Attach(l, 987653);  // Slurm does not know it and it left no exit status
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(*unknown);
  testing::WriteFile(l.trial_dir + "/exit_status", "0\n");
  auto other = b.Attach(l, 12);  // the dead manager saw another job for this trial
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);
  std::vector<PlatformEvent> events;
  ASSERT_TRUE(b.Poll(300ms, &events).ok());
  EXPECT_TRUE(events.empty());
}

// The node of a running job fails: the trial ends as the platform's failure, not its own.
TEST_F(SlurmAttachTest, ANodeFailureEndsTheTrialAsAPlatformFailure) {
  SlurmPlatform slurm(Later());
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo up; sleep 30")).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return !LinesOf(ev, 1).empty(); }, 15s);
  ASSERT_FALSE(LinesOf(events, 1).empty());
  Slurm("scontrol", {"update", "nodename=localhost", "state=down", "reason=hone-test"});
  auto rest = PollUntil(slurm, testing::ExitedSeq(1), 15s);
  Slurm("scontrol", {"update", "nodename=localhost", "state=resume"});
  const PlatformEvent* exit = FindExit(rest, 1);
  ASSERT_NE(exit, nullptr);
  EXPECT_TRUE(exit->platform_failure);
  EXPECT_NE(exit->stderr_tail.find("NODE_FAIL"), std::string::npos) << exit->stderr_tail;
}

}  // namespace
}  // namespace hone
