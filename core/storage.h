// Storage: everything one experiment records (config, trials, metrics, events, status),
// plus a small command queue through which the CLI and web UI talk to a running manager.
//
// Invariants:
// - trial seq numbers are unique and assigned by the caller (the manager): a second
//   InsertTrial with the same seq fails with AlreadyExists;
// - a trial in a terminal status is never rewritten: UpdateTrial of one fails with
//   FailedPrecondition and changes nothing;
// - writes are batched: they become durable at Flush() (the manager flushes once per
//   loop turn and before launching trials), so a crash loses at most the last turn and
//   leaves a consistent database that resume continues;
// - readers in other processes see only flushed data; the writer reads its own writes;
// - commands are delivered in the order they were pushed, at least once (a command is
//   taken again when the manager dies before the Flush after taking it).
//
// Example (the manager's loop turn):
//   storage.InsertTrial(trial);                       // seq 4, waiting
//   trial.status = TrialStatus::kRunning; trial.pid = 4242;
//   storage.UpdateTrial(trial);
//   storage.AddEvent({now, 4, "started", "pid 4242"});
//   for (const Command& c : *storage.TakeCommands()) ...  // CommandKind::kStop, ...
//   storage.Flush();                                  // now durable and visible
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// What the CLI and the web UI ask a running manager to do. Stored by name.
enum class CommandKind {
  kStop,                 // args {}
  kKillTrial,            // args {"seq": 3}
  kSetConcurrency,       // args {"value": 4}
  kSetMaxTrialNumber,    // args {"value": 100}
  kSetMaxTrialDuration,  // args {"value": 3600} or {"value": null}
  kAddTrial,             // args {"parameters": {...}}
  kSetMaxExperimentDuration,  // args {"value": 7200}
};

inline constexpr std::pair<CommandKind, std::string_view> kCommandKindNames[] = {
    {CommandKind::kStop, "stop"},
    {CommandKind::kKillTrial, "kill_trial"},
    {CommandKind::kSetConcurrency, "set_concurrency"},
    {CommandKind::kSetMaxTrialNumber, "set_max_trial_number"},
    {CommandKind::kSetMaxTrialDuration, "set_max_trial_duration"},
    {CommandKind::kAddTrial, "add_trial"},
    {CommandKind::kSetMaxExperimentDuration, "set_max_experiment_duration"},
};

// "stop", "kill_trial", ...: the name the database stores.
constexpr std::string_view CommandKindName(CommandKind kind) {
  for (const auto& [k, name] : kCommandKindNames)
    if (k == kind) return name;
  return "unknown";
}

// None for a name this hone does not know (written by another version).
constexpr std::optional<CommandKind> ParseCommandKind(std::string_view name) {
  for (const auto& [kind, n] : kCommandKindNames)
    if (n == name) return kind;
  return std::nullopt;
}

struct Command {
  int64_t id = 0;
  std::optional<CommandKind> kind;  // none when `name` is unknown to this hone
  std::string name;                 // as stored: "kill_trial", "stop", ...
  nlohmann::json args;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Key/value metadata: "config" (JSON), "status", "seed", "tuner", "elapsed", ...
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> GetMeta(const std::string& key) = 0;

  virtual Status InsertTrial(const TrialRecord& trial) = 0;
  // Status, times, pid, exit code, reason and final metric of an existing trial.
  virtual Status UpdateTrial(const TrialRecord& trial) = 0;
  virtual Status AppendIntermediate(int64_t seq, int64_t step, double value,
                                    const std::string& raw) = 0;
  virtual Status AddEvent(const Event& event) = 0;
  virtual Status Flush() = 0;

  // All trials ordered by seq; with their intermediate metrics when asked (else
  // `intermediate` is empty). Intermediate metrics come ordered by step, reports of one
  // step in report order.
  virtual StatusOr<std::vector<TrialRecord>> LoadTrials(bool with_intermediate) = 0;
  // One trial with its intermediate metrics; none for an unknown seq.
  virtual StatusOr<std::optional<TrialRecord>> LoadTrial(int64_t seq) = 0;
  // Events of trial `seq` (-1: the experiment-level ones), oldest first.
  virtual StatusOr<std::vector<Event>> LoadEvents(int64_t seq) = 0;

  // Command queue (written by other processes, consumed by the manager). TakeCommands
  // returns the commands pushed since the last take, oldest first, and removes them
  // at the next Flush.
  virtual Status PushCommand(CommandKind kind, const nlohmann::json& args) = 0;
  virtual StatusOr<std::vector<Command>> TakeCommands() = 0;
};

}  // namespace hone
