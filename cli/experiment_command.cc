// `hone experiment list|show|export|delete` (`update`: experiment_update.cc).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/confirm.h"
#include "cli/experiment_limits.h"
#include "cli/experiment_session.h"
#include "cli/experiment_summary.h"
#include "cli/export_format.h"
#include "cli/human_format.h"
#include "cli/progress_view.h"
#include "cli/stored_config.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"

namespace hone {
namespace fs = std::filesystem;

namespace {

// The experiment whose id is (or starts with) `id_prefix`.
StatusOr<ExperimentEntry> Find(const CliContext& ctx, const std::string& id_prefix) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  return (*registry)->Get(id_prefix);
}

StatusOr<std::vector<TrialRecord>> LoadTrials(const CliContext& ctx, const std::string& id, bool inter) {
  auto storage = OpenExperimentStorage(ctx, id, OpenMode::kReadOnly);
  if (!storage.ok()) return storage.status();
  return (*storage)->LoadTrials(inter);
}

Status Show(const CliContext& ctx, const std::string& id_prefix) {
  auto e = Find(ctx, id_prefix);
  if (!e.ok()) return e.status();
  auto storage = SqliteStorage::Open(ExperimentDir(ctx, e->id) + "/hone.db", OpenMode::kReadOnly);
  if (!storage.ok()) return storage.status().WithContext("experiment " + e->id);
  auto config = StoredConfigJson(**storage, ctx, e->id);
  if (!config.ok()) return config.status();
  auto trials = (*storage)->LoadTrials(false);
  if (!trials.ok()) return trials.status();
  const TrialSummary summary = SummarizeTrials(*trials, StoredOptimizeMode(*config));
  const ExperimentLimits limits = EffectiveLimits(*config, (*storage)->GetMeta("limits"));
  std::printf("id:        %s\n", e->id.c_str());
  std::printf("name:      %s\n", e->name.c_str());
  std::printf("status:    %s\n", LiveStatus(ctx, *e).c_str());
  if (auto err = (*storage)->GetMeta("error")) std::printf("error:     %s\n", err->c_str());
  std::printf("created:   %s\n", FormatTime(e->created, true).c_str());
  std::printf("directory: %s\n", e->dir.c_str());
  std::printf("config:    %s\n", e->config_path.c_str());
  if (auto el = (*storage)->GetMeta("elapsed")) std::printf("elapsed:   %s\n", FormatDuration(std::atof(el->c_str())).c_str());
  std::printf("tuner:     %s  assessor: %s  platform: %s  seed: %s\n", StoredText(*config, {"tuner", "name"}).c_str(),
              StoredText(*config, {"assessor", "name"}).c_str(),
              StoredText(*config, {"trainingService", "platform"}).c_str(), StoredText(*config, {"seed"}).c_str());
  std::printf("limits:    %s\n", DescribeLimits(limits).c_str());
  std::printf("trials:    %zu (%s)\n", summary.total, FormatCounts(summary.counts).c_str());
  if (summary.best)
    std::printf("best:      trial %s  %s = %s  %s\n", summary.best->id.c_str(),
                std::string(OptimizeModeName(summary.mode)).c_str(), FormatNumber(*summary.best->final_value).c_str(),
                FormatParams(summary.best->params).c_str());
  std::string ui = LiveUiAddress(ctx, *e, /*with_token=*/true);
  std::printf("web UI:    %s\n", ui.empty() ? ("not serving (browse it with `hone view " + e->id + "`)").c_str() : ui.c_str());
  return Status::Ok();
}

Status Export(const CliContext& ctx, const std::string& id_prefix, const std::string& format,
              const std::string& output, bool intermediate) {
  if (format != "json" && format != "csv") return InvalidArgument("--format must be json or csv, but got '" + format + "'");
  auto e = Find(ctx, id_prefix);
  if (!e.ok()) return e.status();
  auto trials = LoadTrials(ctx, e->id, false);
  if (!trials.ok()) return trials.status();
  auto exported = ExportTrials(*trials, format, intermediate ? ExperimentDir(ctx, e->id) + "/hone.db" : "");
  if (!exported.ok()) return exported.status();
  const std::string& text = *exported;
  if (output.empty() || output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return IoError("cannot write " + output);
  return Status::Ok();
}

Status Delete(const CliContext& ctx, const std::string& id_prefix, bool yes) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto e = (*registry)->Get(id_prefix);
  if (!e.ok()) return e.status();
  std::string dir = ExperimentDir(ctx, e->id);
  if (ManagerLock::IsHeld(dir)) return FailedPrecondition("experiment " + e->id + " is running; stop it first");
  if (!yes) {
    if (!::isatty(STDIN_FILENO))
      return InvalidArgument("experiment delete: not deleting " + e->id +
                             " without a confirmation, and stdin is not a terminal to ask on; pass --yes (-y)");
    if (!AskYesNo("delete experiment " + e->id + " (" + (e->name.empty() ? "no name" : e->name) +
                      ") and all its files in " + dir + "?",
                  stdin, stderr)) {
      std::printf("kept experiment %s\n", e->id.c_str());
      return Status::Ok();
    }
  }
  // Files first: a folder that cannot be removed (or only in part) leaves the
  // experiment listed, so that `delete` can be run again.
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec)
    return IoError("cannot remove " + dir + ": " + ec.message() + "; experiment " + e->id +
                   " stays listed (run delete again once the folder can be removed)");
  HONE_RETURN_IF_ERROR((*registry)->Remove(e->id));
  std::printf("deleted experiment %s\n", e->id.c_str());
  return Status::Ok();
}

}  // namespace

void SetupExperimentCommands(CLI::App& app, const CliContext& ctx, Status* result) {
  struct Options {
    std::string id, format = "json", output;
    bool intermediate = false;
    bool json = false;
    bool yes = false;
  };
  auto opts = std::make_shared<Options>();
  auto* exp = app.add_subcommand("experiment", "List, inspect, update, export and delete experiments");
  exp->require_subcommand(1);
  auto* list = exp->add_subcommand("list", "List experiments under HONE_HOME with trial counts and best value");
  list->add_flag("--json", opts->json, "Print a JSON array (full precision) instead of a table");
  list->callback([&ctx, opts, result] { *result = ListExperiments(ctx, opts->json); });
  auto* show = exp->add_subcommand("show", "Show an experiment's status, budget and best trial");
  show->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  show->callback([&ctx, opts, result] { *result = Show(ctx, opts->id); });
  auto* exp_export = exp->add_subcommand("export", "Export all trials as JSON or CSV");
  exp_export->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  exp_export->add_option("-t,--format", opts->format, "json or csv")->capture_default_str();
  exp_export->add_option("-o,--output", opts->output, "File to write (default: stdout)");
  exp_export->add_flag("-i,--intermediate", opts->intermediate, "Include intermediate metrics (JSON)");
  exp_export->callback([&ctx, opts, result] { *result = Export(ctx, opts->id, opts->format, opts->output, opts->intermediate); });
  auto* del = exp->add_subcommand("delete", "Delete a stopped experiment and its files");
  del->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  del->add_flag("-y,--yes", opts->yes, "Do not ask for a confirmation (needed when stdin is not a terminal)");
  del->callback([&ctx, opts, result] { *result = Delete(ctx, opts->id, opts->yes); });
  SetupExperimentUpdateCommand(*exp, ctx, result);
}

}  // namespace hone
