// ProcessGroup: one command running in its own process group, its stdout and stderr on
// non-blocking pipes, plus an fd that turns readable when it exits (pidfd). Ending it
// always ends the whole group (kill(-pgid)), so grandchildren never outlive a trial.
//
//   auto group = ProcessGroup::Spawn({.command = "python3 train.py", .working_dir = dir});
//   ... poll(2) on stdout_fd(), stderr_fd(), exit_fd() ...
//   group->Terminate(3s, now);    // SIGTERM to the group now,
//   group->Escalate(now);         // SIGKILL once the grace has passed (call it from the loop)
//   if (std::optional<ExitStatus> s = group->TryReap()) ...  // exited; rest of group SIGKILLed
//
// Not thread-safe; one owner. Children leave the group by calling setpgid/setsid
// themselves (a daemon does); give the spawn a TrialScope (trials/trial_scope.h) and
// every signal and kill reaches those too.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

class TrialScope;

struct SpawnOptions {
  std::string command = {};            // run as `/bin/sh -c <command>`
  std::vector<std::string> argv = {};  // instead of command when not empty; argv[0] is a path
  std::string working_dir = {};        // "" = this process's
  std::map<std::string, std::string> env = {};  // set on top of this process's environment
  // false: no exit fd, as on kernels without pidfd_open; exits are then found by TryReap.
  bool open_exit_fd = true;
  // Borrowed, must outlive the group. The child joins it before it runs the command (a
  // /bin/sh that writes its pid to scope->join_file(), then execs it), and whatever the
  // group is sent, the scope is sent too.
  TrialScope* scope = nullptr;
};

struct ExitStatus {
  int exit_code = 0;  // the exit status, or 128 + signal when a signal killed it
  int signal = 0;     // the signal that killed it; 0 when it exited by itself
};

class ProcessGroup {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts the command with stdin from /dev/null, in a new process group, with default
  // signal dispositions and an empty signal mask, and no fd of ours but 0-2 inherited.
  static StatusOr<std::unique_ptr<ProcessGroup>> Spawn(const SpawnOptions& options);

  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;
  // SIGKILLs the group when it still runs and reaps it: no zombies, no leftovers.
  ~ProcessGroup();

  pid_t pid() const { return pid_; }  // also the process group id
  int stdout_fd() const { return stdout_fd_; }  // non-blocking; -1 once closed
  int stderr_fd() const { return stderr_fd_; }
  // Readable once the main process has exited; -1 on kernels without pidfd_open (< 5.3),
  // where callers must call TryReap periodically.
  int exit_fd() const { return exit_fd_; }
  void CloseStdout();
  void CloseStderr();

  // Sends `sig` to every process in the group and the scope; nothing once reaped.
  void SignalGroup(int sig);
  // SIGTERM to the group (once) and a SIGKILL deadline `grace` from `now`; a repeated
  // call can only bring the deadline closer.
  void Terminate(std::chrono::milliseconds grace, Clock::time_point now);
  // Sends the SIGKILL when the deadline has passed.
  void Escalate(Clock::time_point now);
  // The pending SIGKILL deadline, if any.
  std::optional<Clock::time_point> kill_deadline() const { return kill_deadline_; }

  // Never blocks. nullopt while the main process runs; once it has exited, SIGKILLs what is
  // left of the group, reaps the main process and returns (and keeps) its status.
  std::optional<ExitStatus> TryReap();
  // SIGKILLs the group and waits for the main process.
  ExitStatus KillAndReap();
  bool reaped() const { return status_.has_value(); }

 private:
  ProcessGroup() = default;
  void Reap(bool block);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int exit_fd_ = -1;
  std::optional<Clock::time_point> kill_deadline_;
  bool term_sent_ = false;
  bool kill_sent_ = false;
  std::optional<ExitStatus> status_;
  TrialScope* scope_ = nullptr;
};

}  // namespace hone
