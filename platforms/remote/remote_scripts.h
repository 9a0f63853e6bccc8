// The bash scripts the remote platform runs on a host, one ssh call each: launch a trial
// under the runner, poll every trial of the host at once, kill a trial's process group.
// Every value is single-quoted (ShellQuote), so parameters and paths never become code.
//
// On the host, a trial directory holds: pid (the trial's process group id, written
// before Launch returns), stdout.log, stderr.log, params.json, output/, and exit (the
// exit status, 128 + signal for a signal, written after the whole group has ended).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hone {

struct RemoteLaunchSpec {
  std::string trial_dir;    // absolute on the host; emptied first
  std::string working_dir;  // absolute on the host; "" = trial_dir
  std::string command;      // run by /bin/sh -c
  std::string python_path;  // prepended to PATH when not empty
  std::map<std::string, std::string> env;
};

// Starts the runner detached (setsid) and prints the trial's process group id.
std::string LaunchScript(const RemoteLaunchSpec& spec);

struct RemotePollEntry {
  int64_t seq = 0;
  std::string trial_dir;
  int64_t stdout_offset = 0;
  int64_t stderr_offset = 0;
};

// For each entry prints `@T <seq> <exit status or -> <n> <m>\n` followed by n bytes of
// stdout.log from its offset and m bytes of stderr.log from its offset (each at most
// `max_bytes`). The exit status appears only once both logs were read to their end.
std::string PollScript(const std::vector<RemotePollEntry>& entries, int64_t max_bytes);

// SIGTERM to the trial's group now, SIGKILL after `grace` unless it has exited by then.
std::string KillScript(const std::string& trial_dir, std::chrono::milliseconds grace);

// Creates `dir` ("~/x" = under the login user's home) and prints its absolute path.
std::string ResolveDirScript(const std::string& dir);

}  // namespace hone
