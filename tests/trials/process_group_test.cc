#include "trials/process_group.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <filesystem>

#include <gtest/gtest.h>

#include "trials/run_command.h"

namespace hone {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Alive and not a zombie waiting for some parent to reap it.
bool IsAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

bool WaitUntilGone(pid_t pid, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (IsAlive(pid)) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Reads stdout until a full line is there (blocking via poll).
std::string ReadLine(ProcessGroup& g, std::chrono::milliseconds limit = 5s) {
  std::string line;
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    pollfd p{g.stdout_fd(), POLLIN, 0};
    poll(&p, 1, 50);
    char c;
    while (read(g.stdout_fd(), &c, 1) == 1) {
      if (c == '\n') return line;
      line.push_back(c);
    }
  }
  return line;
}

// Waits for the exit the way the platform does: poll on the pidfd, then TryReap.
std::optional<ExitStatus> WaitExit(ProcessGroup& g, std::chrono::milliseconds limit = 5s) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    g.Escalate(Clock::now());
    if (g.exit_fd() >= 0) {
      pollfd p{g.exit_fd(), POLLIN, 0};
      poll(&p, 1, 20);
    } else {
      std::this_thread::sleep_for(5ms);
    }
    if (auto s = g.TryReap()) return s;
  }
  return std::nullopt;
}

std::unique_ptr<ProcessGroup> SpawnOrDie(SpawnOptions options) {
  StatusOr<std::unique_ptr<ProcessGroup>> g = ProcessGroup::Spawn(options);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(*g) : nullptr;
}

TEST(ProcessGroupTest, ReportsExitCode) {
  auto g = SpawnOrDie({.command = "exit 3"});
  ASSERT_TRUE(g);
  std::optional<ExitStatus> s = WaitExit(*g);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->exit_code, 3);
  EXPECT_EQ(s->signal, 0);
  EXPECT_TRUE(g->reaped());
}

TEST(ProcessGroupTest, ReportsDeathBySignal) {
  auto g = SpawnOrDie({.command = "kill -SEGV $$"});
  ASSERT_TRUE(g);
  std::optional<ExitStatus> s = WaitExit(*g);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGSEGV);
  EXPECT_EQ(s->exit_code, 128 + SIGSEGV);
}

TEST(ProcessGroupTest, RunsInItsOwnProcessGroup) {
  auto g = SpawnOrDie({.command = "cut -d' ' -f5 /proc/$$/stat"});
  ASSERT_TRUE(g);
  std::string pgid = ReadLine(*g);
  EXPECT_EQ(std::stoi(pgid), g->pid());
  EXPECT_NE(g->pid(), getpgrp());
}

TEST(ProcessGroupTest, EnvironmentAndWorkingDirectory) {
  setenv("HONE_PG_TEST_INHERITED", "inherited", 1);
  auto g = SpawnOrDie({.command = "echo \"$HONE_PG_TEST_INHERITED $FOO $(pwd)\"",
                       .working_dir = "/tmp",
                       .env = {{"FOO", "bar baz"}}});
  ASSERT_TRUE(g);
  EXPECT_EQ(ReadLine(*g), "inherited bar baz /tmp");
  unsetenv("HONE_PG_TEST_INHERITED");
}

TEST(ProcessGroupTest, OverridesReplaceInheritedVariables) {
  setenv("HONE_PG_TEST_X", "old", 1);
  auto g = SpawnOrDie({.command = "env | grep -c '^HONE_PG_TEST_X='; echo $HONE_PG_TEST_X",
                       .env = {{"HONE_PG_TEST_X", "new"}}});
  ASSERT_TRUE(g);
  EXPECT_EQ(ReadLine(*g), "1");
  EXPECT_EQ(ReadLine(*g), "new");
  unsetenv("HONE_PG_TEST_X");
}

TEST(ProcessGroupTest, StdinIsDevNull) {
  auto g = SpawnOrDie({.command = "cat; echo done"});
  ASSERT_TRUE(g);
  EXPECT_EQ(ReadLine(*g), "done");
}

TEST(ProcessGroupTest, SignalStateIsResetForTheChild) {
  struct sigaction old_pipe;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask);

  auto g = SpawnOrDie({.command = "grep -E '^Sig(Blk|Ign)' /proc/self/status"});

  sigaction(SIGPIPE, &old_pipe, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ASSERT_TRUE(g);
  std::string blocked = ReadLine(*g), ignored = ReadLine(*g);
  EXPECT_EQ(blocked, "SigBlk:\t0000000000000000");
  // Signals 1-31 (bits 0-30); glibc keeps its internal signals 32 and 33 ignored.
  ASSERT_EQ(ignored.substr(0, 8), "SigIgn:\t");
  uint64_t mask = std::stoull(ignored.substr(8), nullptr, 16);
  EXPECT_EQ(mask & 0x7FFFFFFFu, 0u) << ignored;
}

TEST(ProcessGroupTest, OurDescriptorsDoNotLeakIntoTheChild) {
  int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  auto g = SpawnOrDie({.command = "test -e /proc/$$/fd/" + std::to_string(leaky) + " && echo leaked || echo clean"});
  close(leaky);
  ASSERT_TRUE(g);
  EXPECT_EQ(ReadLine(*g), "clean");
}

TEST(ProcessGroupTest, ExitOfTheMainProcessKillsGrandchildrenHoldingStdout) {
  // The shell exits at once; its background sleep keeps stdout open.
  auto g = SpawnOrDie({.command = "sleep 1000 & echo $!"});
  ASSERT_TRUE(g);
  pid_t grandchild = std::stoi(ReadLine(*g));
  ASSERT_TRUE(IsAlive(grandchild));
  auto start = Clock::now();
  std::optional<ExitStatus> s = WaitExit(*g);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->exit_code, 0);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s));
}

TEST(ProcessGroupTest, TerminateReachesTheWholeGroup) {
  auto g = SpawnOrDie({.command = "sleep 1000 & echo $!; wait"});
  ASSERT_TRUE(g);
  pid_t grandchild = std::stoi(ReadLine(*g));
  g->Terminate(3s, Clock::now());
  std::optional<ExitStatus> s = WaitExit(*g);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGTERM);
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s));
}

TEST(ProcessGroupTest, TerminateEscalatesToSigkillAfterTheGrace) {
  // SIG_IGN survives exec, so the sleep ignores SIGTERM as well.
  auto g = SpawnOrDie({.command = "trap '' TERM; sleep 1000 & echo $!; wait"});
  ASSERT_TRUE(g);
  pid_t grandchild = std::stoi(ReadLine(*g));
  auto start = Clock::now();
  g->Terminate(300ms, start);
  EXPECT_TRUE(g->kill_deadline().has_value());
  std::optional<ExitStatus> s = WaitExit(*g);
  auto elapsed = Clock::now() - start;
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGKILL);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s));
}

TEST(ProcessGroupTest, RepeatedTerminateOnlyBringsTheDeadlineCloser) {
  auto g = SpawnOrDie({.command = "trap '' TERM; echo ready; sleep 1000"});
  ASSERT_TRUE(g);
  ASSERT_EQ(ReadLine(*g), "ready");
  auto now = Clock::now();
  g->Terminate(10s, now);
  g->Terminate(20s, now);
  EXPECT_EQ(*g->kill_deadline(), now + 10s);
  g->Terminate(0ms, now);
  EXPECT_EQ(*g->kill_deadline(), now);
  std::optional<ExitStatus> s = WaitExit(*g);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGKILL);
}

TEST(ProcessGroupTest, DestructorKillsAndReapsTheGroup) {
  pid_t main_pid, grandchild;
  {
    auto g = SpawnOrDie({.command = "sleep 1000 & echo $!; wait"});
    ASSERT_TRUE(g);
    grandchild = std::stoi(ReadLine(*g));
    main_pid = g->pid();
  }
  EXPECT_EQ(waitpid(main_pid, nullptr, WNOHANG), -1);  // already reaped
  EXPECT_EQ(errno, ECHILD);
  EXPECT_TRUE(WaitUntilGone(grandchild, 2s));
}

TEST(ProcessGroupTest, MissingWorkingDirectoryIsAnIoError) {
  StatusOr<std::unique_ptr<ProcessGroup>> g =
      ProcessGroup::Spawn({.command = "true", .working_dir = "/nonexistent/hone/dir"});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kIo);
  EXPECT_NE(g.status().message().find("/nonexistent/hone/dir"), std::string::npos) << g.status().message();
}

TEST(ProcessGroupTest, ExecutesArgvDirectly) {
  auto g = SpawnOrDie({.argv = {"/bin/echo", "a  b", "$HOME"}});
  ASSERT_TRUE(g);
  EXPECT_EQ(ReadLine(*g), "a  b $HOME");
  StatusOr<std::unique_ptr<ProcessGroup>> missing = ProcessGroup::Spawn({.argv = {"/nonexistent/tool"}});
  EXPECT_FALSE(missing.ok());
}

TEST(ProcessGroupTest, PlainCommandsRunWithoutAShell) {
  auto g = SpawnOrDie({.command = "sleep 30"});
  ASSERT_TRUE(g);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink("/proc/" + std::to_string(g->pid()) + "/exe", ec).string();
  EXPECT_NE(exe.find("sleep"), std::string::npos) << exe;
  g->KillAndReap();
}

TEST(ProcessGroupTest, ShellSyntaxAndUnknownProgramsGoThroughTheShell) {
  auto words = SpawnOrDie({.command = "echo  a   b"});
  ASSERT_TRUE(words);
  EXPECT_EQ(ReadLine(*words), "a b");
  auto quoted = SpawnOrDie({.command = "echo 'a   b' \"$HONE_PG_UNSET\"x"});
  ASSERT_TRUE(quoted);
  EXPECT_EQ(ReadLine(*quoted), "a   b x");
  auto missing = SpawnOrDie({.command = "hone_no_such_program_xyz arg"});
  ASSERT_TRUE(missing);
  std::optional<ExitStatus> s = WaitExit(*missing);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->exit_code, 127);
}

TEST(RunCommandTest, CollectsOutputAndStatus) {
  StatusOr<CommandOutput> out = RunCommand({.command = "echo out; echo err >&2; exit 4"}, 5s);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->stdout_text, "out\n");
  EXPECT_EQ(out->stderr_text, "err\n");
  EXPECT_EQ(out->status.exit_code, 4);
}

TEST(RunCommandTest, LargeOutputIsComplete) {
  StatusOr<CommandOutput> out = RunCommand({.command = "head -c 3000000 /dev/zero"}, 10s);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->stdout_text.size(), 3000000u);
}

TEST(RunCommandTest, OverrunningCommandsAreKilled) {
  auto start = Clock::now();
  StatusOr<CommandOutput> out = RunCommand({.command = "sleep 1000"}, 200ms);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, 3s);
}

}  // namespace
}  // namespace hone
