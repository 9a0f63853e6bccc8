// The remote platform against a real sshd on 127.0.0.1: start checks, code shipping, the
// trial environment on the host, log streaming by offsets.
#include "platforms/remote/remote_platform.h"

#include <signal.h>

#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/remote/remote_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::LinesOf;
using testing::PollUntil;
using testing::TempDir;

class RemotePlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    sshd_ = &testing::SharedSshd(&why);
    ASSERT_EQ(why, "") << "the test sshd is needed";
  }
  RemotePlatformOptions Options() { return testing::TestRemoteOptions(*sshd_, dir_ / "host"); }
  TrialLaunch Launch(int64_t seq, const std::string& command, const std::string& working_dir = "") {
    TrialLaunch l;
    l.seq = seq;
    l.command = command;
    l.working_dir = working_dir;
    l.trial_dir = dir_ / ("trials/" + std::to_string(seq));
    l.env = {{"HONE_PARAMS", "{\"lr\": 0.1, \"q\": \"it's \\\"x\\\" $HOME\"}"},
             {"HONE_TRIAL_DIR", l.trial_dir},
             {"HONE_EXPERIMENT_ID", "exp1"}};
    return l;
  }

  testing::SshdFixture* sshd_ = nullptr;
  TempDir dir_;
};

TEST_F(RemotePlatformTest, StartNamesAHostThatRefuses) {
  RemotePlatformOptions o = Options();
  RemoteMachine dead = o.machines[0];
  dead.port = testing::SshdFixture::FreePort();
  o.machines.push_back(dead);
  RemotePlatform remote(o);
  Status st = remote.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(dead.port)), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("127.0.0.1:" + std::to_string(sshd_->port())), std::string::npos) << st.message();
}

TEST_F(RemotePlatformTest, TrialSeesItsParametersAndHostDirectories) {
  RemotePlatform remote(Options());
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(1, "echo \"$HONE_PARAMS\"; echo \"$HONE_TRIAL_DIR\"; cat params.json; echo; "
                                      "pwd; echo err >&2"))
                  .ok());
  auto events = PollUntil(remote, testing::ExitedSeq(1), 10s);
  std::vector<std::string> lines = LinesOf(events, 1);
  std::string remote_dir = dir_ / "host/runs/exp1/1";
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "{\"lr\": 0.1, \"q\": \"it's \\\"x\\\" $HOME\"}");
  EXPECT_EQ(lines[1], remote_dir);
  EXPECT_EQ(lines[2], lines[0]) << "params.json on the host holds the parameters";
  EXPECT_EQ(lines[3], remote_dir);
  EXPECT_GT(events.front().pid, 0);
  EXPECT_EQ(testing::ReadFile(dir_ / "trials/1/stderr.log"), "err\n") << "logs are copied back";
  EXPECT_NE(testing::ReadFile(dir_ / "trials/1/stdout.log").find(remote_dir), std::string::npos);
}

TEST_F(RemotePlatformTest, CodeIsShippedOncePerContentWithoutIgnoredFiles) {
  std::string code = dir_ / "code";
  std::filesystem::create_directories(code + "/data");
  testing::WriteFile(code + "/train.sh", "echo trained\n");
  testing::WriteFile(code + "/data/big.bin", "xxxx");
  testing::WriteFile(code + "/.honeignore", "# data is on the host already\ndata/\n*.tmp\n");
  testing::WriteFile(code + "/scratch.tmp", "x");
  for (int round = 0; round < 2; ++round) {
    RemotePlatform remote(Options());
    ASSERT_TRUE(remote.Start().ok());
    ASSERT_TRUE(remote.Launch(Launch(round, "sh train.sh; ls -a | tr '\\n' ' '", code)).ok());
    auto events = PollUntil(remote, testing::ExitedSeq(round), 10s);
    std::vector<std::string> lines = LinesOf(events, round);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "trained");
    EXPECT_EQ(lines[1], ". .. .honeignore train.sh ");
  }
  int copies = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "host/code")) copies += e.is_directory();
  EXPECT_EQ(copies, 1);
}

TEST_F(RemotePlatformTest, CodePastTheSizeLimitIsAClearError) {
  std::string code = dir_ / "code";
  std::filesystem::create_directories(code);
  testing::WriteFile(code + "/weights.bin", std::string(3 << 20, 'w'));
  RemotePlatformOptions o = Options();
  o.code_dir = code;
  o.code_size_limit = 1 << 20;
  RemotePlatform remote(o);
  Status st = remote.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("trialCodeSizeLimit"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("weights.bin"), std::string::npos) << st.message();
}

TEST_F(RemotePlatformTest, LongOutputArrivesWholeAndInOrderAcrossPolls) {
  RemotePlatformOptions o = Options();
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(2, "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done")).ok());
  auto events = PollUntil(remote, testing::ExitedSeq(2), 20s);
  std::vector<std::string> lines = LinesOf(events, 2);
  ASSERT_EQ(lines.size(), 3000u);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(lines[i], "line-" + std::to_string(i));
}

TEST_F(RemotePlatformTest, HostSlotsLimitCapacityAndPlacement) {
  RemotePlatformOptions o = Options();
  o.machines[0].max_concurrent_trials = 2;
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  EXPECT_EQ(remote.Capacity(), 2);
  ASSERT_TRUE(remote.Launch(Launch(3, "sleep 30")).ok());
  ASSERT_TRUE(remote.Launch(Launch(4, "sleep 30")).ok());
  EXPECT_EQ(remote.Capacity(), 0);
  EXPECT_EQ(remote.Launch(Launch(5, "true")).code(), StatusCode::kUnavailable);
  ASSERT_TRUE(remote.Kill(3).ok());
  PollUntil(remote, testing::ExitedSeq(3), 10s);
  EXPECT_EQ(remote.Capacity(), 1);
}

// Two "hosts" (two sshds): trials spread over the free slots of both.
TEST_F(RemotePlatformTest, TrialsSpreadOverHostsBySlots) {
  testing::SshdFixture second;
  ASSERT_EQ(second.Start(), "");
  RemotePlatformOptions o = Options();
  o.machines[0].max_concurrent_trials = 2;
  RemoteMachine other = testing::TestMachine(second);
  other.max_concurrent_trials = 2;
  o.machines.push_back(other);
  o.ssh_options = {"StrictHostKeyChecking=no", "UserKnownHostsFile=" + second.known_hosts()};
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  EXPECT_EQ(remote.Capacity(), 4);
  for (int64_t seq = 0; seq < 4; ++seq)
    ASSERT_TRUE(remote.Launch(Launch(seq, "echo $SSH_CONNECTION | cut -d' ' -f4; sleep 30")).ok());
  EXPECT_EQ(remote.Capacity(), 0);
  auto events = PollUntil(
      remote, [](const auto& ev) { for (int64_t s = 0; s < 4; ++s) if (LinesOf(ev, s).empty()) return false; return true; },
      10s);
  std::map<std::string, int> per_port;
  for (int64_t seq = 0; seq < 4; ++seq) ++per_port[LinesOf(events, seq).at(0)];
  EXPECT_EQ(per_port[std::to_string(sshd_->port())], 2);
  EXPECT_EQ(per_port[std::to_string(second.port())], 2);
  ASSERT_TRUE(remote.Stop(500ms).ok());
}

// A host that dies mid-trial: after three failed polls its trials end as platform
// failures, the reason names it; it takes no trials until it answers again, and then
// what is left of the lost trial there is killed.
TEST_F(RemotePlatformTest, TrialsOfAHostThatDiesFailWithTheReasonAndTheHostRejoins) {
  testing::SshdFixture doomed;
  ASSERT_EQ(doomed.Start(), "");
  RemotePlatformOptions o = testing::TestRemoteOptions(doomed, dir_ / "host");
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(7, "echo up; sleep 30")).ok());
  auto events = PollUntil(remote, [](const auto& ev) { return !LinesOf(ev, 7).empty(); }, 10s);
  ASSERT_FALSE(LinesOf(events, 7).empty());
  doomed.KillHost();
  auto rest = PollUntil(remote, testing::ExitedSeq(7), 30s);
  const PlatformEvent* exit = testing::FindExit(rest, 7);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->exit_code, 255);
  EXPECT_TRUE(exit->platform_failure) << "the host lost it, not the trial's code: the manager may run it again";
  EXPECT_NE(exit->stderr_tail.find("127.0.0.1:" + std::to_string(doomed.port())), std::string::npos) << exit->stderr_tail;
  // The "host" is this machine: the trial lives on there (an outage, not a crash).
  pid_t pid = std::atoi(testing::ReadFile(dir_ / "host/runs/exp1/7/pid").c_str());
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(testing::IsAlive(pid));
  EXPECT_EQ(remote.Capacity(), 0) << "a dead host takes no trials";

  // The host comes back: a retry (after 1 s) reconnects and it takes trials again.
  ASSERT_EQ(doomed.Restart(), "");
  auto end = std::chrono::steady_clock::now() + 15s;
  std::vector<PlatformEvent> ignored;
  while (remote.Capacity() == 0 && std::chrono::steady_clock::now() < end) ASSERT_TRUE(remote.Poll(100ms, &ignored).ok());
  ASSERT_GT(remote.Capacity(), 0) << "the host did not rejoin";
  EXPECT_TRUE(testing::WaitUntilGone(pid, 5s)) << "the lost trial runs again elsewhere: its old copy ends on rejoin";
  if (testing::IsAlive(pid)) kill(-pid, SIGKILL);
  ASSERT_TRUE(remote.Launch(Launch(9, "echo back")).ok());
  auto back = PollUntil(remote, testing::ExitedSeq(9), 10s);
  EXPECT_EQ(LinesOf(back, 9), (std::vector<std::string>{"back"}));
}

// Loopback only: the "host" is this machine, so its processes can be checked here.
TEST_F(RemotePlatformTest, KillEndsTheTrialsWholeProcessGroupOnTheHost) {
  RemotePlatform remote(Options());
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(8, "sleep 1000 & echo $!; wait")).ok());
  auto events = PollUntil(remote, [](const auto& ev) { return !LinesOf(ev, 8).empty(); }, 10s);
  ASSERT_FALSE(LinesOf(events, 8).empty());
  pid_t grandchild = std::stoi(LinesOf(events, 8).at(0));
  pid_t group = static_cast<pid_t>(events.front().pid);
  ASSERT_TRUE(testing::IsAlive(grandchild));
  EXPECT_EQ(getpgid(grandchild), group) << "kStarted.pid is the trial's process group on the host";
  ASSERT_TRUE(remote.Kill(8).ok());
  auto rest = PollUntil(remote, testing::ExitedSeq(8), 10s);
  ASSERT_NE(testing::FindExit(rest, 8), nullptr);
  EXPECT_EQ(testing::FindExit(rest, 8)->signal, SIGTERM);
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
}

TEST_F(RemotePlatformTest, GpuTrialsGetDevicesFromTheHostsGpuIndices) {
  RemotePlatformOptions o = Options();
  o.trial_gpu_number = 1;
  o.machines[0].gpu_indices = {2, 5};
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  ASSERT_TRUE(remote.Launch(Launch(0, "echo $CUDA_VISIBLE_DEVICES; sleep 30")).ok());
  ASSERT_TRUE(remote.Launch(Launch(1, "echo $CUDA_VISIBLE_DEVICES; sleep 30")).ok());
  EXPECT_EQ(remote.Capacity(), 0) << "both GPUs are taken";
  auto events = PollUntil(remote, [](const auto& ev) { return !LinesOf(ev, 0).empty() && !LinesOf(ev, 1).empty(); }, 10s);
  std::set<std::string> devices = {LinesOf(events, 0).at(0), LinesOf(events, 1).at(0)};
  EXPECT_EQ(devices, (std::set<std::string>{"2", "5"}));
  ASSERT_TRUE(remote.Kill(0).ok());
  PollUntil(remote, testing::ExitedSeq(0), 10s);
  EXPECT_EQ(remote.Capacity(), 1);
}

TEST_F(RemotePlatformTest, StartFailsWhenAHostListsTooFewGpus) {
  RemotePlatformOptions o = Options();
  o.trial_gpu_number = 2;
  o.machines[0].gpu_indices = {0};
  RemotePlatform remote(o);
  Status st = remote.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("gpuIndices"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace hone
