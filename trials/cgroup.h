// Cgroup v2 groups for trials: a process that joins one before it runs anything cannot
// leave it by setsid or a double fork, so ending the group ends everything a trial
// started. Works on pure v2 machines (/sys/fs/cgroup) and on hybrid ones (the v2
// hierarchy at /sys/fs/cgroup/unified, without controllers), as root or in a delegated
// subtree.
//
//   std::optional<std::string> mount = FindCgroup2Mount();   // "/sys/fs/cgroup/unified"
//   auto group = Cgroup::Create(*mount + "/hone/exp-1a2b/trial-3");
//   ... the child writes its pid to (*group)->procs_file() ...
//   (*group)->Kill();                     // SIGKILL to every member at once
//   if ((*group)->TryRemove()) ...        // rmdir once the members are gone
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace hone {

// The mount point of the cgroup v2 hierarchy from /proc/self/mountinfo; nullopt when
// none is mounted.
std::optional<std::string> FindCgroup2Mount();

// True when `dir` is a cgroup v2 directory (it has cgroup.procs and cgroup.controllers).
bool IsCgroup2Dir(const std::string& dir);

// Makes the cgroup directory `path` and any missing parents (existing ones are fine),
// without taking charge of it (Cgroup::Create does).
Status MakeCgroupDir(const std::string& path);

class Cgroup {
 public:
  // MakeCgroupDir, and the group is this object's to kill and remove.
  static StatusOr<std::unique_ptr<Cgroup>> Create(const std::string& path);
  // The group at `path` when it exists, else nullptr.
  static std::unique_ptr<Cgroup> Open(const std::string& path);

  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  // Kills the members, waits up to a second for them to go and removes the directory.
  ~Cgroup();

  const std::string& path() const { return path_; }
  std::string procs_file() const { return path_ + "/cgroup.procs"; }

  std::vector<pid_t> Members() const;
  // Sends `sig` to every member; SIGKILL goes through Kill.
  void Signal(int sig);
  // SIGKILLs every member: cgroup.kill where the kernel has it (5.14+), else member by
  // member until none is left.
  void Kill();
  // True while a live process is in the group.
  bool Populated() const;
  // Removes the directory when no process is left in it; true once it is gone.
  bool TryRemove();
  // Kill, then wait up to `limit` for the members to go, then TryRemove.
  bool KillAndRemove(std::chrono::milliseconds limit);

 private:
  explicit Cgroup(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool removed_ = false;
};

}  // namespace hone
