// End-to-end: trials whose processes leave their process group (a setsid grandchild and
// a double-forked daemon) do not outlive `hone run`, nor a SIGKILLed manager once
// `hone resume` has run.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e_util.h"

namespace hone::e2e {
namespace {

// Alive and not a zombie.
bool IsAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool WaitUntil(const std::function<bool()>& pred, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

pid_t ReadPid(const std::string& path) {
  pid_t pid = 0;
  WaitUntil([&] {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty() || text.back() != '\n') return false;
    pid = static_cast<pid_t>(std::stol(text));
    return true;
  }, 30);
  return pid;
}

// SIGKILLs the `sleep` escapees a failed test left running.
struct Escapees {
  std::vector<pid_t> pids;
  ~Escapees() {
    for (pid_t pid : pids) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
      std::string first;
      std::getline(in, first, '\0');
      if (first == "sleep") kill(pid, SIGKILL);
    }
  }
};

// A trial that starts both escapees (pids in <work>/setsid-<seq>.pid, daemon-<seq>.pid),
// then waits forever when its seq is `hang_seq`, else reports a final result and exits.
std::string EscapingTrial(const HoneEnv& env, int hang_seq) {
  std::string w = env.work();
  return env.WriteFile("escape.sh",
      "setsid sh -c 'echo $$ > \"$1\"; exec sleep 1000' sh \"" + w + "/setsid-$HONE_TRIAL_SEQ.pid\" &\n"
      "(setsid sh -c 'sleep 1000 & echo $! > \"$1\"' sh \"" + w + "/daemon-$HONE_TRIAL_SEQ.pid\" &)\n"
      "if [ \"$HONE_TRIAL_SEQ\" = " + std::to_string(hang_seq) + " ]; then wait; fi\n"
      "sleep 0.2\necho '@hone {\"type\":\"final\",\"value\":1}'\n");
}

const char* kSpace = "  x: {_type: uniform, _value: [0, 1]}\n";

TEST(TrialEscapeTest, NothingATrialStartedOutlivesHoneRun) {
  HoneEnv env;
  std::string script = EscapingTrial(env, -1);
  auto cfg = env.WriteFile("exp.yaml", Config("/bin/sh " + script, 2, 2, kSpace));
  RunResult r = env.Run({"run", cfg}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Escapees left;
  for (int seq : {0, 1}) {
    for (std::string kind : {"setsid", "daemon"}) {
      pid_t pid = ReadPid(env.work() + "/" + kind + "-" + std::to_string(seq) + ".pid");
      left.pids.push_back(pid);
      ASSERT_GT(pid, 0) << kind << " of trial " << seq << " never started";
      EXPECT_TRUE(WaitUntil([&] { return !IsAlive(pid); }, 2)) << kind << " of trial " << seq << " outlived hone run";
    }
  }
}

TEST(TrialEscapeTest, ResumeEndsWhatTheTrialsOfAKilledManagerLeft) {
  HoneEnv env;
  std::string script = EscapingTrial(env, 0);
  auto cfg = env.WriteFile("exp.yaml", Config("/bin/sh " + script, 1, 1, kSpace));
  pid_t manager = env.Start({"run", cfg});
  Escapees left;
  pid_t setsid_pid = ReadPid(env.work() + "/setsid-0.pid");
  pid_t daemon_pid = ReadPid(env.work() + "/daemon-0.pid");
  left.pids = {setsid_pid, daemon_pid};
  ASSERT_TRUE(setsid_pid > 0 && daemon_pid > 0);
  ASSERT_EQ(kill(manager, SIGKILL), 0);
  env.Wait(manager, 30);
  // Nobody ended them: the manager died.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(IsAlive(setsid_pid) && IsAlive(daemon_pid));

  RunResult r = env.Run({"resume", env.OnlyExperimentId()}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(WaitUntil([&] { return !IsAlive(setsid_pid); }, 2)) << "setsid grandchild outlived resume";
  EXPECT_TRUE(WaitUntil([&] { return !IsAlive(daemon_pid); }, 2)) << "daemon outlived resume";
}

}  // namespace
}  // namespace hone::e2e
