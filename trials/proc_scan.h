// Finding a trial's processes by their environment, for machines where trials cannot be
// put in a cgroup: whatever a trial starts inherits its HONE_TRIAL_DIR, even after
// setsid or a double fork, unless it clears its environment on purpose.
//
//   TrialProcessMatch match{.trial_dir = dir, .seq = 7, .process_group = pid};
//   int ended = KillMatchingProcesses(match, SIGKILL);  // repeats until none is left
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hone {

// A process belongs to the trial when its environment holds HONE_TRIAL_DIR=trial_dir and,
// when `process_group` or `seq` is given, it is also in that process group or its
// environment also holds HONE_TRIAL_SEQ=seq. Never this process itself.
struct TrialProcessMatch {
  std::string trial_dir;
  std::optional<int64_t> seq;
  pid_t process_group = 0;  // 0: not given
};

// The live (non-zombie) processes that match; only those whose environment this process
// may read (all of them as root).
std::vector<pid_t> FindMatchingProcesses(const TrialProcessMatch& match);

// Sends `sig` to every match. For SIGKILL it scans again until a scan finds none (at most
// a few rounds), so that a process forked between a scan and its kill is ended too.
// Returns how many signals it sent.
int SignalMatchingProcesses(const TrialProcessMatch& match, int sig);

}  // namespace hone
