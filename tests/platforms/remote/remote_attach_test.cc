// The remote platform's resume side against the test sshd: a second platform takes back
// the trials a first one left running (Abandon: what a manager that dies leaves), with
// the same pid, the whole stdout once from its first byte and the right exit status, also
// when the trial ended while nobody watched; and a trial's output/ comes back at its end.
#include "platforms/remote/remote_platform.h"

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/remote/remote_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::LinesOf;
using testing::PollUntil;

class RemoteAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    sshd_ = &testing::SharedSshd(&why);
    ASSERT_EQ(why, "") << "the test sshd is needed";
  }
  RemotePlatformOptions Options() { return testing::TestRemoteOptions(*sshd_, dir_ / "host"); }
  TrialLaunch Launch(int64_t seq, const std::string& command) {
    TrialLaunch l;
    l.seq = seq;
    l.command = command;
    l.trial_dir = dir_ / ("trials/" + std::to_string(seq));
    l.env = {{"HONE_EXPERIMENT_ID", "exp1"}};
    std::filesystem::create_directories(l.trial_dir);
    return l;
  }
  std::string HostDir(int64_t seq) { return dir_ / ("host/runs/exp1/" + std::to_string(seq)); }
  // "true", "false" or the error, for comparisons that print what came.
  static std::string Result(const StatusOr<bool>& r) { return r.ok() ? (*r ? "true" : "false") : r.status().message(); }
  static int64_t StartedPid(const std::vector<PlatformEvent>& events, int64_t seq) {
    for (const auto& e : events)
      if (e.kind == PlatformEvent::Kind::kStarted && e.seq == seq) return e.pid;
    return 0;
  }

  testing::SshdFixture* sshd_ = nullptr;
  testing::TempDir dir_;
};

TEST_F(RemoteAttachTest, ASecondPlatformTakesBackARunningTrialWithItsPidAndWholeOutput) {
  RemotePlatformOptions o = Options();
  o.trial_gpu_number = 1;
  o.machines[0].gpu_indices = {4};
  TrialLaunch launch = Launch(1, "for i in 1 2 3; do echo line-$i; done; sleep 2; echo line-4; echo line-5; exit 3");
  int64_t pid = 0;
  {
    RemotePlatform first(o);
    ASSERT_TRUE(first.Start().ok());
    ASSERT_TRUE(first.Launch(launch).ok());
    auto seen = PollUntil(first, [](const auto& ev) { return LinesOf(ev, 1).size() >= 3; }, 10s);
    ASSERT_EQ(LinesOf(seen, 1).size(), 3u);
    pid = StartedPid(seen, 1);
    ASSERT_GT(pid, 0);
    first.Abandon();  // the manager dies: the trial runs on
  }
  ASSERT_TRUE(testing::IsAlive(static_cast<pid_t>(pid))) << "Abandon left the trial running";
  RemotePlatform second(o);
  ASSERT_TRUE(second.Start().ok());
  StatusOr<bool> attached = second.Attach(launch, pid);
  ASSERT_TRUE(attached.ok()) << attached.status().message();
  ASSERT_TRUE(*attached);
  EXPECT_EQ(second.Capacity(), 0) << "the attached trial holds the host's only GPU again";
  auto events = PollUntil(second, testing::ExitedSeq(1), 15s);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, PlatformEvent::Kind::kStarted);
  EXPECT_EQ(events.front().pid, pid) << "the same process, not a new one";
  EXPECT_EQ(events.front().devices, "4");
  EXPECT_EQ(LinesOf(events, 1), (std::vector<std::string>{"line-1", "line-2", "line-3", "line-4", "line-5"}))
      << "the whole stdout, from its first byte, once";
  const PlatformEvent* exit = testing::FindExit(events, 1);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_FALSE(exit->platform_failure);
  EXPECT_EQ(testing::ReadFile(launch.trial_dir + "/stdout.log"), "line-1\nline-2\nline-3\nline-4\nline-5\n")
      << "the local copy is rewritten, not appended to";
  EXPECT_EQ(second.Capacity(), 1);
}

TEST_F(RemoteAttachTest, ATrialThatEndedWhileNobodyWatchedIsReportedWhole) {
  TrialLaunch launch = Launch(2, "echo a; echo b >&2; echo c; exit 4");
  int64_t pid = 0;
  {
    RemotePlatform first(Options());
    ASSERT_TRUE(first.Start().ok());
    ASSERT_TRUE(first.Launch(launch).ok());
    pid = std::atoll(testing::ReadFile(HostDir(2) + "/pid").c_str());
    first.Abandon();
  }
  for (int i = 0; i < 500 && !std::filesystem::exists(HostDir(2) + "/exit"); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(std::filesystem::exists(HostDir(2) + "/exit"));
  // Without the record of its host, every host is looked at.
  std::filesystem::remove(launch.trial_dir + "/remote_host");
  RemotePlatform second(Options());
  ASSERT_TRUE(second.Start().ok());
  ASSERT_EQ(Result(second.Attach(launch, pid)), "true");
  auto events = PollUntil(second, testing::ExitedSeq(2), 10s);
  EXPECT_EQ(StartedPid(events, 2), pid);
  EXPECT_EQ(LinesOf(events, 2), (std::vector<std::string>{"a", "c"}));
  const PlatformEvent* exit = testing::FindExit(events, 2);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->exit_code, 4);
  EXPECT_EQ(exit->stderr_tail, "b");
  EXPECT_EQ(testing::ReadFile(launch.trial_dir + "/stderr.log"), "b\n");
}

TEST_F(RemoteAttachTest, AttachRefusesAnotherPidAGoneDirectoryOrHostAndALostRunner) {
  TrialLaunch launch = Launch(3, "sleep 30");
  RemotePlatform first(Options());
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(first.Launch(launch).ok());
  int64_t pid = std::atoll(testing::ReadFile(HostDir(3) + "/pid").c_str());
  first.Abandon();
  RemotePlatform second(Options());
  ASSERT_TRUE(second.Start().ok());
  EXPECT_EQ(Result(second.Attach(launch, pid + 1)), "false") << "another trial's pid";
  EXPECT_EQ(Result(second.Attach(Launch(33, "true"), 0)), "false") << "no such run directory";
  TrialLaunch no_id = launch;
  no_id.env.clear();
  EXPECT_EQ(Result(second.Attach(no_id, pid)), "false") << "no experiment id: its directory cannot be found";
  std::string recorded = testing::ReadFile(launch.trial_dir + "/remote_host");
  testing::WriteFile(launch.trial_dir + "/remote_host", "me@gone.example.org:22\n");
  EXPECT_EQ(Result(second.Attach(launch, pid)), "false") << "its host is no longer in the machine list";
  testing::WriteFile(launch.trial_dir + "/remote_host", recorded);
  EXPECT_EQ(Result(second.Attach(launch, pid)), "true") << "the pid, the run directory and the host are right";
  second.Abandon();
  RemotePlatform third(Options());
  ASSERT_TRUE(third.Start().ok());
  // The trial (and its runner) die without an exit status: nothing would ever end it.
  // (Loopback: the host's processes are this machine's; the runner is the trial's parent.)
  std::string stat = testing::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  pid_t runner = std::atoi(stat.substr(stat.rfind(')') + 4).c_str());
  ASSERT_GT(runner, 1);
  kill(runner, SIGKILL);
  kill(-static_cast<pid_t>(pid), SIGKILL);
  ASSERT_TRUE(testing::WaitUntilGone(static_cast<pid_t>(pid), 2s));
  std::filesystem::remove(HostDir(3) + "/exit");
  EXPECT_EQ(Result(third.Attach(launch, pid)), "false") << "the runner is gone";
  std::vector<PlatformEvent> events;
  ASSERT_TRUE(third.Poll(100ms, &events).ok());
  EXPECT_TRUE(events.empty()) << "a refused trial sends nothing";
  EXPECT_EQ(third.Capacity(), RemotePlatform::kUnlimited);
}

TEST_F(RemoteAttachTest, TheTrialsOutputDirectoryComesBackWhenItEnds) {
  RemotePlatformOptions o = Options();
  o.code_size_limit = 4096;
  RemotePlatform remote(o);
  ASSERT_TRUE(remote.Start().ok());
  TrialLaunch small = Launch(4, "mkdir -p \"$HONE_OUTPUT_DIR/sub\"; echo model >\"$HONE_OUTPUT_DIR/model.txt\"; "
                                "echo y >\"$HONE_OUTPUT_DIR/sub/y\"");
  TrialLaunch big = Launch(5, "head -c 10000 /dev/zero >\"$HONE_OUTPUT_DIR/big.bin\"; echo kept");
  ASSERT_TRUE(remote.Launch(small).ok());
  ASSERT_TRUE(remote.Launch(big).ok());
  auto events = PollUntil(
      remote, [](const auto& ev) { return testing::FindExit(ev, 4) && testing::FindExit(ev, 5); }, 15s);
  EXPECT_EQ(testing::ReadFile(small.trial_dir + "/output/model.txt"), "model\n");
  EXPECT_EQ(testing::ReadFile(small.trial_dir + "/output/sub/y"), "y\n");
  const PlatformEvent* exit = testing::FindExit(events, 5);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(big.trial_dir + "/output/big.bin")) << "past the size limit";
  EXPECT_NE(exit->stderr_tail.find("past the limit of 4096"), std::string::npos) << exit->stderr_tail;
}

}  // namespace
}  // namespace hone
