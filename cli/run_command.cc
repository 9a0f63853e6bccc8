// `hone run`, `hone create`, `hone resume` and the hidden `hone _manager`.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/experiment_session.h"
#include "cli/human_format.h"
#include "cli/stored_config.h"
#include "core/config_reader.h"
#include "engine/experiment_manager.h"
#include "engine/experiment_plugins.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"

namespace hone {
namespace {

struct RunOptions {
  std::string config;
  std::string id;
  bool quiet = false;
  bool detach = false;
  int port = 0;        // web UI port (0: the first free one of 8080-8099)
  bool no_ui = false;
  bool keep_ui = false;
};

// The detached manager's arguments that carry the web UI options.
std::vector<std::string> UiArgs(const RunOptions& o) {
  if (o.no_ui) return {"--no-ui"};
  if (o.port > 0) return {"--ui-port", std::to_string(o.port)};
  return {};
}

void AddUiOptions(CLI::App* cmd, RunOptions* o, bool keep) {
  cmd->add_option("--port", o->port, "Web UI port (default: the first free one of 8080-8099)")
      ->check(CLI::Range(1, 65535));
  cmd->add_flag("--no-ui", o->no_ui, "Do not start the web UI");
  if (keep) cmd->add_flag("--keep-ui", o->keep_ui, "Keep serving the web UI after the experiment ends (until Ctrl-C)");
}

StatusOr<std::string> CreateFromFile(const CliContext& ctx, const std::string& path) {
  auto config = ReadExperimentConfig(path, *ctx.registry);
  if (!config.ok()) return config.status();
  for (const auto& note : config->notes) std::fprintf(stderr, "%s\n", note.c_str());
  // Fail on an impossible platform request now, before anything is created.
  auto platform = CreatePlatform(*config, *ctx.registry);
  if (!platform.ok()) return InvalidArgument(path + ": error: trainingService: " + platform.status().message());
  Status can_start = (*platform)->Start();
  (void)(*platform)->Stop(std::chrono::milliseconds(0));
  if (!can_start.ok()) return InvalidArgument(path + ": error: trainingService: " + can_start.message());
  return CreateExperiment(ctx, std::move(*config), path);
}

// Prints the best trial of a finished run; returns how many trials succeeded (-1: unknown).
int PrintOutcome(const CliContext& ctx, const std::string& id, const std::string& status) {
  auto storage = SqliteStorage::Open(ExperimentDir(ctx, id) + "/hone.db", OpenMode::kReadOnly);
  if (!storage.ok()) return -1;
  auto trials = (*storage)->LoadTrials(false);
  auto config = StoredConfigJson(**storage, ctx, id);
  if (!trials.ok() || !config.ok()) return -1;
  const OptimizeMode mode = StoredOptimizeMode(*config);
  const TrialRecord* best = nullptr;
  int succeeded = 0;
  for (const auto& t : *trials) {
    if (t.status == TrialStatus::kSucceeded) ++succeeded;
    if (IsFinished(t.status) && t.HasRankableFinal() && (!best || Better(*t.final_value, *best->final_value, mode)))
      best = &t;
  }
  std::printf("experiment %s %s: %zu trials, %d succeeded\n", id.c_str(), status.c_str(), trials->size(), succeeded);
  if (best) {
    std::printf("best trial: %s  %s = %s  params %s\n", best->id.c_str(), std::string(OptimizeModeName(mode)).c_str(),
                FormatNumber(*best->final_value).c_str(), FormatParams(best->params).c_str());
  } else {
    std::printf("no trial reported a usable final metric\n");
  }
  return succeeded;
}

Status Foreground(const CliContext& ctx, const std::string& id, const RunOptions& run) {
  SessionOptions opts;
  opts.terminal = ::isatty(STDOUT_FILENO);
  opts.quiet = run.quiet;
  opts.ui = !run.no_ui;
  opts.ui_port = run.port;
  opts.keep_ui = run.keep_ui;
  std::printf("experiment %s  (dir %s)\n", id.c_str(), ExperimentDir(ctx, id).c_str());
  std::fflush(stdout);
  auto status = RunManager(ctx, id, opts);
  if (!status.ok()) return status.status();
  // An experiment that ran to its end without one good trial is a failed run for scripts.
  if (PrintOutcome(ctx, id, *status) == 0 && *status != kExpStopped)
    return FailedPrecondition("no trial succeeded (hone trial ls " + id + " shows why)");
  return Status::Ok();
}

}  // namespace

void SetupRunCommands(CLI::App& app, const CliContext& ctx, Status* result) {
  auto opts = std::make_shared<RunOptions>();

  auto* run = app.add_subcommand("run", "Run an experiment in the foreground with a live progress view");
  run->add_option("config", opts->config, "Experiment YAML")->required();
  run->add_flag("-q,--quiet", opts->quiet, "Print only the outcome");
  run->callback([&ctx, opts, result] {
    auto id = CreateFromFile(ctx, opts->config);
    if (!id.ok()) { *result = id.status(); return; }
    *result = Foreground(ctx, *id, *opts);
  });
  AddUiOptions(run, opts.get(), /*keep=*/true);

  auto* create = app.add_subcommand("create", "Start an experiment in the background; prints its id");
  create->add_option("config", opts->config, "Experiment YAML")->required();
  create->callback([&ctx, opts, result] {
    auto id = CreateFromFile(ctx, opts->config);
    if (!id.ok()) { *result = id.status(); return; }
    auto pid = SpawnDetachedManager(ctx, *id, UiArgs(*opts));
    if (!pid.ok()) { *result = pid.status(); return; }
    std::printf("%s\n", id->c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "experiment %s started (manager pid %d, log %s/manager.log)\n", id->c_str(), *pid,
                 ExperimentDir(ctx, *id).c_str());
    if (!opts->no_ui) PrintDetachedUiAddress(ctx, *id, *pid, 10.0);
    *result = Status::Ok();
  });
  AddUiOptions(create, opts.get(), /*keep=*/false);

  auto* resume = app.add_subcommand("resume", "Continue an experiment after a crash or a stop");
  resume->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  resume->add_flag("-d,--detach", opts->detach, "Run the manager in the background");
  resume->add_flag("-q,--quiet", opts->quiet, "Print only the outcome");
  resume->callback([&ctx, opts, result] {
    auto registry = ExperimentRegistry::Open(ctx.hone_home);
    if (!registry.ok()) { *result = registry.status(); return; }
    auto entry = (*registry)->Get(opts->id);
    if (!entry.ok()) { *result = entry.status(); return; }
    if (ManagerLock::IsHeld(ExperimentDir(ctx, entry->id))) {
      *result = FailedPrecondition("experiment " + entry->id + " is already running");
      return;
    }
    // Refuse a damaged experiment here, before a detached manager could only log why.
    auto storage = OpenExperimentStorage(ctx, entry->id, OpenMode::kReadWrite);
    if (!storage.ok()) { *result = storage.status(); return; }
    storage->reset();
    if (opts->detach) {
      auto pid = SpawnDetachedManager(ctx, entry->id, UiArgs(*opts));
      if (!pid.ok()) { *result = pid.status(); return; }
      std::printf("%s\n", entry->id.c_str());
      std::fflush(stdout);
      if (!opts->no_ui) PrintDetachedUiAddress(ctx, entry->id, *pid, 10.0);
      *result = Status::Ok();
      return;
    }
    *result = Foreground(ctx, entry->id, *opts);
  });
  AddUiOptions(resume, opts.get(), /*keep=*/true);

  auto* manager = app.add_subcommand("_manager", "Run an experiment's manager (used by create)");
  manager->group("");  // hidden
  manager->add_option("id", opts->id)->required();
  manager->add_option("--ui-port", opts->port);
  manager->add_flag("--no-ui", opts->no_ui);
  manager->callback([&ctx, opts, result] {
    SessionOptions sopts;
    sopts.ui = !opts->no_ui;
    sopts.ui_port = opts->port;
    sopts.ui_url_with_token = false;
    auto status = RunManager(ctx, opts->id, sopts);
    *result = status.ok() ? Status::Ok() : status.status();
    if (!status.ok()) std::fprintf(stderr, "error: %s\n", status.status().message().c_str());
  });
}

}  // namespace hone
