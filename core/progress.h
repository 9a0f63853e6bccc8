// Progress: what the manager tells its observer (the CLI's live view, later the web UI)
// while an experiment runs. Called on the manager's thread; keep implementations cheap.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/trial_record.h"

namespace hone {

struct ProgressSnapshot {
  std::map<TrialStatus, int> counts;  // trials per status (lost and canceled included)
  int64_t configs_created = 0;
  std::optional<int64_t> max_trial_number;
  double elapsed_s = 0;
  std::optional<double> max_duration_s;
  std::optional<TrialRecord> best;  // best rankable final so far
  OptimizeMode mode = OptimizeMode::kMaximize;
  // Why the first waiting trial waits (a platform's pending reason, e.g. a Slurm job's
  // "Resources"); "" when no waiting trial has one.
  std::string waiting_reason;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // A line worth showing ("trial 3 succeeded: 0.91 (1.2 s)").
  virtual void OnLine(const std::string& line) = 0;
  // The current state; called after changes, at most a few times per second.
  virtual void OnSnapshot(const ProgressSnapshot& snapshot) = 0;
};

}  // namespace hone
