// SshSession: one long-lived `bash` on a host, fed scripts through a pipe, so a command
// costs a round trip instead of an ssh session (and the login shell's rc files) each.
// Each script runs in a subshell with stdin from /dev/null; its stdout comes back
// framed by a random end marker, its stderr through a file on the host.
//
//   SshSession session;
//   session.Open(ssh_command_line, control_dir, 10s);   // ssh ... 'exec bash ...'
//   auto out = session.Run("echo hi; exit 3", 5s);      // stdout "hi\n", exit_code 3
//
// Any failure (the connection dropped, a timeout) closes the session; callers then fall
// back to one ssh call per command and may Open a new session later.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"
#include "trials/process_group.h"
#include "trials/run_command.h"

namespace hone {

class SshSession {
 public:
  SshSession() = default;
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;
  ~SshSession() { Close(); }

  // `ssh_line`: a shell command line that runs `bash --noprofile --norc -s` on the host
  // reading from its stdin; `fifo_dir`: a private local directory for the input pipe.
  Status Open(const std::string& ssh_line, const std::string& fifo_dir, std::chrono::milliseconds timeout);
  bool is_open() const { return group_ != nullptr; }
  StatusOr<CommandOutput> Run(const std::string& script, std::chrono::milliseconds timeout);
  void Close();

 private:
  Status Write(const std::string& text);
  // Reads stdout until `marker` followed by "<rc> <n>\n" and n bytes; fills `out`.
  Status ReadReply(std::chrono::milliseconds timeout, CommandOutput* out);

  std::unique_ptr<ProcessGroup> group_;
  int input_fd_ = -1;
  std::string fifo_;
  std::string marker_;
  std::string buffer_;
};

}  // namespace hone
