#include "trials/trial_scope.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "trials/cgroup.h"
#include "trials/proc_scan.h"

namespace hone {
namespace {

constexpr std::chrono::milliseconds kRemoveWait{1000};
constexpr long long kCpuPeriodUs = 100000;

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// Lets the children of `group` use `controller`; true when they can.
bool EnableController(const std::string& group, const std::string& controller) {
  std::ifstream offered_in(group + "/cgroup.controllers");
  std::string name;
  bool offered = false;
  while (offered_in >> name) offered = offered || name == controller;
  if (!offered) return false;
  WriteFile(group + "/cgroup.subtree_control", "+" + controller);
  std::ifstream enabled_in(group + "/cgroup.subtree_control");
  while (enabled_in >> name)
    if (name == controller) return true;
  return false;
}

// Trials of one experiment share a parent folder; its path names their cgroup parent.
std::string ExperimentKey(const std::string& trial_dir) {
  std::filesystem::path dir = std::filesystem::path(trial_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "a/b/" -> "a/b"
  std::string parent = dir.parent_path().string();
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : parent) hash = (hash ^ c) * 1099511628211ull;
  char text[24];
  std::snprintf(text, sizeof text, "exp-%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// Removes the experiment's group once its last trial's group is gone; another trial of
// it still running keeps it (EBUSY), which is fine.
void RemoveParent(const std::string& group_path) {
  std::string parent = std::filesystem::path(group_path).parent_path().string();
  rmdir(parent.c_str());
}

class CgroupScope : public TrialScope {
 public:
  explicit CgroupScope(std::unique_ptr<Cgroup> group) : group_(std::move(group)) {}
  ~CgroupScope() override {
    group_->KillAndRemove(kRemoveWait);
    RemoveParent(group_->path());
  }
  std::string join_file() const override { return group_->procs_file(); }
  void Signal(int sig) override { group_->Signal(sig); }
  bool Release() override {
    group_->Kill();
    if (group_->Populated() || !group_->TryRemove()) return false;
    RemoveParent(group_->path());
    return true;
  }
  std::string Describe() const override { return "cgroup " + group_->path(); }

 private:
  std::unique_ptr<Cgroup> group_;
};

class EnvironmentScope : public TrialScope {
 public:
  explicit EnvironmentScope(std::string trial_dir) : match_{.trial_dir = std::move(trial_dir), .seq = std::nullopt, .process_group = 0} {}
  ~EnvironmentScope() override { SignalMatchingProcesses(match_, SIGKILL); }
  std::string join_file() const override { return ""; }
  void Signal(int sig) override { SignalMatchingProcesses(match_, sig); }
  bool Release() override {
    SignalMatchingProcesses(match_, SIGKILL);
    return FindMatchingProcesses(match_).empty();
  }
  std::string Describe() const override {
    return "environment scan for HONE_TRIAL_DIR=" + match_.trial_dir;
  }

 private:
  TrialProcessMatch match_;
};

}  // namespace

TrialScopes::TrialScopes(const TrialScopeOptions& options) : options_(options) {
  std::string root = options.cgroup_root;
  if (root.empty()) {
    std::optional<std::string> mount = FindCgroup2Mount();
    root = mount.value_or("");
  }
  // Kept when empty: every run and every manager on this machine shares it.
  std::string base = root + "/hone";
  // Migrating a process needs write access to the group's cgroup.procs.
  if (IsCgroup2Dir(root) && MakeCgroupDir(base).ok() && access((base + "/cgroup.procs").c_str(), W_OK) == 0)
    cgroup_base_ = base;
  std::vector<std::string> wanted;
  if (options.memory_limit_bytes) wanted.push_back("memory");
  if (options.cpu_limit) wanted.push_back("cpu");
  if (wanted.empty()) return;
  if (cgroup_base_.empty()) {
    missing_ = root.empty() ? "no cgroup v2 hierarchy is mounted here"
                            : "no cgroup v2 group can be made under " + root + " by this user";
    return;
  }
  for (const std::string& controller : wanted) {
    if (!EnableController(cgroup_base_, controller)) {
      missing_ = "the cgroup v2 " + controller + " controller is not available in " + cgroup_base_ +
                 " (its cgroup.controllers lists only what the parent enables; hybrid layouts have none)";
      return;
    }
  }
}

Status TrialScopes::Check() const {
  if (missing_.empty()) return Status::Ok();
  std::string what = options_.memory_limit_bytes && options_.cpu_limit ? "trialMemoryLimit and trialCpuLimit"
                     : options_.memory_limit_bytes                     ? "trialMemoryLimit"
                                                                       : "trialCpuLimit";
  return FailedPrecondition("trainingService." + what + ": enforcing it needs a cgroup v2 group per trial, but " +
                            missing_);
}

std::string TrialScopes::CgroupPath(int64_t seq, const std::string& trial_dir) const {
  if (cgroup_base_.empty()) return "";
  return cgroup_base_ + "/" + ExperimentKey(trial_dir) + "/trial-" + std::to_string(seq);
}

StatusOr<std::unique_ptr<TrialScope>> TrialScopes::MakeCgroupScope(int64_t seq,
                                                                    const std::string& trial_dir) const {
  std::string path = CgroupPath(seq, trial_dir);
  StatusOr<std::unique_ptr<Cgroup>> group = Cgroup::Create(path);
  if (!group.ok()) return group.status();
  std::string parent = std::filesystem::path(path).parent_path().string();
  if (options_.memory_limit_bytes && !EnableController(parent, "memory"))
    return IoError("cannot enable the memory controller in " + parent);
  if (options_.cpu_limit && !EnableController(parent, "cpu"))
    return IoError("cannot enable the cpu controller in " + parent);
  if ((*group)->Populated()) (*group)->Kill();  // left by a manager that died
  auto scope = std::make_unique<CgroupScope>(std::move(*group));
  if (options_.memory_limit_bytes &&
      !WriteFile(path + "/memory.max", std::to_string(*options_.memory_limit_bytes)))
    return IoError("cannot set memory.max in " + path);
  if (options_.cpu_limit) {
    long long quota = std::max<long long>(1000, std::llround(*options_.cpu_limit * kCpuPeriodUs));
    if (!WriteFile(path + "/cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUs)))
      return IoError("cannot set cpu.max in " + path);
  }
  return std::unique_ptr<TrialScope>(std::move(scope));
}

StatusOr<std::unique_ptr<TrialScope>> TrialScopes::ForTrial(int64_t seq, const std::string& trial_dir) const {
  bool limited = options_.memory_limit_bytes || options_.cpu_limit;
  if (limited) HONE_RETURN_IF_ERROR(Check());
  if (!cgroup_base_.empty()) {
    StatusOr<std::unique_ptr<TrialScope>> scope = MakeCgroupScope(seq, trial_dir);
    if (scope.ok() || limited) return scope;
  }
  return std::unique_ptr<TrialScope>(std::make_unique<EnvironmentScope>(trial_dir));
}

void TrialScopes::Reclaim(int64_t seq, const std::string& trial_dir, pid_t pid) const {
  if (!cgroup_base_.empty()) {
    std::string path = CgroupPath(seq, trial_dir);
    if (std::unique_ptr<Cgroup> group = Cgroup::Open(path)) {
      group->KillAndRemove(kRemoveWait);
      group.reset();
      RemoveParent(path);
    }
  }
  // Also when the dead manager had no cgroups, or ran where this one has none.
  SignalMatchingProcesses({.trial_dir = trial_dir, .seq = seq, .process_group = pid > 0 ? pid : 0}, SIGKILL);
}

}  // namespace hone
