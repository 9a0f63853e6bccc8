// Storage: everything one experiment records (config, trials, metrics, events, status),
// plus a small command queue through which the CLI and web UI talk to a running manager.
//
// Invariants:
// - trial seq numbers are unique and assigned by the caller (the manager);
// - a trial in a terminal status is never rewritten;
// - writes are batched: they become durable at Flush() (the manager flushes once per
//   loop turn and before launching trials), so a crash loses at most the last turn and
//   leaves a consistent database that resume continues;
// - readers in other processes see only flushed data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/trial_record.h"

namespace hone {

struct Event {
  double time = 0;
  int64_t seq = -1;  // trial, or -1 for experiment-level events
  std::string kind;  // "trial_started", "warning", "resumed", ...
  std::string detail;
};

struct Command {
  int64_t id = 0;
  std::string kind;  // "kill_trial", "stop"
  nlohmann::json args;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Key/value metadata: "config" (JSON), "status", "seed", "tuner", "elapsed", ...
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> GetMeta(const std::string& key) = 0;

  virtual Status InsertTrial(const TrialRecord& trial) = 0;
  // Status, times, exit code, reason and final metric of an existing trial.
  virtual Status UpdateTrial(const TrialRecord& trial) = 0;
  virtual Status AppendIntermediate(int64_t seq, int64_t step, double value,
                                    const std::string& raw) = 0;
  virtual Status AddEvent(const Event& event) = 0;
  virtual Status Flush() = 0;

  // All trials ordered by seq; with their intermediate metrics when asked.
  virtual StatusOr<std::vector<TrialRecord>> LoadTrials(bool with_intermediate) = 0;
  virtual StatusOr<std::optional<TrialRecord>> LoadTrial(int64_t seq) = 0;
  virtual StatusOr<std::vector<Event>> LoadEvents(int64_t seq) = 0;

  // Command queue (written by other processes, consumed by the manager).
  virtual Status PushCommand(const std::string& kind, const nlohmann::json& args) = 0;
  virtual StatusOr<std::vector<Command>> TakeCommands() = 0;
};

}  // namespace hone
