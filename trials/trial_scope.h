// TrialScope: everything one trial started, wherever it went (setsid, a double fork, a
// daemon), so that ending the trial ends all of it. TrialScopes picks the kind once:
// - a cgroup v2 group per trial, <cgroup2 mount>/hone/exp-<hash of the trials'
//   folder>/trial-<seq>, where this process can create one (root, or a delegated
//   hierarchy); the trial joins it before it runs anything, so nothing can leave it;
// - otherwise the trial's process group (ProcessGroup's part) plus a scan of /proc for
//   processes whose environment carries the trial's HONE_TRIAL_DIR.
//
//   TrialScopes scopes({.cgroup_root = ""});             // "" = the cgroup v2 mount here
//   StatusOr<std::unique_ptr<TrialScope>> scope = scopes.ForTrial(seq, trial_dir);
//   (scopes.Check() first when limits are asked for)
//   ProcessGroup::Spawn({..., .scope = scope->get()});   // joins before the command runs
//   (*scope)->Signal(SIGTERM);                           // every process of the trial
//   while (!(*scope)->Release()) ...                     // SIGKILL all, free the cgroup
//   scopes.Reclaim(seq, trial_dir, pid);                 // a dead manager's trial
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace hone {

class TrialScope {
 public:
  // SIGKILLs what is left and frees the scope, waiting at most a second for that.
  virtual ~TrialScope() = default;
  // The file the trial's first process writes its own pid to before it runs the command
  // ("" = nothing to join).
  virtual std::string join_file() const = 0;
  // Sends `sig` to every process of the trial.
  virtual void Signal(int sig) = 0;
  // SIGKILLs every process of the trial and frees what the scope holds (its cgroup
  // directory). False while a process is still on its way out: call again later.
  virtual bool Release() = 0;
  // "cgroup <path>" or "environment scan for HONE_TRIAL_DIR=<dir>".
  virtual std::string Describe() const = 0;
};

struct TrialScopeOptions {
  // The cgroup v2 hierarchy: "" = the one mounted here (/proc/self/mountinfo). A path
  // that is not a cgroup v2 directory this process can create groups in means no
  // cgroups: every trial gets the environment scan.
  std::string cgroup_root = {};
  // Per-trial limits (memory.max, cpu.max), which only a cgroup v2 group with the memory
  // and cpu controllers can enforce; Check says when this machine cannot.
  std::optional<int64_t> memory_limit_bytes = {};
  std::optional<double> cpu_limit = {};  // in CPUs: 1.5 = 150 ms of CPU time per 100 ms
};

class TrialScopes {
 public:
  // Creates <cgroup_root>/hone when it can (and keeps it; it is shared by every run).
  explicit TrialScopes(const TrialScopeOptions& options);

  // Ok when every limit asked for can be enforced; else kFailedPrecondition naming the
  // limit and what is missing.
  Status Check() const;

  // "<cgroup_root>/hone" when trials get cgroups, "" when they get the scan.
  const std::string& cgroup_base() const { return cgroup_base_; }
  // The cgroup of trial `seq` whose folder is `trial_dir` (existing or not); "" without
  // cgroups.
  std::string CgroupPath(int64_t seq, const std::string& trial_dir) const;

  // A fresh scope for a trial about to start. A leftover group of the same trial (a
  // manager died) is emptied first. Falls back to the scan when the group cannot be
  // made, unless limits were asked for (then an error).
  StatusOr<std::unique_ptr<TrialScope>> ForTrial(int64_t seq, const std::string& trial_dir) const;

  // Ends what is left of a trial that a dead manager launched: its cgroup when there is
  // one, and every process whose environment carries HONE_TRIAL_DIR=trial_dir and that
  // is in process group `pid` or carries HONE_TRIAL_SEQ=seq. Never any other process.
  void Reclaim(int64_t seq, const std::string& trial_dir, pid_t pid) const;

 private:
  StatusOr<std::unique_ptr<TrialScope>> MakeCgroupScope(int64_t seq, const std::string& trial_dir) const;

  TrialScopeOptions options_;
  std::string cgroup_base_;
  std::string missing_;  // why limits cannot be enforced ("" = they can, or none asked)
};

}  // namespace hone
