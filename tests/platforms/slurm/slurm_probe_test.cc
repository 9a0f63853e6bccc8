// SlurmPlatform's start probe on a real single-node Slurm: Start checks the options and
// submits nothing, the first trial job carries the probe, Poll reports its failure
// clearly, and a success is remembered for its directory.
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/platforms/slurm/slurm_platform_fixture.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::FindExit;
using testing::LinesOf;
using testing::PollUntil;
using Clock = std::chrono::steady_clock;

class SlurmProbeTest : public testing::SlurmPlatformFixture {
 protected:
  bool CarriesTheProbe(int64_t seq) {
    return testing::ReadFile(dir_ / ("trials/" + std::to_string(seq) + "/job.sh")).find("hone's start probe") !=
           std::string::npos;
  }
};

size_t JobsKnown() {
  std::string out = testing::SlurmPlatformFixture::Slurm("squeue", {"-h", "--states=all", "-o", "%i"});
  return static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
}

std::string JobState(const std::string& id) {
  std::string out = testing::SlurmPlatformFixture::Slurm("squeue", {"-h", "-r", "--states=all", "--jobs=" + id, "-o", "%T"});
  return out.substr(0, out.find('\n'));
}

// Polls until Poll fails (its status) or `limit` passes (Ok); the events go to `events`.
Status PollUntilError(SlurmPlatform& slurm, std::chrono::milliseconds limit, std::vector<PlatformEvent>* events) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) HONE_RETURN_IF_ERROR(slurm.Poll(100ms, events));
  return Status::Ok();
}

// `hone run` starts and stops the platform once to check the config: that submits nothing.
TEST_F(SlurmProbeTest, StartChecksTheOptionsWithoutSubmittingAJob) {
  const size_t before = JobsKnown();
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Stop(0ms).ok());
  EXPECT_EQ(JobsKnown(), before);
  SlurmOptions o = Options();
  o.partition = "no-such-partition";
  SlurmPlatform bad(o);
  Status st = bad.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sbatch refused the job options"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("partition"), std::string::npos) << st.message();
}

TEST_F(SlurmProbeTest, StartDoesNotWaitForTheProbeAndTrialsRunMeanwhile) {
  SlurmOptions o = Options();
  o.probe_dir = dir_ / "not-there";  // it fails, but only exit_file_grace after the job ran
  o.exit_file_grace = 30s;
  SlurmPlatform slurm(o);
  const auto start = Clock::now();
  ASSERT_TRUE(slurm.Start().ok());
  EXPECT_LT(Clock::now() - start, 2s) << "Start waited for the probe";
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo meanwhile")).ok());
  auto events = PollUntil(slurm, testing::ExitedSeq(1), 15s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(FindExit(events, 1)->exit_code, 0) << FindExit(events, 1)->stderr_tail;
  EXPECT_EQ(LinesOf(events, 1), std::vector<std::string>{"meanwhile"});
  EXPECT_TRUE(CarriesTheProbe(1));
}

TEST_F(SlurmProbeTest, PollFailsClearlyWhenComputeNodesCannotSeeTheDirectory) {
  SlurmOptions o = Options();
  o.probe_dir = dir_ / "not-there";
  o.exit_file_grace = 200ms;
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "sleep 60")).ok());
  std::vector<PlatformEvent> events;
  Status st = PollUntilError(slurm, 20s, &events);
  ASSERT_FALSE(st.ok()) << "the probe's failure never came";
  EXPECT_NE(st.message().find("the probe job"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("(trial 1) is RUNNING without writing"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("shared filesystem"), std::string::npos) << st.message();
  EXPECT_EQ(slurm.Poll(1ms, &events).message(), st.message()) << "the failure is not sticky";
  EXPECT_EQ(slurm.Capacity(), 0);
  EXPECT_EQ(slurm.Launch(Trial(2, "true")).message(), st.message());
  // What the manager does then: Stop ends the trial already submitted.
  ASSERT_TRUE(slurm.Stop(0ms).ok());
  ASSERT_TRUE(slurm.Poll(0ms, &events).ok());
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_NE(FindExit(events, 1)->signal, 0);
}

TEST_F(SlurmProbeTest, ACarrierNotRunningWithinProbeTimeoutFailsPoll) {
  SlurmOptions o = Options();
  o.sbatch_args = {"--begin=now+600"};  // held by Slurm: the job stays pending
  o.probe_timeout = 1500ms;
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "true")).ok());
  std::vector<PlatformEvent> events;
  Status st = PollUntilError(slurm, 15s, &events);
  ASSERT_FALSE(st.ok()) << "the probe's timeout never came";
  EXPECT_NE(st.message().find("(trial 1) is still PENDING"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("trainingService.probeTimeout"), std::string::npos) << st.message();
  const std::string rest = st.message().substr(st.message().find("the probe job ") + 14);
  const std::string id = rest.substr(0, rest.find(' '));
  ASSERT_TRUE(slurm.Stop(0ms).ok());
  EXPECT_EQ(JobState(id), "CANCELLED") << id;
}

// `hone run` starts the platform to check the config and again for the manager.
TEST_F(SlurmProbeTest, ASuccessfulProbeIsRememberedForItsDirectory) {
  const std::filesystem::path marker = dir_ / ".hone-slurm-probe-ok";
  std::vector<PlatformEvent> events;
  SlurmPlatform first(Options());
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(first.Launch(Trial(1, "true")).ok());
  PollUntil(first, [&](const auto&) { return std::filesystem::exists(marker); }, 15s);
  ASSERT_TRUE(std::filesystem::exists(marker)) << "the probe did not succeed";
  EXPECT_TRUE(CarriesTheProbe(1));
  SlurmPlatform second(Options());
  ASSERT_TRUE(second.Start().ok());
  ASSERT_TRUE(second.Launch(Trial(2, "true")).ok());
  ASSERT_TRUE(second.Poll(1ms, &events).ok());  // submits it
  EXPECT_FALSE(CarriesTheProbe(2)) << "the second platform probed again";
  SlurmOptions other = Options();
  other.sbatch_args = {"--comment=other"};  // other options may reach other nodes: probe again
  SlurmPlatform third(other);
  ASSERT_TRUE(third.Start().ok());
  ASSERT_TRUE(third.Launch(Trial(3, "true")).ok());
  ASSERT_TRUE(third.Poll(1ms, &events).ok());
  EXPECT_TRUE(CarriesTheProbe(3));
}

// A carrier cancelled before it ran proves nothing: the next job carries the probe.
TEST_F(SlurmProbeTest, ACancelledCarrierPassesTheProbeOn) {
  SlurmOptions o = Options();
  o.exit_file_grace = 200ms;
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "sleep 60")).ok());
  ASSERT_TRUE(slurm.Kill(1).ok());  // submits it, then scancel
  auto events = PollUntil(slurm, testing::ExitedSeq(1), 15s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  PollUntil(slurm, [](const auto&) { return false; }, 1s);  // past exit_file_grace
  ASSERT_TRUE(slurm.Launch(Trial(2, "echo ok")).ok());
  events = PollUntil(slurm, testing::ExitedSeq(2), 15s);
  ASSERT_NE(FindExit(events, 2), nullptr);
  EXPECT_EQ(FindExit(events, 2)->exit_code, 0);
  EXPECT_TRUE(CarriesTheProbe(2));
  ASSERT_TRUE(slurm.Stop(0ms).ok());  // sees the token if no Poll did
  EXPECT_TRUE(std::filesystem::exists(dir_ / ".hone-slurm-probe-ok"));
}

}  // namespace
}  // namespace hone
