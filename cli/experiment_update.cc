// `hone experiment update ID [--concurrency N] [--max-trials N] [--max-duration D]
// [--max-trial-duration D]`: nnictl's `update concurrency|trialnum|duration`. A running
// experiment gets the change through its command queue (the manager applies it at its
// next turn and records it in meta "limits"); a stopped one gets it in meta "limits"
// directly, which `hone resume` reads.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/experiment_limits.h"
#include "cli/experiment_session.h"
#include "cli/stored_config.h"
#include "core/clock.h"
#include "storage/experiment_registry.h"

namespace hone {

using nlohmann::json;

namespace {

// The config reader's bounds for trialConcurrency and maxTrialNumber.
constexpr int64_t kMaxConcurrency = 100'000;
constexpr int64_t kMaxTrials = 1'000'000'000;
constexpr double kApplyWait_s = 10;  // how long to wait for a running manager to confirm

struct UpdateOptions {
  std::string id, concurrency, max_trials, max_duration, max_trial_duration;
  CLI::Option *concurrency_opt = nullptr, *max_trials_opt = nullptr, *max_duration_opt = nullptr,
              *max_trial_duration_opt = nullptr;
};

struct Change {
  CommandKind kind;
  const char* key;  // in meta "limits"
  json value;
};

StatusOr<std::vector<Change>> ParseChanges(const UpdateOptions& o) {
  std::vector<Change> out;
  if (o.concurrency_opt->count()) {
    auto v = ParseLimitInt("--concurrency", o.concurrency, 1, kMaxConcurrency);
    if (!v.ok()) return v.status();
    out.push_back({CommandKind::kSetConcurrency, kLimitConcurrency, *v});
  }
  if (o.max_trials_opt->count()) {
    auto v = ParseLimitInt("--max-trials", o.max_trials, 1, kMaxTrials);
    if (!v.ok()) return v.status();
    out.push_back({CommandKind::kSetMaxTrialNumber, kLimitMaxTrials, *v});
  }
  if (o.max_duration_opt->count()) {
    auto v = ParseLimitDuration("--max-duration", o.max_duration);
    if (!v.ok()) return v.status();
    out.push_back({CommandKind::kSetMaxExperimentDuration, kLimitMaxDuration, *v});
  }
  if (o.max_trial_duration_opt->count()) {
    auto v = ParseLimitDuration("--max-trial-duration", o.max_trial_duration);
    if (!v.ok()) return v.status();
    out.push_back({CommandKind::kSetMaxTrialDuration, kLimitMaxTrialDuration, *v});
  }
  if (out.empty())
    return InvalidArgument("experiment update: nothing to change; give --concurrency, --max-trials, --max-duration "
                           "or --max-trial-duration");
  return out;
}

json ChangesJson(const std::vector<Change>& changes) {
  json j = json::object();
  for (const auto& c : changes) j[c.key] = c.value;
  return j;
}

// Whether meta "limits" holds every changed value.
bool Applied(const std::optional<std::string>& limits_meta, const std::vector<Change>& changes) {
  if (!limits_meta) return false;
  json limits = json::parse(*limits_meta, nullptr, /*allow_exceptions=*/false);
  if (!limits.is_object()) return false;
  for (const auto& c : changes)
    if (!limits.contains(c.key) || limits[c.key] != c.value) return false;
  return true;
}

// A max trial number at or below what already ran starts nothing new; say so.
void NoteSpentBudget(Storage& storage, const std::vector<Change>& changes) {
  for (const auto& c : changes) {
    if (c.kind != CommandKind::kSetMaxTrialNumber) continue;
    auto trials = storage.LoadTrials(false);
    if (!trials.ok()) return;
    int64_t configs = 0;
    for (const auto& t : *trials) configs = std::max(configs, t.config_id + 1);
    if (configs >= c.value.get<int64_t>())
      std::printf("note: %lld configurations were created already, so no new trial will start\n",
                  static_cast<long long>(configs));
  }
}

Status UpdateStopped(const std::string& id, Storage& storage, const json& config,
                     const std::vector<Change>& changes) {
  HONE_RETURN_IF_ERROR(storage.PutMeta("limits", MergeLimits(storage.GetMeta("limits"), ChangesJson(changes))));
  HONE_RETURN_IF_ERROR(storage.Flush());
  std::printf("experiment %s is not running; updated its limits: %s\n", id.c_str(),
              DescribeLimits(EffectiveLimits(config, storage.GetMeta("limits"))).c_str());
  NoteSpentBudget(storage, changes);
  std::printf("they apply when it runs again: hone resume %s\n", id.c_str());
  return Status::Ok();
}

Status UpdateRunning(const CliContext& ctx, const std::string& id, Storage& storage, const json& config,
                     const std::vector<Change>& changes) {
  for (const auto& c : changes) HONE_RETURN_IF_ERROR(storage.PushCommand(c.kind, {{"value", c.value}}));
  const std::string dir = ExperimentDir(ctx, id);
  const double deadline = SystemClock().Now() + kApplyWait_s;
  while (SystemClock().Now() < deadline && ManagerLock::IsHeld(dir)) {
    if (Applied(storage.GetMeta("limits"), changes)) {
      std::printf("experiment %s: the running manager applied the change: %s\n", id.c_str(),
                  DescribeLimits(EffectiveLimits(config, storage.GetMeta("limits"))).c_str());
      NoteSpentBudget(storage, changes);
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The manager ended before it took the commands (they stay queued for a resume, where
  // they change nothing more): record the limits as for a stopped experiment.
  auto lock = ManagerLock::Acquire(dir);
  if (lock.ok()) return UpdateStopped(id, storage, config, changes);
  std::printf("experiment %s: asked the running manager for the change; it has not confirmed it yet "
              "(hone experiment show %s tells when it has)\n", id.c_str(), id.c_str());
  return Status::Ok();
}

Status Update(const CliContext& ctx, const UpdateOptions& o) {
  auto changes = ParseChanges(o);
  if (!changes.ok()) return changes.status();
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto entry = (*registry)->Get(o.id);
  if (!entry.ok()) return entry.status();
  auto storage = OpenExperimentStorage(ctx, entry->id, OpenMode::kReadWrite);
  if (!storage.ok()) return storage.status();
  auto config = StoredConfigJson(**storage, ctx, entry->id);
  if (!config.ok()) return config.status();
  // Holding the manager's lock keeps a resume from starting while the limits are written.
  auto lock = ManagerLock::Acquire(ExperimentDir(ctx, entry->id));
  if (lock.ok()) return UpdateStopped(entry->id, **storage, *config, *changes);
  if (lock.status().code() != StatusCode::kFailedPrecondition) return lock.status();
  return UpdateRunning(ctx, entry->id, **storage, *config, *changes);
}

}  // namespace

void SetupExperimentUpdateCommand(CLI::App& experiment, const CliContext& ctx, Status* result) {
  auto o = std::make_shared<UpdateOptions>();
  auto* update = experiment.add_subcommand(
      "update", "Change a running or stopped experiment's concurrency, trial budget or durations");
  update->add_option("id", o->id, "Experiment id (or a unique prefix)")->required();
  o->concurrency_opt = update->add_option("--concurrency,--trial-concurrency", o->concurrency,
                                          "Trials that run at once (nnictl update concurrency)");
  o->max_trials_opt = update->add_option("--max-trials,--max-trial-number", o->max_trials,
                                         "Total configurations to try (nnictl update trialnum)");
  o->max_duration_opt = update->add_option("--max-duration,--max-experiment-duration", o->max_duration,
                                           "Experiment time budget: 30s, 10m, 1.5h, 2d (nnictl update duration)");
  o->max_trial_duration_opt = update->add_option("--max-trial-duration", o->max_trial_duration,
                                                 "Time limit of each trial, running ones included: 30s, 10m, 2h");
  update->callback([&ctx, o, result] { *result = Update(ctx, *o); });
}

}  // namespace hone
