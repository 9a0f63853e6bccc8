// Helpers for tests of processes that try to outlive their trial: a shell command that
// leaves a setsid grandchild and a double-forked daemon behind (their pids in files),
// and a guard that ends whatever of them a failing test left running.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace hone::testing {

// `sh` code that starts `sleep 1000` twice where the trial's process group cannot reach
// it: in a new session (setsid) with its pid in <dir>/setsid.pid, and as a daemon whose
// parent has exited with its pid in <dir>/daemon.pid. With `wait`, the main process then
// waits (forever); without, it exits at once.
inline std::string EscapingCommand(const std::string& dir, bool wait) {
  std::string command = "setsid sh -c 'echo $$ > \"$1\"; exec sleep 1000' sh '" + dir + "/setsid.pid' & " +
                        "(setsid sh -c 'sleep 1000 & echo $! > \"$1\"' sh '" + dir + "/daemon.pid' &); ";
  return command + (wait ? "wait" : "sleep 0.2");
}

// The pid in `path` once a whole line is there; 0 after `limit`.
inline pid_t ReadPidFile(const std::string& path, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

inline bool IsSleep(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string first;
  std::getline(in, first, '\0');
  return first == "sleep" || first == "/usr/bin/sleep" || first == "/bin/sleep";
}

// SIGKILLs, at the end of a test, the listed `sleep` processes this test started that
// are still there (a test that failed leaves nothing behind).
class EscapeeGuard {
 public:
  ~EscapeeGuard() {
    for (pid_t pid : pids_)
      if (pid > 0 && IsSleep(pid)) kill(pid, SIGKILL);
  }
  pid_t Add(pid_t pid) {
    pids_.push_back(pid);
    return pid;
  }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace hone::testing
