// The Platform contract (core/platform.h), run over a factory per platform: local (real
// process groups running /bin/sh), replay (recorded curves on a simulated clock),
// slurm (batch jobs on a private single-node Slurm started for the test process) and
// remote (trials over ssh on a private sshd on 127.0.0.1). A
// new platform joins by adding a factory to kFactories; cases that need something a
// platform does not have (exit statuses of real commands, processes on this machine)
// are skipped through its capability flags, with the reason in the test output.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/platform.h"
#include "engine/hybrid_platform.h"
#include "platforms/local_platform.h"
#include "platforms/replay_platform.h"
#include "platforms/remote/remote_platform.h"
#include "platforms/slurm/slurm_platform.h"
#include "tests/platforms/local_platform_test_util.h"
#include "tests/platforms/remote/remote_test_util.h"
#include "tests/platforms/slurm/slurm_test_cluster.h"
#include "trials/process_group.h"
#include "trials/protocol.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using Kind = PlatformEvent::Kind;
using testing::FindExit;
using testing::IsAlive;
using testing::LinesOf;
using testing::PollUntil;
using testing::TempDir;
using testing::WaitUntilGone;

struct PlatformFactory {
  std::string name;
  // Trials run arbitrary commands whose exit codes and signals come back in kExited.
  bool reports_exit_status = false;
  // Trials are process groups on this machine: kStarted.pid is checkable here, and
  // Reclaim can end a lost trial's processes.
  bool local_processes = false;
  std::function<std::unique_ptr<Platform>(const TempDir& dir)> make;
  // Prints intermediate reports 0.5 (step 1) and 0.6 (step 2), a final 0.6, exits 0.
  std::function<TrialLaunch(int64_t seq, const std::string& trial_dir)> reporting_trial;
  // Runs until killed. With local_processes its first stdout line is the pid of a
  // background grandchild in its process group.
  std::function<TrialLaunch(int64_t seq, const std::string& trial_dir)> endless_trial;
  // Runs `shell` (reports_exit_status only).
  std::function<TrialLaunch(int64_t seq, const std::string& trial_dir, const std::string& shell)> shell_trial;
};

// gtest (and ctest's test names) show the platform's name, not the struct's bytes.
void PrintTo(const PlatformFactory& factory, std::ostream* os) { *os << factory.name; }

// ---- local ----

TrialLaunch ShellLaunch(int64_t seq, const std::string& trial_dir, const std::string& command) {
  TrialLaunch l;
  l.seq = seq;
  l.command = command;
  l.trial_dir = trial_dir;
  l.env = {{"HONE_TRIAL_DIR", trial_dir}, {"HONE_TRIAL_SEQ", std::to_string(seq)}};
  return l;
}

PlatformFactory LocalFactory() {
  PlatformFactory f;
  f.name = "local";
  f.reports_exit_status = true;
  f.local_processes = true;
  f.make = [](const TempDir&) {
    LocalPlatformOptions options;
    options.kill_grace = 1s;
    return std::make_unique<LocalPlatform>(std::move(options));
  };
  f.reporting_trial = [](int64_t seq, const std::string& dir) {
    return ShellLaunch(seq, dir,
                       "echo '@hone {\"type\":\"intermediate\",\"step\":1,\"value\":0.5}'; echo plain log; "
                       "echo '@hone {\"type\":\"intermediate\",\"step\":2,\"value\":0.6}'; "
                       "echo '@hone {\"type\":\"final\",\"value\":0.6}'");
  };
  f.endless_trial = [](int64_t seq, const std::string& dir) {
    return ShellLaunch(seq, dir, "sleep 1000 & echo $!; wait");
  };
  f.shell_trial = ShellLaunch;
  return f;
}

// ---- replay ----

std::string ReplayCurveFile(const TempDir& dir) {
  nlohmann::json endless = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) endless.push_back(0.1);
  std::string text = "{\"hone_curves\": 1, \"metric\": \"accuracy\", \"synthetic\": true}\n"
                     "{\"params\": {\"trial\": \"reporting\"}, \"values\": [0.5, 0.6], \"seconds\": 2}\n" +
                     nlohmann::json{{"params", {{"trial", "endless"}}}, {"values", endless}, {"seconds", 3600}}.dump() +
                     "\n";
  std::string path = dir / "curves.jsonl";
  testing::WriteFile(path, text);
  return path;
}

TrialLaunch ReplayLaunch(int64_t seq, const std::string& trial_dir, const std::string& which) {
  TrialLaunch l;
  l.seq = seq;
  l.command = "replay";
  l.trial_dir = trial_dir;
  l.env = {{"HONE_PARAMS", nlohmann::json{{"trial", which}}.dump()}, {"HONE_TRIAL_DIR", trial_dir}};
  return l;
}

PlatformFactory ReplayFactory() {
  PlatformFactory f;
  f.name = "replay";
  f.make = [](const TempDir& dir) -> std::unique_ptr<Platform> {
    auto curves = ReplayCurves::Load(ReplayCurveFile(dir));
    EXPECT_TRUE(curves.ok()) << curves.status().message();
    if (!curves.ok()) return nullptr;
    return std::make_unique<ReplayPlatform>(std::move(*curves), ReplayOptions{});
  };
  f.reporting_trial = [](int64_t seq, const std::string& dir) { return ReplayLaunch(seq, dir, "reporting"); };
  f.endless_trial = [](int64_t seq, const std::string& dir) { return ReplayLaunch(seq, dir, "endless"); };
  return f;
}

// ---- slurm ----

// A real single-node Slurm (tests/platforms/slurm/slurm_test_cluster.h), one per test
// process; trials are batch jobs, kStarted.pid is the job id.
PlatformFactory SlurmFactory() {
  PlatformFactory f = LocalFactory();
  f.name = "slurm";
  f.local_processes = false;
  f.make = [](const TempDir& dir) -> std::unique_ptr<Platform> {
    const testing::SlurmTestCluster& cluster = testing::SharedSlurmCluster();
    EXPECT_TRUE(cluster.ok()) << cluster.error();
    if (!cluster.ok()) return nullptr;
    SlurmOptions options;
    const char* path = std::getenv("PATH");
    options.path_env = path ? path : "/usr/bin:/bin";
    options.poll_interval = 100ms;
    options.probe_dir = dir.path();
    return std::make_unique<SlurmPlatform>(std::move(options));
  };
  return f;
}

// ---- remote ----

// A real sshd on 127.0.0.1 (tests/platforms/remote/sshd_fixture.h), one per test
// process; kStarted.pid is the trial's process group id on the host.
PlatformFactory RemoteFactory() {
  PlatformFactory f = LocalFactory();
  f.name = "remote";
  f.local_processes = false;
  f.make = [](const TempDir& dir) -> std::unique_ptr<Platform> {
    std::string why;
    testing::SshdFixture& sshd = testing::SharedSshd(&why);
    EXPECT_EQ(why, "") << "the remote platform's contract needs the test sshd";
    if (!why.empty()) return nullptr;
    return std::make_unique<RemotePlatform>(testing::TestRemoteOptions(sshd, dir / "host"));
  };
  return f;
}

// ---- hybrid: two local platforms behind one ----

PlatformFactory HybridFactory() {
  PlatformFactory f = LocalFactory();
  f.name = "hybrid";
  f.make = [](const TempDir&) {
    std::vector<HybridPlatform::Member> members;
    for (const char* name : {"local", "local"}) {
      LocalPlatformOptions options;
      options.kill_grace = 1s;
      members.push_back({name, std::make_unique<LocalPlatform>(std::move(options))});
    }
    return std::make_unique<HybridPlatform>(std::move(members));
  };
  return f;
}

// Platforms that run here alone, and those that start daemons (sshd, Slurm): the second
// group carries the ctest label `platform` (tests/CMakeLists.txt).
const PlatformFactory kFactories[] = {LocalFactory(), ReplayFactory(), HybridFactory()};
const PlatformFactory kDaemonFactories[] = {SlurmFactory(), RemoteFactory()};

// ---- the contract ----

std::vector<PlatformEvent> EventsOf(const std::vector<PlatformEvent>& events, int64_t seq) {
  std::vector<PlatformEvent> out;
  for (const auto& e : events)
    if (e.seq == seq) out.push_back(e);
  return out;
}

int CountKind(const std::vector<PlatformEvent>& events, Kind kind) {
  int n = 0;
  for (const auto& e : events) n += e.kind == kind;
  return n;
}

// One kStarted first, one kExited last, only stdout lines between.
// kWaiting (a queued trial's reason) may come only before kStarted; then kStarted first,
// kExited last, one of each.
void ExpectWellFormedLifecycle(const std::vector<PlatformEvent>& all, int64_t seq) {
  std::vector<PlatformEvent> events = EventsOf(all, seq);
  size_t waiting = 0;
  while (waiting < events.size() && events[waiting].kind == Kind::kWaiting) ++waiting;
  events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(waiting));
  EXPECT_EQ(CountKind(events, Kind::kWaiting), 0) << "trial " << seq << ": kWaiting after kStarted";
  ASSERT_GE(events.size(), 2u) << "trial " << seq;
  EXPECT_EQ(events.front().kind, Kind::kStarted) << "trial " << seq;
  EXPECT_EQ(events.back().kind, Kind::kExited) << "trial " << seq;
  EXPECT_EQ(CountKind(events, Kind::kStarted), 1) << "trial " << seq;
  EXPECT_EQ(CountKind(events, Kind::kExited), 1) << "trial " << seq;
}

class PlatformContractTest : public ::testing::TestWithParam<PlatformFactory> {
 protected:
  void SetUp() override {
    platform_ = GetParam().make(dir_);
    ASSERT_NE(platform_, nullptr);
    Status st = platform_->Start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  void TearDown() override {
    if (platform_) (void)platform_->Stop(200ms);
  }
  std::string TrialDir(int64_t seq) const { return dir_ / ("trials/" + std::to_string(seq)); }
  TrialLaunch Reporting(int64_t seq) { return GetParam().reporting_trial(seq, TrialDir(seq)); }
  TrialLaunch Endless(int64_t seq) { return GetParam().endless_trial(seq, TrialDir(seq)); }
  // Polls until trial `seq` has printed a line (endless trials: it is up and running).
  std::vector<PlatformEvent> UntilFirstLine(int64_t seq) {
    return PollUntil(*platform_, [seq](const auto& ev) { return !LinesOf(ev, seq).empty(); }, 5s);
  }
  // Nothing more arrives for `seq`.
  void ExpectQuiet(int64_t seq) {
    std::vector<PlatformEvent> more;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(platform_->Poll(20ms, &more).ok());
    EXPECT_TRUE(EventsOf(more, seq).empty()) << EventsOf(more, seq).size() << " events after the exit";
  }

  TempDir dir_;
  std::unique_ptr<Platform> platform_;
};

TEST_P(PlatformContractTest, StartedPlatformHasCapacity) {
  EXPECT_GE(platform_->Capacity(), 1);
}

TEST_P(PlatformContractTest, LaunchYieldsStartedThenReportLinesThenOneExit) {
  ASSERT_TRUE(platform_->Launch(Reporting(3)).ok());
  std::vector<PlatformEvent> events = PollUntil(*platform_, testing::ExitedSeq(3), 5s);
  ExpectWellFormedLifecycle(events, 3);
  std::vector<double> intermediate;
  std::optional<double> final_value;
  for (const auto& line : LinesOf(events, 3)) {
    Report r = ParseReportLine(line);
    if (r.kind == Report::Kind::kIntermediate) intermediate.push_back(r.value);
    if (r.kind == Report::Kind::kFinal) final_value = r.value;
  }
  EXPECT_EQ(intermediate, (std::vector<double>{0.5, 0.6}));
  EXPECT_EQ(final_value, 0.6);
  const PlatformEvent* exit = FindExit(events, 3);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(exit->signal, 0);
  ExpectQuiet(3);
}

TEST_P(PlatformContractTest, ConcurrentTrialsEachGetTheirOwnLifecycle) {
  for (int64_t seq : {0, 1, 2}) ASSERT_TRUE(platform_->Launch(Reporting(seq)).ok());
  std::vector<PlatformEvent> events = PollUntil(
      *platform_, [](const auto& ev) { return CountKind(ev, Kind::kExited) == 3; }, 5s);
  for (int64_t seq : {0, 1, 2}) ExpectWellFormedLifecycle(events, seq);
  EXPECT_EQ(events.size(), EventsOf(events, 0).size() + EventsOf(events, 1).size() + EventsOf(events, 2).size());
}

TEST_P(PlatformContractTest, KillEndsTheTrialWithExactlyOneExit) {
  ASSERT_TRUE(platform_->Launch(Endless(4)).ok());
  std::vector<PlatformEvent> events = UntilFirstLine(4);
  ASSERT_FALSE(LinesOf(events, 4).empty());
  ASSERT_EQ(CountKind(EventsOf(events, 4), Kind::kExited), 0);
  ASSERT_TRUE(platform_->Kill(4).ok());
  std::vector<PlatformEvent> rest = PollUntil(*platform_, testing::ExitedSeq(4), 5s);
  events.insert(events.end(), rest.begin(), rest.end());
  ExpectWellFormedLifecycle(events, 4);
  const PlatformEvent* exit = FindExit(events, 4);
  ASSERT_NE(exit, nullptr);
  EXPECT_TRUE(exit->signal != 0 || exit->exit_code != 0) << "a killed trial must not look like a clean exit";
  EXPECT_TRUE(platform_->Kill(4).ok()) << "killing an exited trial is a no-op";
  ExpectQuiet(4);
}

TEST_P(PlatformContractTest, KillBeforeTheFirstPollStillYieldsStartedAndOneExit) {
  ASSERT_TRUE(platform_->Launch(Endless(5)).ok());
  ASSERT_TRUE(platform_->Kill(5).ok());
  std::vector<PlatformEvent> events = PollUntil(*platform_, testing::ExitedSeq(5), 5s);
  ExpectWellFormedLifecycle(events, 5);
  ExpectQuiet(5);
}

TEST_P(PlatformContractTest, StopEndsEveryTrialWithOneExitEach) {
  for (int64_t seq : {6, 7}) ASSERT_TRUE(platform_->Launch(Endless(seq)).ok());
  std::vector<PlatformEvent> events = PollUntil(
      *platform_, [](const auto& ev) { return !LinesOf(ev, 6).empty() && !LinesOf(ev, 7).empty(); }, 5s);
  ASSERT_TRUE(platform_->Stop(500ms).ok());
  std::vector<PlatformEvent> rest = PollUntil(
      *platform_, [](const auto& ev) { return FindExit(ev, 6) && FindExit(ev, 7); }, 5s);
  events.insert(events.end(), rest.begin(), rest.end());
  for (int64_t seq : {6, 7}) ExpectWellFormedLifecycle(events, seq);
  if (GetParam().local_processes) {
    for (int64_t seq : {6, 7}) {
      pid_t grandchild = std::stoi(LinesOf(events, seq).at(0));
      EXPECT_TRUE(WaitUntilGone(grandchild, 2s)) << "trial " << seq << " left pid " << grandchild;
    }
  }
}

TEST_P(PlatformContractTest, ExitCodesAndSignalsAreReported) {
  if (!GetParam().reports_exit_status) GTEST_SKIP() << GetParam().name << " trials run no commands of their own";
  ASSERT_TRUE(platform_->Launch(GetParam().shell_trial(8, TrialDir(8), "echo oops >&2; exit 3")).ok());
  ASSERT_TRUE(platform_->Launch(GetParam().shell_trial(9, TrialDir(9), "kill -KILL $$")).ok());
  std::vector<PlatformEvent> events = PollUntil(
      *platform_, [](const auto& ev) { return FindExit(ev, 8) && FindExit(ev, 9); }, 5s);
  ExpectWellFormedLifecycle(events, 8);
  ExpectWellFormedLifecycle(events, 9);
  ASSERT_TRUE(FindExit(events, 8) && FindExit(events, 9));
  EXPECT_EQ(FindExit(events, 8)->exit_code, 3);
  EXPECT_EQ(FindExit(events, 8)->signal, 0);
  EXPECT_EQ(FindExit(events, 8)->stderr_tail, "oops");
  EXPECT_EQ(FindExit(events, 9)->signal, SIGKILL);
}

TEST_P(PlatformContractTest, KillEndsTheWholeProcessGroup) {
  if (!GetParam().local_processes) GTEST_SKIP() << GetParam().name << " trials are not processes on this machine";
  ASSERT_TRUE(platform_->Launch(Endless(10)).ok());
  std::vector<PlatformEvent> events = UntilFirstLine(10);
  std::vector<PlatformEvent> mine = EventsOf(events, 10);
  ASSERT_FALSE(mine.empty());
  ASSERT_EQ(mine.front().kind, Kind::kStarted);
  pid_t main_pid = static_cast<pid_t>(mine.front().pid);
  pid_t grandchild = std::stoi(LinesOf(events, 10).at(0));
  ASSERT_GT(main_pid, 0);
  ASSERT_TRUE(IsAlive(grandchild));
  ASSERT_TRUE(platform_->Kill(10).ok());
  std::vector<PlatformEvent> rest = PollUntil(*platform_, testing::ExitedSeq(10), 5s);
  ASSERT_NE(FindExit(rest, 10), nullptr);
  EXPECT_TRUE(WaitUntilGone(main_pid, 2s));
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s)) << "background grandchild " << grandchild << " survived the kill";
}

TEST_P(PlatformContractTest, ReclaimEndsALostTrialsProcessesOnly) {
  if (!GetParam().local_processes) {
    // Nothing of a lost trial is reachable: Reclaim is a no-op that succeeds.
    EXPECT_TRUE(platform_->Reclaim(11, TrialDir(11), 4242).ok());
    EXPECT_TRUE(platform_->Reclaim(11, TrialDir(11), 0).ok());
    return;
  }
  // What a dead manager left: a trial's process group, started the way the platform
  // starts trials, with a grandchild; and an unrelated group that must survive.
  auto lost = ProcessGroup::Spawn({.command = "sleep 1000 & echo $! > grandchild; wait",
                                   .working_dir = dir_.path(),
                                   .env = {{"HONE_TRIAL_DIR", TrialDir(11)}}});
  auto other = ProcessGroup::Spawn({.command = "sleep 1000", .env = {{"HONE_TRIAL_DIR", TrialDir(12)}}});
  ASSERT_TRUE(lost.ok() && other.ok());
  pid_t grandchild = 0;
  for (int i = 0; i < 400 && grandchild == 0; ++i) {
    std::string text = testing::ReadFile(dir_ / "grandchild");
    if (!text.empty() && text.back() == '\n') grandchild = std::stoi(text);
    else std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(grandchild, 0);

  // A wrong directory for the group spares it; the right one ends all of it.
  EXPECT_TRUE(platform_->Reclaim(11, TrialDir(12), (*lost)->pid()).ok());
  EXPECT_TRUE(IsAlive(grandchild));
  EXPECT_TRUE(platform_->Reclaim(11, TrialDir(11), (*lost)->pid()).ok());
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s));
  EXPECT_TRUE(WaitUntilGone((*lost)->pid(), 2s));
  EXPECT_TRUE(IsAlive((*other)->pid())) << "Reclaim touched a process of another trial";
}

INSTANTIATE_TEST_SUITE_P(Platforms, PlatformContractTest, ::testing::ValuesIn(kFactories),
                         [](const ::testing::TestParamInfo<PlatformFactory>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(DaemonPlatforms, PlatformContractTest, ::testing::ValuesIn(kDaemonFactories),
                         [](const ::testing::TestParamInfo<PlatformFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace hone
