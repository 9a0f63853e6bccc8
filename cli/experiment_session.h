// Running an experiment's manager in this process: shared by `run`, `create` (through a
// detached `hone _manager`), and `resume`. Also the per-experiment lock that keeps two
// managers off one experiment.
#pragma once

#include <memory>
#include <string>

#include "cli/cli_context.h"
#include "core/experiment_config.h"

namespace hone {

// Creates the experiment's folder, database and registry entry from a validated config;
// returns the new id.
StatusOr<std::string> CreateExperiment(const CliContext& ctx, ExperimentConfig config,
                                       const std::string& config_path);

struct SessionOptions {
  bool terminal = false;   // live progress block instead of plain lines
  bool quiet = false;      // no progress output at all
};

// Runs the manager of experiment `id` in the foreground until it ends (fresh or resumed).
// Returns the final experiment status.
StatusOr<std::string> RunManager(const CliContext& ctx, const std::string& id,
                                 const SessionOptions& options);

// Starts `hone _manager ID` detached (own session, output to manager.log); returns its pid.
StatusOr<int> SpawnDetachedManager(const CliContext& ctx, const std::string& id);

// The experiment's folder under HONE_HOME.
std::string ExperimentDir(const CliContext& ctx, const std::string& id);

// An exclusive lock on an experiment held by its manager for as long as it lives
// (released by the kernel if the manager dies).
class ManagerLock {
 public:
  static StatusOr<std::unique_ptr<ManagerLock>> Acquire(const std::string& experiment_dir);
  // Whether some process holds the lock right now.
  static bool IsHeld(const std::string& experiment_dir);
  ~ManagerLock();

 private:
  explicit ManagerLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace hone
