// SshHost: one machine of the remote platform, reached through the system OpenSSH client
// over one multiplexed connection (a ControlMaster started by Open, reused by each Run).
// Scripts run in a long-lived `bash --noprofile --norc -s` on the host (SshSession: the
// login shell's rc files run once, not per command; a command costs one round trip), or,
// when that session is down, as one `ssh ... bash --noprofile --norc -c <script>` each.
//
//   SshHost host(machine, "/tmp/hone-ssh-x1y2", {"UserKnownHostsFile=/tmp/k"});
//   host.Open();                                   // fails: the host refuses, naming it
//   auto out = host.Run("echo $HOME", 10s);        // out->stdout_text == "/root\n"
//   host.Close();                                  // ends the master connection
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"
#include "platforms/remote/remote_options.h"
#include "platforms/remote/ssh_session.h"
#include "trials/run_command.h"

namespace hone {

// `text` as one single-quoted word for sh/bash ('it'\''s').
std::string ShellQuote(const std::string& text);

class SshHost {
 public:
  // `control_dir`: a private directory for the master's socket (short: unix socket paths
  // are limited to ~100 bytes). `ssh_options`: extra `-o` options ("Key=Value").
  SshHost(RemoteMachine machine, std::string control_dir, std::vector<std::string> ssh_options,
          bool multiplex = true);
  SshHost(const SshHost&) = delete;
  SshHost& operator=(const SshHost&) = delete;
  ~SshHost();

  // Starts the master connection and checks that the host runs bash. kUnavailable naming
  // the host and what ssh said when it cannot be reached or refuses.
  Status Open(std::chrono::milliseconds timeout);
  // Runs `script` with bash on the host. A non-zero exit is not an error here: callers
  // read out.status. kUnavailable when ssh itself failed (exit 255) or timed out.
  StatusOr<CommandOutput> Run(const std::string& script, std::chrono::milliseconds timeout) const;
  // The same, with local shell `producer`'s stdout piped into the remote script's stdin.
  StatusOr<CommandOutput> RunWithInput(const std::string& producer, const std::string& script,
                                       std::chrono::milliseconds timeout) const;
  // The same, with the remote script's stdout piped into local shell `consumer` (its
  // stdout_text is then the consumer's); a failing consumer fails the call (pipefail).
  StatusOr<CommandOutput> RunWithOutput(const std::string& script, const std::string& consumer,
                                        std::chrono::milliseconds timeout) const;
  // Ends the master connection (nothing when none was opened).
  void Close();

  // "user@host:port", for messages.
  std::string Name() const;
  const RemoteMachine& machine() const { return machine_; }
  // Whether scripts currently go through the long-lived session.
  bool session_open() const { return session_.is_open(); }

 private:
  std::vector<std::string> SshArgv() const;
  // ssh running `remote_command` (already a shell command line) on the host.
  std::string SshCommandLine(const std::string& remote_command) const;
  void OpenSession(std::chrono::milliseconds timeout) const;
  // Runs a local shell line holding the ssh command; exit 255 reads as unreachable.
  StatusOr<CommandOutput> RunLine(const std::string& line, std::chrono::milliseconds timeout) const;

  RemoteMachine machine_;
  std::string control_dir_;
  std::vector<std::string> ssh_options_;
  bool multiplex_;
  bool opened_ = false;
  // Scripts go through it while it is open; one ssh call per command otherwise.
  mutable SshSession session_;
  mutable std::chrono::steady_clock::time_point session_retry_at_{};
};

}  // namespace hone
