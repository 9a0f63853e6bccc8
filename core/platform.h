// Platform: where trial processes run (local, ssh, slurm, ...). All calls come from the
// manager's thread.
//
// Lifecycle:
//   Start()                       once; fails when the platform can never run a trial
//                                 (e.g. more GPUs per trial than exist)
//   Capacity() -> n               how many more trials it can take right now
//   Launch(trial)                 starts it; events for it arrive through Poll
//   Poll(timeout, &events)        waits up to timeout for: started, stdout lines, exited
//   Kill(seq)                     ends the trial's whole process tree; an exited event follows
//   Stop(grace)                   kills everything still running and releases resources
//   Attach(trial, pid)            resume only: takes back a trial an earlier manager launched
// Every launched (or attached) trial produces exactly one kExited event (also after Kill).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

struct TrialLaunch {
  int64_t seq = 0;
  std::string command;      // run by /bin/sh -c; parameters travel in env, never here
  std::string working_dir;  // trialCodeDirectory
  std::string trial_dir;    // holds params.json, stdout.log, stderr.log, output/
  std::map<std::string, std::string> env;  // HONE_* variables (added to the inherited env)
};

struct PlatformEvent {
  // kWaiting: the trial is queued on the platform and has not started; `line` says why
  // (a scheduler's pending reason), sent again only when the reason changes.
  enum class Kind { kStarted, kStdoutLine, kExited, kWaiting };
  Kind kind = Kind::kStdoutLine;
  int64_t seq = 0;
  std::string line;        // kStdoutLine: one line without '\n'; kWaiting: the reason
  bool truncated = false;  // kStdoutLine: the line was longer than the platform keeps
  int exit_code = 0;       // kExited: exit status when the process exited
  int signal = 0;          // kExited: signal number when it was killed by one
  std::string stderr_tail; // kExited: last lines of stderr
  std::string devices;     // kStarted: CUDA_VISIBLE_DEVICES given to it
  int64_t pid = 0;         // kStarted: the trial's process (group) id where there is one
  // kExited: the platform lost the trial (its host became unreachable, its node failed),
  // not its own code; the manager may run the configuration again elsewhere.
  bool platform_failure = false;
};

class Clock;  // core/clock.h

class Platform {
 public:
  virtual ~Platform() = default;
  virtual Status Start() = 0;
  virtual int Capacity() const = 0;
  virtual Status Launch(const TrialLaunch& launch) = 0;
  virtual Status Kill(int64_t seq) = 0;
  virtual Status Poll(std::chrono::milliseconds timeout, std::vector<PlatformEvent>* out) = 0;
  virtual Status Stop(std::chrono::milliseconds grace) = 0;
  // Resume: ends whatever is left of a trial that an earlier manager launched and then
  // lost when it died (`pid` as that manager's kStarted reported it). Must never touch a
  // process that is not that trial's. Platforms that cannot reach it do nothing.
  virtual Status Reclaim(int64_t seq, const std::string& trial_dir, int64_t pid) {
    return Status::Ok();
  }
  // Resume: takes back a trial that an earlier manager launched and lost when it died,
  // where the trial still runs (or is queued, or finished while no manager watched).
  // `launch` is the trial as it was launched; `pid` what that manager's kStarted reported
  // (0 when none came). Returns true when the platform owns the trial again: its events then
  // come through Poll as for a launched trial: kStarted with the same pid (again, when it had
  // started), kStdoutLine for its whole stdout from the first byte (the manager skips the
  // reports it already holds), and one kExited, also when it ended while away. Returns
  // false when it cannot (the manager then reclaims the trial and runs it again); an error
  // only for a fault of the platform itself.
  virtual StatusOr<bool> Attach(const TrialLaunch& launch, int64_t pid) { return false; }
  // A platform that simulates time (replay) returns its clock, and the manager then reads
  // time from it (trial timestamps, maxExperimentDuration, maxTrialDuration); others
  // return nullptr and the manager uses the system clock. Valid while the platform lives.
  virtual const Clock* SimulatedClock() const { return nullptr; }
};

}  // namespace hone
