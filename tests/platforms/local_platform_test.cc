#include "platforms/local_platform.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/platforms/local_platform_test_util.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = PlatformEvent::Kind;
using testing::ExitedSeq;
using testing::FindExit;
using testing::LinesOf;
using testing::PollUntil;
using testing::ReadFile;
using testing::TempDir;

// Run with pidfds and without (what kernels before 5.3 get: exits found by looking).
class LocalPlatformTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<LocalPlatform> Make(LocalPlatformOptions options = {}) {
    options.use_pidfd = GetParam();
    auto p = std::make_unique<LocalPlatform>(std::move(options));
    Status st = p->Start();
    EXPECT_TRUE(st.ok()) << st.message();
    return p;
  }
  TrialLaunch Trial(int64_t seq, std::string command) {
    TrialLaunch l;
    l.seq = seq;
    l.command = std::move(command);
    l.working_dir = dir_.path();
    l.trial_dir = TrialDir(seq);
    return l;
  }
  std::string TrialDir(int64_t seq) { return dir_ / ("trials/" + std::to_string(seq)); }

  TempDir dir_;
};

TEST_P(LocalPlatformTest, StartedLinesThenExactlyOneExit) {
  auto p = Make();
  TrialLaunch l = Trial(7, "echo hello; echo '@hone {\"type\":\"final\",\"value\":1}'; printf 'last'");
  ASSERT_TRUE(p->Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(7));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, Kind::kStarted);
  EXPECT_EQ(LinesOf(events, 7), (std::vector<std::string>{"hello", "@hone {\"type\":\"final\",\"value\":1}", "last"}));
  EXPECT_EQ(events[4].kind, Kind::kExited);
  EXPECT_EQ(events[4].exit_code, 0);
  EXPECT_EQ(events[4].signal, 0);
  EXPECT_EQ(ReadFile(l.trial_dir + "/stdout.log"), "hello\n@hone {\"type\":\"final\",\"value\":1}\nlast");
  EXPECT_TRUE(std::filesystem::is_directory(l.trial_dir + "/output"));

  // Nothing more for this trial, ever.
  std::vector<PlatformEvent> more;
  ASSERT_TRUE(p->Poll(50ms, &more).ok());
  EXPECT_TRUE(more.empty());
}

TEST_P(LocalPlatformTest, EnvironmentAndWorkingDirectory) {
  auto p = Make();
  TrialLaunch l = Trial(1, "echo \"$HONE_TRIAL_SEQ $HONE_PARAMS\"; pwd");
  l.env = {{"HONE_TRIAL_SEQ", "1"}, {"HONE_PARAMS", "{\"lr\": 0.1}"}};
  ASSERT_TRUE(p->Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(1));
  EXPECT_EQ(LinesOf(events, 1),
            (std::vector<std::string>{"1 {\"lr\": 0.1}", std::filesystem::canonical(dir_.path()).string()}));
}

TEST_P(LocalPlatformTest, ExitCodeAndStderrTail) {
  auto p = Make();
  TrialLaunch l = Trial(2, "i=1; while [ $i -le 30 ]; do echo err$i >&2; i=$((i+1)); done; exit 3");
  ASSERT_TRUE(p->Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(2));
  const PlatformEvent* exit = FindExit(events, 2);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_code, 3);
  std::string expected_tail;
  for (int i = 11; i <= 30; ++i) expected_tail += (i > 11 ? "\nerr" : "err") + std::to_string(i);
  EXPECT_EQ(exit->stderr_tail, expected_tail);
  std::string log = ReadFile(l.trial_dir + "/stderr.log");
  EXPECT_EQ(log.substr(0, 5), "err1\n");
  EXPECT_EQ(log.size(), 9 * 5 + 21 * 6u);
}

TEST_P(LocalPlatformTest, DeathBySignal) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(3, "kill -KILL $$")).ok());
  const PlatformEvent* exit;
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(3));
  exit = FindExit(events, 3);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
}

TEST_P(LocalPlatformTest, KillEndsTheWholeGroupIncludingGrandchildren) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(4, "sleep 1000 & echo $!; wait")).ok());
  std::vector<PlatformEvent> events =
      PollUntil(*p, [](const auto& ev) { return !LinesOf(ev, 4).empty(); });
  ASSERT_EQ(LinesOf(events, 4).size(), 1u);
  pid_t grandchild = std::stoi(LinesOf(events, 4)[0]);
  ASSERT_TRUE(testing::IsAlive(grandchild));

  auto start = Clock::now();
  ASSERT_TRUE(p->Kill(4).ok());
  events = PollUntil(*p, ExitedSeq(4));
  ASSERT_TRUE(FindExit(events, 4));
  EXPECT_EQ(FindExit(events, 4)->signal, SIGTERM);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
  EXPECT_TRUE(p->Kill(4).ok());  // already exited: nothing to do
}

TEST_P(LocalPlatformTest, KillEscalatesToSigkillInsideOneLongPoll) {
  LocalPlatformOptions options;
  options.kill_grace = 300ms;
  auto p = Make(std::move(options));
  ASSERT_TRUE(p->Launch(Trial(5, "trap '' TERM; sleep 1000 & echo $!; wait")).ok());
  std::vector<PlatformEvent> events =
      PollUntil(*p, [](const auto& ev) { return !LinesOf(ev, 5).empty(); });
  pid_t grandchild = std::stoi(LinesOf(events, 5).at(0));

  auto start = Clock::now();
  ASSERT_TRUE(p->Kill(5).ok());
  std::vector<PlatformEvent> exit_events;
  ASSERT_TRUE(p->Poll(10s, &exit_events).ok());
  auto elapsed = Clock::now() - start;
  ASSERT_EQ(exit_events.size(), 1u);
  EXPECT_EQ(exit_events[0].kind, Kind::kExited);
  EXPECT_EQ(exit_events[0].signal, SIGKILL);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
}

TEST_P(LocalPlatformTest, ExitIsReportedPromptlyWhileAGrandchildHoldsStdout) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(6, "sleep 1000 & echo $!")).ok());
  auto start = Clock::now();
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(6), 5s);
  ASSERT_TRUE(FindExit(events, 6));
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(FindExit(events, 6)->exit_code, 0);
  pid_t grandchild = std::stoi(LinesOf(events, 6).at(0));
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
}

TEST_P(LocalPlatformTest, LongLinesAreTruncatedForPollButCompleteInTheLog) {
  LocalPlatformOptions options;
  options.output_limits.max_line_bytes = 1 << 20;
  auto p = Make(std::move(options));
  TrialLaunch l = Trial(8, "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo after");
  ASSERT_TRUE(p->Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(8));
  std::vector<const PlatformEvent*> lines;
  for (const auto& e : events) {
    if (e.kind == Kind::kStdoutLine) lines.push_back(&e);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]->line.size(), 1u << 20);
  EXPECT_TRUE(lines[0]->truncated);
  EXPECT_EQ(lines[0]->line.find_first_not_of('x'), std::string::npos);
  EXPECT_EQ(lines[1]->line, "after");
  EXPECT_FALSE(lines[1]->truncated);
  std::string log = ReadFile(l.trial_dir + "/stdout.log");
  EXPECT_EQ(log.size(), 3000000u + 1 + 6);
  EXPECT_EQ(log.substr(3000000), "\nafter\n");
}

TEST_P(LocalPlatformTest, InvalidUtf8PassesThroughByteForByte) {
  auto p = Make();
  TrialLaunch l = Trial(9, "printf 'a\\377\\376b\\n\\300\\n'; printf 'e\\377\\n' >&2; exit 1");
  ASSERT_TRUE(p->Launch(l).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(9));
  EXPECT_EQ(LinesOf(events, 9), (std::vector<std::string>{"a\xFF\xFE" "b", "\xC0"}));
  EXPECT_EQ(ReadFile(l.trial_dir + "/stdout.log"), "a\xFF\xFE" "b\n\xC0\n");
  EXPECT_EQ(ReadFile(l.trial_dir + "/stderr.log"), "e\xFF\n");
  EXPECT_EQ(FindExit(events, 9)->stderr_tail, "e\xEF\xBF\xBD");  // the tail is made valid UTF-8
}

TEST_P(LocalPlatformTest, PollWaitsForItsTimeoutWhenNothingHappens) {
  auto p = Make();
  std::vector<PlatformEvent> events;
  auto start = Clock::now();
  ASSERT_TRUE(p->Poll(150ms, &events).ok());
  auto idle = Clock::now() - start;
  EXPECT_TRUE(events.empty());
  EXPECT_GE(idle, 150ms);
  EXPECT_LT(idle, 600ms);

  ASSERT_TRUE(p->Launch(Trial(10, "exec sleep 1000")).ok());
  ASSERT_TRUE(p->Poll(1s, &events).ok());
  ASSERT_EQ(events.size(), 1u);  // kStarted, at once
  EXPECT_EQ(events[0].kind, Kind::kStarted);
  events.clear();
  start = Clock::now();
  ASSERT_TRUE(p->Poll(150ms, &events).ok());
  auto busy = Clock::now() - start;
  EXPECT_TRUE(events.empty());
  EXPECT_GE(busy, 150ms);
  EXPECT_LT(busy, 600ms);
}

TEST_P(LocalPlatformTest, PollReturnsAsSoonAsATrialExits) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(11, "exec sleep 0.2")).ok());
  std::vector<PlatformEvent> events;
  ASSERT_TRUE(p->Poll(1s, &events).ok());  // kStarted
  events.clear();
  auto start = Clock::now();
  ASSERT_TRUE(p->Poll(10s, &events).ok());
  EXPECT_LT(Clock::now() - start, 1s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kExited);
}

TEST_P(LocalPlatformTest, ManyShortTrialsEachExitExactlyOnce) {
  auto p = Make();
  const int kTrials = 300, kConcurrency = 8;
  std::map<int64_t, int> started, exited;
  int launched = 0, running = 0;
  auto start = Clock::now();
  while (static_cast<int>(exited.size()) < kTrials && Clock::now() - start < 60s) {
    while (running < kConcurrency && launched < kTrials && p->Capacity() > 0) {
      ASSERT_TRUE(p->Launch(Trial(launched, "true")).ok());
      ++launched;
      ++running;
    }
    std::vector<PlatformEvent> events;
    ASSERT_TRUE(p->Poll(100ms, &events).ok());
    for (const auto& e : events) {
      if (e.kind == Kind::kStarted) ++started[e.seq];
      if (e.kind == Kind::kExited) {
        ++exited[e.seq];
        --running;
        EXPECT_EQ(e.exit_code, 0);
      }
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(exited.size(), static_cast<size_t>(kTrials));
  for (const auto& [seq, n] : exited) EXPECT_EQ(n, 1) << seq;
  for (const auto& [seq, n] : started) EXPECT_EQ(n, 1) << seq;
  EXPECT_EQ(started.size(), static_cast<size_t>(kTrials));
  std::cout << kTrials << " trials in " << seconds << " s (" << kTrials / seconds << " /s)\n";
}

TEST_P(LocalPlatformTest, KillRightAfterLaunchStillGivesOneExit) {
  auto p = Make();
  for (int seq = 0; seq < 20; ++seq) {
    ASSERT_TRUE(p->Launch(Trial(seq, seq % 2 ? "true" : "exec sleep 1000")).ok());
    ASSERT_TRUE(p->Kill(seq).ok());
  }
  std::map<int64_t, int> exits;
  PollUntil(*p, [&](const auto& ev) {
    exits.clear();
    for (const auto& e : ev) {
      if (e.kind == Kind::kExited) ++exits[e.seq];
    }
    return exits.size() == 20;
  });
  ASSERT_EQ(exits.size(), 20u);
  for (const auto& [seq, n] : exits) EXPECT_EQ(n, 1);
}

TEST_P(LocalPlatformTest, StopKillsEverythingAndTheNextPollReportsIt) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(1, "sleep 1000 & echo $!; wait")).ok());
  ASSERT_TRUE(p->Launch(Trial(2, "trap '' TERM; echo ready; sleep 1000")).ok());
  std::vector<PlatformEvent> events = PollUntil(
      *p, [](const auto& ev) { return !LinesOf(ev, 1).empty() && !LinesOf(ev, 2).empty(); });
  pid_t grandchild = std::stoi(LinesOf(events, 1).at(0));
  auto start = Clock::now();
  ASSERT_TRUE(p->Stop(300ms).ok());
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(p->Capacity(), 0);
  EXPECT_EQ(p->Launch(Trial(3, "true")).code(), StatusCode::kFailedPrecondition);
  events.clear();
  ASSERT_TRUE(p->Poll(0ms, &events).ok());
  ASSERT_TRUE(FindExit(events, 1));
  ASSERT_TRUE(FindExit(events, 2));
  EXPECT_EQ(FindExit(events, 1)->signal, SIGTERM);
  EXPECT_EQ(FindExit(events, 2)->signal, SIGKILL);
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
}

TEST_P(LocalPlatformTest, DestructorKillsRunningTrials) {
  pid_t grandchild;
  {
    auto p = Make();
    ASSERT_TRUE(p->Launch(Trial(1, "sleep 1000 & echo $!; wait")).ok());
    std::vector<PlatformEvent> events = PollUntil(*p, [](const auto& ev) { return !LinesOf(ev, 1).empty(); });
    grandchild = std::stoi(LinesOf(events, 1).at(0));
  }
  EXPECT_TRUE(testing::WaitUntilGone(grandchild, 2s));
}

TEST_P(LocalPlatformTest, LifecycleErrors) {
  LocalPlatformOptions options;
  options.use_pidfd = GetParam();
  LocalPlatform p{options};
  EXPECT_EQ(p.Capacity(), 0);
  EXPECT_EQ(p.Launch(Trial(0, "true")).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(p.Start().ok());
  EXPECT_EQ(p.Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(p.Capacity(), LocalPlatform::kUnlimited);
  EXPECT_EQ(p.Kill(42).code(), StatusCode::kNotFound);

  ASSERT_TRUE(p.Launch(Trial(0, "exec sleep 1000")).ok());
  EXPECT_EQ(p.Launch(Trial(0, "true")).code(), StatusCode::kAlreadyExists);

  TrialLaunch bad = Trial(1, "true");
  bad.working_dir = dir_ / "missing";
  Status st = p.Launch(bad);
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find("trial 1"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("missing"), std::string::npos) << st.message();
  EXPECT_EQ(p.Kill(1).code(), StatusCode::kNotFound);  // never launched

  std::vector<PlatformEvent> events;
  ASSERT_TRUE(p.Poll(50ms, &events).ok());
  ASSERT_EQ(events.size(), 1u);  // only trial 0's kStarted
  EXPECT_EQ(events[0].seq, 0);
  ASSERT_TRUE(p.Stop(1s).ok());
}

TEST_P(LocalPlatformTest, CudaVisibleDevicesInheritedWhenTrialGpuNumberIsUnset) {
  auto p = Make();
  ASSERT_TRUE(p->Launch(Trial(1, "echo \"${CUDA_VISIBLE_DEVICES-unset}\"")).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(1));
  const char* inherited = std::getenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(LinesOf(events, 1).at(0), inherited ? inherited : "unset");
  EXPECT_EQ(events.at(0).devices, inherited ? inherited : "");
}

TEST_P(LocalPlatformTest, ZeroGpusMeansAnEmptyCudaVisibleDevices) {
  LocalPlatformOptions options;
  options.trial_gpu_number = 0;
  auto p = Make(std::move(options));  // no GPU discovery needed
  EXPECT_EQ(p->Capacity(), LocalPlatform::kUnlimited);
  ASSERT_TRUE(p->Launch(Trial(1, "echo \"${CUDA_VISIBLE_DEVICES+set}:$CUDA_VISIBLE_DEVICES\"")).ok());
  std::vector<PlatformEvent> events = PollUntil(*p, ExitedSeq(1));
  EXPECT_EQ(LinesOf(events, 1).at(0), "set:");
  EXPECT_EQ(events.at(0).kind, Kind::kStarted);
  EXPECT_EQ(events.at(0).devices, "");
}

INSTANTIATE_TEST_SUITE_P(ExitWakeups, LocalPlatformTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Pidfd" : "Polling"; });

}  // namespace
}  // namespace hone
