// The bash scripts the remote platform runs on a host, one ssh call each: launch a trial
// under the runner, poll every trial of the host at once, kill a trial's process group.
// Every value is single-quoted (ShellQuote), so parameters and paths never become code.
//
// On the host, a trial directory holds: pid (the trial's process group id, written
// before Launch returns), stdout.log, stderr.log, params.json, output/, devices (its
// CUDA_VISIBLE_DEVICES, when it was given GPUs), and exit (the exit status, 128 + signal
// for a signal, written after the whole group has ended).
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

// For each entry prints `@T <seq> <exit status or -> <n> <m> <o>\n` followed by n bytes of
// stdout.log from its offset and m bytes of stderr.log from its offset (each at most
// `max_bytes`). The exit status appears only once both logs were read to their end; o is
// 1 when the trial has ended and its output/ holds something, else 0.
std::string PollScript(const std::vector<RemotePollEntry>& entries, int64_t max_bytes);

// SIGTERM to the trial's group now, SIGKILL after `grace` unless it has exited by then.
std::string KillScript(const std::string& trial_dir, std::chrono::milliseconds grace);

// Resume: prints `<pid or -> <exit status, -, or lost> <devices>` for a trial directory,
// or `gone` when it does not exist. `lost`: no exit status and no process of the trial's
// group is left (the runner itself died, e.g. the host rebooted).
std::string AttachScript(const std::string& trial_dir);

// Writes output/ of the trial directory as a tar stream to stdout; exits 5 (saying so
// on stderr) when it holds more than `max_bytes`.
std::string OutputTarScript(const std::string& trial_dir, int64_t max_bytes);

// nvidia-smi's GPU list (the query gpu_discovery.h parses) with `path_prefix` first on
// PATH; with `count_processes` a line `@apps` and the compute-apps list follow.
std::string GpuQueryScript(const std::string& path_prefix, bool count_processes);

// Creates `dir` ("~/x" = under the login user's home) and prints its absolute path.
std::string ResolveDirScript(const std::string& dir);

}  // namespace hone
