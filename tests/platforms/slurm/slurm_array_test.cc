// SlurmPlatform's submissions on a real single-node Slurm: trials launched in one manager
// turn go as one job array, one alone as a plain job.
#include <signal.h>

#include <set>

#include <gtest/gtest.h>

#include "tests/platforms/slurm/slurm_platform_fixture.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::FindExit;
using testing::LinesOf;
using testing::PollUntil;
using Kind = PlatformEvent::Kind;

class SlurmArrayTest : public testing::SlurmPlatformFixture {};

bool AllExited(const std::vector<PlatformEvent>& events, std::initializer_list<int64_t> seqs) {
  for (int64_t seq : seqs)
    if (!FindExit(events, seq)) return false;
  return true;
}

TEST_F(SlurmArrayTest, TrialsLaunchedTogetherAreOneJobArray) {
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  for (int64_t seq : {1, 2, 3})
    ASSERT_TRUE(slurm.Launch(Trial(seq, "echo trial $HONE_TRIAL_DIR; echo job $SLURM_JOB_ID; exit " +
                                            std::to_string(seq))).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return AllExited(ev, {1, 2, 3}); }, 20s);
  ASSERT_TRUE(AllExited(events, {1, 2, 3}));
  const std::string array = JobIdOf(1).substr(0, JobIdOf(1).find('_'));
  std::set<int64_t> pids;
  for (int64_t seq : {1, 2, 3}) {
    const std::string dir = dir_ / ("trials/" + std::to_string(seq));
    EXPECT_EQ(JobIdOf(seq), array + "_" + std::to_string(seq - 1));
    EXPECT_EQ(FindExit(events, seq)->exit_code, seq);
    int64_t pid = 0;
    for (const auto& e : events)
      if (e.kind == Kind::kStarted && e.seq == seq) pid = e.pid;
    pids.insert(pid);
    // kStarted's pid is the task's own job id, the one the job itself sees.
    EXPECT_EQ(LinesOf(events, seq), (std::vector<std::string>{"trial " + dir, "job " + std::to_string(pid)}));
    EXPECT_EQ(testing::ReadFile(dir + "/slurm_job_id"), JobIdOf(seq) + "\n" + std::to_string(pid) + "\n");
  }
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(pids.count(0), 0u);
}

TEST_F(SlurmArrayTest, KillCancelsOneTaskOfTheArray) {
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  for (int64_t seq : {1, 2, 3}) ASSERT_TRUE(slurm.Launch(Trial(seq, "echo up; sleep 30")).ok());
  auto events = PollUntil(slurm, [](const auto& ev) {
    return LinesOf(ev, 1).size() + LinesOf(ev, 2).size() + LinesOf(ev, 3).size() == 3;
  }, 20s);
  ASSERT_EQ(LinesOf(events, 2), std::vector<std::string>{"up"});
  ASSERT_TRUE(slurm.Kill(2).ok());
  auto rest = PollUntil(slurm, testing::ExitedSeq(2), 10s);
  ASSERT_NE(FindExit(rest, 2), nullptr);
  EXPECT_EQ(FindExit(rest, 2)->signal, SIGTERM);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(slurm.Poll(200ms, &rest).ok());
  EXPECT_EQ(FindExit(rest, 1), nullptr) << "killing one task ended another";
  EXPECT_EQ(FindExit(rest, 3), nullptr) << "killing one task ended another";
  ASSERT_TRUE(slurm.Stop(1s).ok());
}

TEST_F(SlurmArrayTest, OneTrialAloneIsAPlainJobAndQueuedTrialsCanBeKilled) {
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo alone")).ok());
  auto events = PollUntil(slurm, testing::ExitedSeq(1), 10s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(JobIdOf(1).find('_'), std::string::npos) << JobIdOf(1);
  // Killed before the Poll that would submit it.
  ASSERT_TRUE(slurm.Launch(Trial(2, "sleep 30")).ok());
  ASSERT_TRUE(slurm.Kill(2).ok());
  auto killed = PollUntil(slurm, testing::ExitedSeq(2), 10s);
  ASSERT_NE(FindExit(killed, 2), nullptr);
  EXPECT_EQ(FindExit(killed, 2)->signal, SIGTERM);
  // Stopped before it: never submitted, still one kExited.
  ASSERT_TRUE(slurm.Launch(Trial(3, "sleep 30")).ok());
  ASSERT_TRUE(slurm.Stop(1s).ok());
  std::vector<PlatformEvent> stopped;
  ASSERT_TRUE(slurm.Poll(1ms, &stopped).ok());
  ASSERT_NE(FindExit(stopped, 3), nullptr);
  EXPECT_TRUE(JobIdOf(3).empty());
}

TEST_F(SlurmArrayTest, SbatchRefusingAnArrayEndsEachOfItsTrials) {
  SlurmOptions o = Options();
  o.probe_dir = "";
  o.sbatch_args = {"--partition=no-such-partition"};
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "true")).ok());
  ASSERT_TRUE(slurm.Launch(Trial(2, "true")).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return AllExited(ev, {1, 2}); }, 10s);
  ASSERT_TRUE(AllExited(events, {1, 2}));
  EXPECT_EQ(FindExit(events, 2)->exit_code, 1);
  EXPECT_FALSE(FindExit(events, 2)->platform_failure);
  EXPECT_NE(FindExit(events, 2)->stderr_tail.find("launch failed: sbatch"), std::string::npos)
      << FindExit(events, 2)->stderr_tail;
  EXPECT_EQ(slurm.Capacity(), o.max_concurrent_jobs);
}

// A cluster that refuses arrays this large (MaxArraySize) still runs every trial, one job each.
TEST_F(SlurmArrayTest, WhereSbatchRefusesTheArrayEachTrialIsItsOwnJob) {
  testing::SlurmTestCluster small({"MaxArraySize=2"});  // task ids 0 and 1 only
  ASSERT_TRUE(small.ok()) << small.error();
  SlurmOptions o = Options();
  o.probe_dir = "";
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  for (int64_t seq : {1, 2, 3}) ASSERT_TRUE(slurm.Launch(Trial(seq, "echo alone " + std::to_string(seq))).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return AllExited(ev, {1, 2, 3}); }, 20s);
  ASSERT_TRUE(AllExited(events, {1, 2, 3}));
  for (int64_t seq : {1, 2, 3}) {
    EXPECT_EQ(FindExit(events, seq)->exit_code, 0) << FindExit(events, seq)->stderr_tail;
    EXPECT_EQ(LinesOf(events, seq), std::vector<std::string>{"alone " + std::to_string(seq)});
    EXPECT_EQ(JobIdOf(seq).find('_'), std::string::npos) << JobIdOf(seq);
  }
}

}  // namespace
}  // namespace hone
