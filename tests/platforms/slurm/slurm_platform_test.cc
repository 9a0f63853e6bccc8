// The slurm platform: its config keys and Slurm text formats (unit), and a real
// single-node Slurm (SlurmTestCluster): parameters reach the job, pending reasons, jobs
// ended outside hone, and sbatch missing (the start probe: slurm_probe_test.cc).
#include "platforms/slurm/slurm_platform.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "core/config_reader.h"
#include "platforms/builtin_platforms.h"
#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/slurm/slurm_platform_fixture.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::FindExit;
using testing::LinesOf;
using testing::PollUntil;
using testing::TempDir;

StatusOr<ExperimentConfig> Parse(const std::string& service) {
  Registry registry;
  RegisterBuiltinPlatforms(registry);
  return ParseExperimentConfig("trialConcurrency: 1\nsearchSpace:\n  x: {_type: uniform, _value: [0, 1]}\ntrialCommand: 'true'\n"
                               "trainingService:\n  platform: slurm\n" + service,
                               "exp.yml", "/tmp", registry);
}

TEST(SlurmConfigTest, ReadsEveryKeyInAnySpelling) {
  auto config = Parse("  partition: gpu\n  account: proj\n  time_limit: '1:00:00'\n  CpusPerTask: 4\n"
                      "  memory: 8G\n  gpusPerTask: 2\n  sbatchArgs: [--qos=short, --exclusive]\n"
                      "  pollInterval: 0.5\n  maxConcurrentJobs: 3\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  SlurmOptions o = SlurmOptionsFromConfig(*config, "/usr/bin");
  EXPECT_EQ(o.partition, "gpu");
  EXPECT_EQ(o.time_limit, "1:00:00");
  EXPECT_EQ(o.cpus_per_task, 4);
  EXPECT_EQ(o.poll_interval, 500ms);
  EXPECT_EQ(o.max_concurrent_jobs, 3);
  EXPECT_EQ(SbatchArguments(o, "hone-1", "/d", "/d/slurm.out", "/d/job.sh"),
            (std::vector<std::string>{"--parsable", "--job-name=hone-1", "--chdir=/d", "--output=/d/slurm.out",
                                      "--open-mode=append", "--no-requeue", "--partition=gpu", "--account=proj", "--time=1:00:00",
                                      "--cpus-per-task=4", "--mem=8G", "--gres=gpu:2", "--qos=short",
                                      "--exclusive", "/d/job.sh"}));
}

TEST(SlurmConfigTest, BadKeysAreReportedAtTheirPlace) {
  auto config = Parse("  partitoin: gpu\n  timeLimit: soon\n  memory: lots\n  sbatchArgs: --qos=short\n");
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find("exp.yml:7:3: error: trainingService.partitoin"), std::string::npos) << m;
  EXPECT_NE(m.find("partition"), std::string::npos) << m;    // did you mean
  EXPECT_NE(m.find("exp.yml:8:14: error: trainingService.timeLimit"), std::string::npos) << m;
  EXPECT_NE(m.find("exp.yml:9:11: error: trainingService.memory"), std::string::npos) << m;
  EXPECT_NE(m.find("exp.yml:10:15: error: trainingService.sbatchArgs"), std::string::npos) << m;
}

TEST(SlurmTextTest, ParsesSqueueAndScontrol) {
  auto jobs = ParseSqueue("12|PENDING|Resources\n13|RUNNING|None\ngarbage\n");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs["12"].reason, "Resources");
  EXPECT_EQ(jobs["13"].state, "RUNNING");
  jobs = ParseSqueue("7_2|9|RUNNING|None\n7_3|7|PENDING|JobHeldUser\n");  // -r -o kSqueueFormat
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs["7_2"].job_id, "9");
  EXPECT_EQ(jobs["7_3"].reason, "JobHeldUser");
  EXPECT_EQ(ParseSlurmJobIds("7_2\n9\n").job_id, "9");
  EXPECT_EQ(ParseSlurmJobIds("7_2\n").job_id, "");
  EXPECT_EQ(ParseSlurmJobIds("12\n").job_id, "12");
  auto end = ParseScontrolJob("JobId=3 JobName=wrap JobState=CANCELLED Reason=None ExitCode=0:15 RunTime=1");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, "CANCELLED");
  EXPECT_EQ(end->signal, 15);
  EXPECT_FALSE(ParseScontrolJob("slurm_load_jobs error: Invalid job id specified").has_value());
  EXPECT_TRUE(IsTerminalSlurmState("TIMEOUT"));
  EXPECT_FALSE(IsTerminalSlurmState("COMPLETING"));
  EXPECT_FALSE(HasStartedSlurmState("PENDING"));
}

// The batch script itself, run by bash here: quoting, environment, logs, exit status.
TEST(SlurmTextTest, BatchScriptRunsTheCommandWithItsEnvironment) {
  TempDir dir;
  TrialLaunch l;
  l.seq = 1;
  l.trial_dir = dir.path();
  l.working_dir = "/";
  l.command = "echo \"$HONE_PARAMS\" in \"$PWD\"; echo err >&2; exit 7";
  l.env = {{"HONE_PARAMS", "{\"a\": \"it's\"}"}};
  testing::WriteFile(dir / "job.sh", SlurmBatchScript(l));
  SpawnOptions spawn;
  spawn.argv = {"/bin/bash", dir / "job.sh"};
  spawn.open_exit_fd = false;
  auto out = RunCommand(spawn, 10s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status.exit_code, 7);
  EXPECT_EQ(testing::ReadFile(dir / "stdout.log"), "{\"a\": \"it's\"} in /\n");
  EXPECT_EQ(testing::ReadFile(dir / "stderr.log"), "err\n");
  EXPECT_EQ(testing::ReadFile(dir / "exit_status"), "7\n");
}

TEST(SlurmPlatformTest, StartFailsClearlyWithoutSbatch) {
  SlurmOptions o;
  o.path_env = "/nonexistent";
  SlurmPlatform slurm(o);
  Status st = slurm.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sbatch was not found on PATH"), std::string::npos) << st.message();
}

class SlurmClusterTest : public testing::SlurmPlatformFixture {};

// Trial `seq`'s kStarted (kWaiting may come first while the start probe runs); its pid.
int64_t StartedPid(const std::vector<PlatformEvent>& events, int64_t seq) {
  for (const auto& e : events)
    if (e.kind == PlatformEvent::Kind::kStarted && e.seq == seq) return e.pid;
  return -1;
}

TEST_F(SlurmClusterTest, ParametersReachTheJobAndOutputComesBack) {
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo \"$HONE_PARAMS\"; echo job $SLURM_JOB_ID; echo bad >&2; exit 4")).ok());
  auto events = PollUntil(slurm, testing::ExitedSeq(1), 10s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(FindExit(events, 1)->exit_code, 4);
  EXPECT_EQ(FindExit(events, 1)->stderr_tail, "bad");
  auto lines = LinesOf(events, 1);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"x\": 0.25}");
  ASSERT_GT(StartedPid(events, 1), 0);
  EXPECT_EQ(lines[1], "job " + std::to_string(StartedPid(events, 1)));
  EXPECT_EQ(testing::ReadFile(dir_ / "trials/1/slurm_job_id"), std::to_string(StartedPid(events, 1)) + "\n");
}

TEST_F(SlurmClusterTest, APendingJobShowsItsReason) {
  SlurmOptions o = Options();
  o.cpus_per_task = 8;  // the whole node: the second job waits for Resources
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo up; sleep 30")).ok());
  ASSERT_TRUE(slurm.Launch(Trial(2, "echo second")).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return !LinesOf(ev, 1).empty(); }, 10s);
  ASSERT_FALSE(LinesOf(events, 1).empty());
  std::string state;
  for (int i = 0; i < 30 && state != "PENDING Resources\n"; ++i) {
    ASSERT_TRUE(slurm.Poll(100ms, &events).ok());
    state = testing::ReadFile(dir_ / "trials/2/slurm_state");
  }
  EXPECT_EQ(state, "PENDING Resources\n");
  ASSERT_TRUE(slurm.Kill(1).ok());
  auto rest = PollUntil(slurm, testing::ExitedSeq(2), 15s);
  ASSERT_NE(FindExit(rest, 2), nullptr);
  EXPECT_EQ(FindExit(rest, 2)->exit_code, 0);
  EXPECT_EQ(LinesOf(rest, 2), std::vector<std::string>{"second"});
}

TEST_F(SlurmClusterTest, AJobCancelledOutsideHoneEndsTheTrialWithTheReason) {
  SlurmPlatform slurm(Options());
  ASSERT_TRUE(slurm.Start().ok());
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo up; sleep 30")).ok());
  auto events = PollUntil(slurm, [](const auto& ev) { return !LinesOf(ev, 1).empty(); }, 10s);
  ASSERT_FALSE(events.empty());
  SpawnOptions scancel;
  ASSERT_GT(StartedPid(events, 1), 0);
  scancel.argv = {"/usr/bin/scancel", std::to_string(StartedPid(events, 1))};
  scancel.open_exit_fd = false;
  ASSERT_TRUE(RunCommand(scancel, 10s).ok());
  auto rest = PollUntil(slurm, testing::ExitedSeq(1), 10s);
  const PlatformEvent* exit = FindExit(rest, 1);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_NE(exit->stderr_tail.find("ended CANCELLED"), std::string::npos)
      << exit->stderr_tail << " exit " << exit->exit_code << " " << testing::ReadFile(dir_ / "trials/1/exit_status");
}

}  // namespace
}  // namespace hone

namespace hone {
namespace {

TEST_F(SlurmClusterTest, CapacityIsMaxConcurrentJobs) {
  SlurmOptions o = Options();
  o.max_concurrent_jobs = 1;
  o.probe_dir = "";
  SlurmPlatform slurm(o);
  EXPECT_EQ(slurm.Capacity(), 0) << "no capacity before Start";
  ASSERT_TRUE(slurm.Start().ok());
  EXPECT_EQ(slurm.Capacity(), 1);
  ASSERT_TRUE(slurm.Launch(Trial(1, "echo done")).ok());
  EXPECT_EQ(slurm.Capacity(), 0);
  EXPECT_EQ(slurm.Launch(Trial(2, "echo done")).code(), StatusCode::kUnavailable);
  auto events = PollUntil(slurm, testing::ExitedSeq(1), 10s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  EXPECT_EQ(slurm.Capacity(), 1);
}

// What a dead manager left queued or running: Reclaim ends that job, and only when the
// trial directory names it.
TEST_F(SlurmClusterTest, ReclaimCancelsTheLostJobOnly) {
  SlurmOptions o = Options();
  o.probe_dir = "";
  SlurmPlatform running(o);
  ASSERT_TRUE(running.Start().ok());
  ASSERT_TRUE(running.Launch(Trial(2, "echo up; sleep 60")).ok());
  auto events = PollUntil(running, [](const auto& ev) { return !LinesOf(ev, 2).empty(); }, 10s);
  ASSERT_FALSE(events.empty());
  int64_t job = StartedPid(events, 2);
  SlurmPlatform resumed(o);  // a later manager
  ASSERT_TRUE(resumed.Start().ok());
  EXPECT_TRUE(resumed.Reclaim(2, dir_ / "trials/1", job).ok());  // another trial's directory: spared
  auto more = PollUntil(running, testing::ExitedSeq(2), 1500ms);
  EXPECT_EQ(FindExit(more, 2), nullptr) << "Reclaim cancelled a job its trial directory does not name";
  EXPECT_TRUE(resumed.Reclaim(2, dir_ / "trials/2", job).ok());
  more = PollUntil(running, testing::ExitedSeq(2), 10s);
  ASSERT_NE(FindExit(more, 2), nullptr);
  EXPECT_EQ(FindExit(more, 2)->signal, SIGTERM);
}

// A job whose trial directory the compute node cannot enter fails before the command.
TEST_F(SlurmClusterTest, AJobThatCannotEnterItsDirectoryFailsWithAHint) {
  SlurmOptions o = Options();
  o.probe_dir = "";  // the job would carry the start probe, whose error would come first
  SlurmPlatform slurm(o);
  ASSERT_TRUE(slurm.Start().ok());
  TrialLaunch l = Trial(1, "echo never");
  ASSERT_TRUE(slurm.Launch(l).ok());
  std::vector<PlatformEvent> events;
  ASSERT_TRUE(slurm.Poll(1ms, &events).ok());  // submits it
  std::filesystem::remove_all(l.trial_dir);    // as if the node had no such directory
  events = PollUntil(slurm, testing::ExitedSeq(1), 15s);
  const PlatformEvent* exit = FindExit(events, 1);
  ASSERT_NE(exit, nullptr);
  EXPECT_NE(exit->exit_code, 0);
  EXPECT_NE(exit->stderr_tail.find("shared with the compute nodes"), std::string::npos) << exit->stderr_tail;
}

}  // namespace
}  // namespace hone
