// TrialScope and Cgroup with real processes: a setsid grandchild and a double-forked
// daemon end with their trial, through a cgroup where this machine allows one (root
// here) and through the HONE_TRIAL_DIR environment scan where it does not.
#include "trials/trial_scope.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/platforms/local_platform_test_util.h"
#include "tests/trials/escape_util.h"
#include "trials/cgroup.h"
#include "trials/process_group.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using testing::EscapeeGuard;
using testing::EscapingCommand;
using testing::IsAlive;
using testing::ReadPidFile;
using testing::TempDir;
using testing::WaitUntilGone;

constexpr const char* kNoCgroups = "/nonexistent/hone-test-cgroup-root";

// What a manager that died leaves behind: the trial joined `join_file` (if any), and
// nobody ends anything when this scope goes.
class JoinOnlyScope : public TrialScope {
 public:
  explicit JoinOnlyScope(std::string join_file) : join_file_(std::move(join_file)) {}
  std::string join_file() const override { return join_file_; }
  void Signal(int) override {}
  bool Release() override { return true; }
  std::string Describe() const override { return "test"; }

 private:
  std::string join_file_;
};

std::unique_ptr<TrialScope> ScopeOrDie(const TrialScopes& scopes, int64_t seq, const std::string& dir) {
  StatusOr<std::unique_ptr<TrialScope>> scope = scopes.ForTrial(seq, dir);
  EXPECT_TRUE(scope.ok()) << scope.status().message();
  return scope.ok() ? std::move(*scope) : nullptr;
}

bool InCgroup(pid_t pid, const std::string& cgroup_path, const std::string& mount) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line == "0::" + cgroup_path.substr(mount.size())) return true;
  return false;
}

class TrialScopeTest : public ::testing::TestWithParam<bool> {
 protected:
  // Parameter: true = cgroups as this machine has them, false = none (the scan).
  TrialScopes Scopes() {
    TrialScopes scopes({.cgroup_root = GetParam() ? "" : kNoCgroups});
    if (GetParam() && scopes.cgroup_base().empty()) ADD_FAILURE() << "expected cgroup v2 to be usable here";
    return scopes;
  }
  std::string TrialDir() const { return dir_ / "trials/7"; }
  SpawnOptions Options(TrialScope* scope, bool wait) {
    return {.command = EscapingCommand(dir_.path(), wait),
            .env = {{"HONE_TRIAL_DIR", TrialDir()}, {"HONE_TRIAL_SEQ", "7"}},
            .scope = scope};
  }
  TempDir dir_;
  EscapeeGuard guard_;
};

TEST_P(TrialScopeTest, KillingTheGroupEndsSetsidGrandchildAndDaemon) {
  if (geteuid() != 0 && GetParam()) GTEST_SKIP() << "cgroups need root (or delegation) here";
  TrialScopes scopes = Scopes();
  std::unique_ptr<TrialScope> scope = ScopeOrDie(scopes, 7, TrialDir());
  EXPECT_EQ(scope->Describe().rfind(GetParam() ? "cgroup " : "environment scan", 0), 0u) << scope->Describe();
  auto group = ProcessGroup::Spawn(Options(scope.get(), /*wait=*/true));
  ASSERT_TRUE(group.ok()) << group.status().message();
  pid_t setsid_pid = guard_.Add(ReadPidFile(dir_ / "setsid.pid"));
  pid_t daemon_pid = guard_.Add(ReadPidFile(dir_ / "daemon.pid"));
  ASSERT_TRUE(setsid_pid > 0 && daemon_pid > 0);
  ASSERT_TRUE(IsAlive(setsid_pid) && IsAlive(daemon_pid));
  if (GetParam()) {
    std::string path = scopes.CgroupPath(7, TrialDir());
    std::string mount = scopes.cgroup_base().substr(0, scopes.cgroup_base().size() - 5);
    EXPECT_TRUE(InCgroup(daemon_pid, path, mount)) << "the daemon is not in " << path;
  }

  (*group)->KillAndReap();
  EXPECT_TRUE(WaitUntilGone(setsid_pid, 2s)) << "setsid grandchild survived";
  EXPECT_TRUE(WaitUntilGone(daemon_pid, 2s)) << "double-forked daemon survived";
  auto end = std::chrono::steady_clock::now() + 2s;
  while (!scope->Release() && std::chrono::steady_clock::now() < end) {}
  EXPECT_TRUE(scope->Release());
  if (GetParam()) {
    EXPECT_FALSE(std::filesystem::exists(scopes.CgroupPath(7, TrialDir()))) << "cgroup left behind";
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(scopes.CgroupPath(7, TrialDir())).parent_path()));
  }
}

TEST_P(TrialScopeTest, SigtermReachesProcessesOutsideTheProcessGroup) {
  if (geteuid() != 0 && GetParam()) GTEST_SKIP() << "cgroups need root (or delegation) here";
  TrialScopes scopes = Scopes();
  std::unique_ptr<TrialScope> scope = ScopeOrDie(scopes, 7, TrialDir());
  auto group = ProcessGroup::Spawn(Options(scope.get(), /*wait=*/true));
  ASSERT_TRUE(group.ok());
  pid_t setsid_pid = guard_.Add(ReadPidFile(dir_ / "setsid.pid"));
  pid_t daemon_pid = guard_.Add(ReadPidFile(dir_ / "daemon.pid"));
  ASSERT_TRUE(setsid_pid > 0 && daemon_pid > 0);
  (*group)->SignalGroup(SIGTERM);
  EXPECT_TRUE(WaitUntilGone(setsid_pid, 2s));
  EXPECT_TRUE(WaitUntilGone(daemon_pid, 2s));
}

// A dead manager's trial: its main process and both escapees still run; Reclaim with
// the right seq, folder and group ends them and nothing else.
TEST_P(TrialScopeTest, ReclaimEndsWhatADeadManagerLeftAndNothingElse) {
  TrialScopes scopes = Scopes();
  std::string path = scopes.CgroupPath(7, TrialDir());
  if (GetParam()) {
    ASSERT_TRUE(MakeCgroupDir(path).ok());  // removed by Reclaim
  }
  JoinOnlyScope left_behind(GetParam() ? path + "/cgroup.procs" : "");
  auto lost = ProcessGroup::Spawn(Options(&left_behind, /*wait=*/true));
  ASSERT_TRUE(lost.ok());
  pid_t setsid_pid = guard_.Add(ReadPidFile(dir_ / "setsid.pid"));
  pid_t daemon_pid = guard_.Add(ReadPidFile(dir_ / "daemon.pid"));
  ASSERT_TRUE(setsid_pid > 0 && daemon_pid > 0);
  // Same folder, another seq and group: not this trial's.
  auto other = ProcessGroup::Spawn({.command = "sleep 1000",
                                    .env = {{"HONE_TRIAL_DIR", TrialDir()}, {"HONE_TRIAL_SEQ", "8"}}});
  ASSERT_TRUE(other.ok());

  scopes.Reclaim(7, TrialDir(), (*lost)->pid());
  EXPECT_TRUE(WaitUntilGone(setsid_pid, 2s)) << "setsid grandchild survived Reclaim";
  EXPECT_TRUE(WaitUntilGone(daemon_pid, 2s)) << "daemon survived Reclaim";
  EXPECT_TRUE(WaitUntilGone((*lost)->pid(), 2s));
  EXPECT_TRUE(IsAlive((*other)->pid())) << "Reclaim ended another trial's process";
  if (GetParam()) {
    EXPECT_FALSE(std::filesystem::exists(path)) << "cgroup left behind";
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, TrialScopeTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Cgroup" : "EnvironmentScan"; });

TEST(TrialScopeTest, MissingCgroupRootMeansTheEnvironmentScan) {
  TrialScopes scopes({.cgroup_root = kNoCgroups});
  EXPECT_EQ(scopes.cgroup_base(), "");
  EXPECT_EQ(scopes.CgroupPath(1, "/x/trials/1"), "");
  EXPECT_EQ(ScopeOrDie(scopes, 1, "/x/trials/1")->join_file(), "");
  EXPECT_FALSE(std::filesystem::exists(kNoCgroups));
}

// Limits are enforced or refused, never ignored: here (hybrid, no v2 controllers) they
// are refused; where the controllers exist, the trial's group carries them.
TEST(TrialScopeTest, LimitsAreWrittenToTheGroupOrRefused) {
  TempDir dir;
  TrialScopes scopes({.memory_limit_bytes = 256 << 20, .cpu_limit = 0.5});
  Status check = scopes.Check();
  StatusOr<std::unique_ptr<TrialScope>> scope = scopes.ForTrial(1, dir / "trials/1");
  if (!check.ok()) {
    EXPECT_NE(check.message().find("trialMemoryLimit and trialCpuLimit"), std::string::npos) << check.message();
    EXPECT_FALSE(scope.ok()) << "a limit that cannot be enforced must not be dropped";
    return;
  }
  ASSERT_TRUE(scope.ok()) << scope.status().message();
  std::string path = scopes.CgroupPath(1, dir / "trials/1");
  EXPECT_EQ(testing::ReadFile(path + "/memory.max"), std::to_string(256 << 20) + "\n");
  EXPECT_EQ(testing::ReadFile(path + "/cpu.max"), "50000 100000\n");
}

TEST(TrialScopeTest, NoCgroupsMeansLimitsAreRefused) {
  TrialScopes scopes({.cgroup_root = kNoCgroups, .memory_limit_bytes = 1 << 30});
  Status check = scopes.Check();
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.message(),
            "trainingService.trialMemoryLimit: enforcing it needs a cgroup v2 group per trial, but no cgroup v2 "
            "group can be made under " + std::string(kNoCgroups) + " by this user");
  EXPECT_FALSE(scopes.ForTrial(1, "/x/trials/1").ok());
}

TEST(CgroupTest, FindsTheCgroup2MountAndCreatesAndRemovesNestedGroups) {
  std::optional<std::string> mount = FindCgroup2Mount();
  if (!mount) GTEST_SKIP() << "no cgroup v2 hierarchy mounted";
  EXPECT_TRUE(IsCgroup2Dir(*mount));
  if (geteuid() != 0) GTEST_SKIP() << "creating groups needs root here";
  std::string parent = *mount + "/hone/test-" + std::to_string(getpid());
  auto group = Cgroup::Create(parent + "/child");
  ASSERT_TRUE(group.ok()) << group.status().message();
  EXPECT_TRUE((*group)->Members().empty());
  EXPECT_FALSE((*group)->Populated());
  EXPECT_EQ(Cgroup::Open(parent + "/missing"), nullptr);
  EXPECT_TRUE((*group)->TryRemove());
  EXPECT_FALSE(std::filesystem::exists(parent + "/child"));
  EXPECT_EQ(rmdir(parent.c_str()), 0);
}

TEST(CgroupTest, CreateOutsideACgroupHierarchyIsAnError) {
  TempDir dir;
  auto group = Cgroup::Create(dir / "not-a-cgroup");
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.status().message().find("not a cgroup v2 directory"), std::string::npos);
}

}  // namespace
}  // namespace hone
