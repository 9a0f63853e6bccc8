// The local platform against trials that try to outlive it: a setsid grandchild and a
// double-forked daemon end at Kill, at Stop, when the main process exits, and at
// Reclaim after the manager died; with cgroups (root here) and with the fallback
// (cgroup_root pointed at a missing folder: process group plus environment scan).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "platforms/local_platform.h"
#include "tests/platforms/local_platform_test_util.h"
#include "tests/trials/escape_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::EscapeeGuard;
using testing::EscapingCommand;
using testing::ExitedSeq;
using testing::FindExit;
using testing::IsAlive;
using testing::PollUntil;
using testing::ReadPidFile;
using testing::TempDir;
using testing::WaitUntilGone;

class LocalPlatformEscapeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam() && geteuid() != 0) GTEST_SKIP() << "cgroups need root (or delegation) here";
  }
  LocalPlatformOptions Options() {
    LocalPlatformOptions options;
    options.kill_grace = 500ms;
    if (!GetParam()) options.cgroup_root = "/nonexistent/hone-test-cgroup-root";
    return options;
  }
  std::unique_ptr<LocalPlatform> Make() {
    auto p = std::make_unique<LocalPlatform>(Options());
    EXPECT_TRUE(p->Start().ok());
    EXPECT_EQ(p->cgroup_base().empty(), !GetParam());
    return p;
  }
  TrialLaunch Trial(int64_t seq, bool wait) {
    return {.seq = seq, .command = EscapingCommand(dir_.path(), wait), .working_dir = dir_.path(),
            .trial_dir = dir_ / ("trials/" + std::to_string(seq)),
            .env = {{"HONE_TRIAL_SEQ", std::to_string(seq)}}};
  }
  // Waits for both escapees of the running trial; false when they did not show up.
  bool Escapees() {
    setsid_pid_ = guard_.Add(ReadPidFile(dir_ / "setsid.pid"));
    daemon_pid_ = guard_.Add(ReadPidFile(dir_ / "daemon.pid"));
    return setsid_pid_ > 0 && daemon_pid_ > 0 && IsAlive(setsid_pid_) && IsAlive(daemon_pid_);
  }
  void ExpectEscapeesGone(const char* after) {
    EXPECT_TRUE(WaitUntilGone(setsid_pid_, 2s)) << "setsid grandchild " << setsid_pid_ << " survived " << after;
    EXPECT_TRUE(WaitUntilGone(daemon_pid_, 2s)) << "daemon " << daemon_pid_ << " survived " << after;
  }
  // No trial group of this test is left under hone's cgroup subtree.
  void ExpectNoCgroupLeft(const LocalPlatform& p, int64_t seq) {
    if (p.cgroup_base().empty()) return;
    TrialScopes scopes({});
    std::string group = scopes.CgroupPath(seq, dir_ / ("trials/" + std::to_string(seq)));
    EXPECT_FALSE(std::filesystem::exists(group)) << group << " left behind";
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(group).parent_path()));
  }

  TempDir dir_;
  EscapeeGuard guard_;
  pid_t setsid_pid_ = 0, daemon_pid_ = 0;
};

TEST_P(LocalPlatformEscapeTest, KillEndsSetsidGrandchildAndDaemon) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(1, /*wait=*/true)).ok());
  ASSERT_TRUE(Escapees());
  ASSERT_TRUE(p->Kill(1).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(1), 5s);
  ASSERT_NE(FindExit(events, 1), nullptr);
  ExpectEscapeesGone("Kill");
  PollUntil(*p, [](const auto&) { return false; }, 50ms);  // lets a draining group go
  ExpectNoCgroupLeft(*p, 1);
}

TEST_P(LocalPlatformEscapeTest, StopEndsSetsidGrandchildAndDaemon) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(2, /*wait=*/true)).ok());
  ASSERT_TRUE(Escapees());
  ASSERT_TRUE(p->Stop(500ms).ok());
  ExpectEscapeesGone("Stop");
  ExpectNoCgroupLeft(*p, 2);
}

TEST_P(LocalPlatformEscapeTest, ExitOfTheMainProcessEndsWhatItLeftBehind) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(3, /*wait=*/false)).ok());
  ASSERT_TRUE(Escapees());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(3), 5s);
  ASSERT_NE(FindExit(events, 3), nullptr);
  EXPECT_EQ(FindExit(events, 3)->exit_code, 0);
  ExpectEscapeesGone("the trial's exit");
  PollUntil(*p, [](const auto&) { return false; }, 50ms);
  ExpectNoCgroupLeft(*p, 3);
}

// A manager (a forked copy of this test) launches the trial and dies without ending
// anything; a new platform's Reclaim, as resume calls it, ends all of it.
TEST_P(LocalPlatformEscapeTest, ReclaimOnResumeEndsWhatADeadManagerLeft) {
  std::string pid_file = dir_ / "main.pid";
  pid_t manager = fork();
  ASSERT_GE(manager, 0);
  if (manager == 0) {
    auto* p = new LocalPlatform(Options());  // never destroyed: the manager "dies"
    if (!p->Start().ok() || !p->Launch(Trial(4, /*wait=*/true)).ok()) _exit(1);
    std::vector<PlatformEvent> events;
    p->Poll(100ms, &events);
    for (const auto& e : events)
      if (e.kind == PlatformEvent::Kind::kStarted) testing::WriteFile(pid_file, std::to_string(e.pid) + "\n");
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(manager, &status, 0), manager);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pid_t main_pid = guard_.Add(ReadPidFile(pid_file));
  ASSERT_GT(main_pid, 0);
  ASSERT_TRUE(Escapees());
  ASSERT_TRUE(IsAlive(main_pid));

  auto resumed = std::make_unique<LocalPlatform>(Options());
  ASSERT_TRUE(resumed->Reclaim(4, dir_ / "trials/4", main_pid).ok());
  ExpectEscapeesGone("Reclaim");
  EXPECT_TRUE(WaitUntilGone(main_pid, 2s));
  ExpectNoCgroupLeft(*resumed, 4);
}

TEST(LocalPlatformLimitsTest, StartRefusesLimitsThisMachineCannotEnforce) {
  LocalPlatformOptions options;
  options.cgroup_root = "/nonexistent/hone-test-cgroup-root";
  options.trial_cpu_limit = 1.5;
  LocalPlatform p(std::move(options));
  Status st = p.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("trainingService.trialCpuLimit"), std::string::npos) << st.message();
}

TEST(LocalPlatformLimitsTest, MemorySizes) {
  using nlohmann::json;
  EXPECT_EQ(*ParseMemorySize(json(1024)), 1024);
  EXPECT_EQ(*ParseMemorySize(json("512m")), 512ll << 20);
  EXPECT_EQ(*ParseMemorySize(json("4GiB")), 4ll << 30);
  EXPECT_EQ(*ParseMemorySize(json("100K")), 100ll << 10);
  for (json bad : {json(0), json(-5), json("4x"), json("g"), json("1.5g"), json(true), json("0m")}) {
    StatusOr<int64_t> parsed = ParseMemorySize(bad);
    EXPECT_FALSE(parsed.ok()) << bad.dump();
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("but got " + bad.dump()), std::string::npos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, LocalPlatformEscapeTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Cgroup" : "EnvironmentScan"; });

}  // namespace
}  // namespace hone
