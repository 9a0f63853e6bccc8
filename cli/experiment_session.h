// Running an experiment's manager in this process: shared by `run`, `create` (through a
// detached `hone _manager`), and `resume`. Also the per-experiment lock that keeps two
// managers off one experiment.
#pragma once

#include <memory>
#include <string>
#include <vector>

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
  // Web UI for as long as the manager runs: on ui_port, or the first free one of
  // 8080-8099 when 0. A UI that cannot start is a warning, never fatal.
  bool ui = true;
  int ui_port = 0;
  bool keep_ui = false;    // after the experiment ends, serve until SIGINT/SIGTERM
  bool ui_url_with_token = true;  // print the address with #token= (not into a log file)
};

// Prints the web UI address of a detached manager (`hone create`) to stderr once it
// is serving (waits up to `timeout_s`); says so when it is not.
void PrintDetachedUiAddress(const CliContext& ctx, const std::string& id, int manager_pid, double timeout_s);

// Runs the manager of experiment `id` in the foreground until it ends (fresh or resumed).
// Returns the final experiment status.
StatusOr<std::string> RunManager(const CliContext& ctx, const std::string& id,
                                 const SessionOptions& options);

// Starts `hone _manager ID [extra_args]` detached (own session, output to manager.log);
// returns its pid.
StatusOr<int> SpawnDetachedManager(const CliContext& ctx, const std::string& id,
                                   const std::vector<std::string>& extra_args = {});

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
