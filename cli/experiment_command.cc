// `hone experiment list|show|export|delete`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/experiment_session.h"
#include "cli/export_format.h"
#include "cli/progress_view.h"
#include "cli/stored_config.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"

namespace hone {
namespace fs = std::filesystem;

namespace {

// The status to show: a registry entry that says running while nobody holds the
// manager lock belongs to a manager that died.
std::string LiveStatus(const CliContext& ctx, const ExperimentEntry& e) {
  if (e.status == "running" && !ManagerLock::IsHeld(ExperimentDir(ctx, e.id))) return "crashed (resume it)";
  return e.status;
}

std::string TimeString(double unix_s) {
  if (unix_s <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_s);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

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

Status List(const CliContext& ctx) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto entries = (*registry)->List();
  if (!entries.ok()) return entries.status();
  std::printf("%-10s %-24s %-20s %-19s\n", "ID", "NAME", "STATUS", "CREATED");
  for (const auto& e : *entries)
    std::printf("%-10s %-24s %-20s %-19s\n", e.id.c_str(), e.name.substr(0, 24).c_str(),
                LiveStatus(ctx, e).c_str(), TimeString(e.created).c_str());
  return Status::Ok();
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
  const OptimizeMode mode = StoredOptimizeMode(*config);
  std::map<TrialStatus, int> counts;
  const TrialRecord* best = nullptr;
  for (const auto& t : *trials) {
    counts[t.status]++;
    if (IsFinished(t.status) && t.HasRankableFinal() && (!best || Better(*t.final_value, *best->final_value, mode)))
      best = &t;
  }
  std::printf("id:        %s\n", e->id.c_str());
  std::printf("name:      %s\n", e->name.c_str());
  std::printf("status:    %s\n", LiveStatus(ctx, *e).c_str());
  if (auto err = (*storage)->GetMeta("error")) std::printf("error:     %s\n", err->c_str());
  std::printf("created:   %s\n", TimeString(e->created).c_str());
  std::printf("directory: %s\n", e->dir.c_str());
  std::printf("config:    %s\n", e->config_path.c_str());
  if (auto el = (*storage)->GetMeta("elapsed")) std::printf("elapsed:   %s\n", FormatDuration(std::atof(el->c_str())).c_str());
  std::string concurrency = StoredText(*config, {"trialConcurrency"});
  std::printf("tuner:     %s  assessor: %s  platform: %s  concurrency: %s  seed: %s\n",
              StoredText(*config, {"tuner", "name"}).c_str(), StoredText(*config, {"assessor", "name"}).c_str(),
              StoredText(*config, {"trainingService", "platform"}).c_str(),
              concurrency.empty() ? "1" : concurrency.c_str(), StoredText(*config, {"seed"}).c_str());
  std::string budget = StoredText(*config, {"maxTrialNumber"});
  if (!budget.empty()) std::printf("budget:    %s trials\n", budget.c_str());
  std::printf("trials:    %zu (%s)\n", trials->size(), FormatCounts(counts).c_str());
  if (best)
    std::printf("best:      trial %s  %s = %.6g  %s\n", best->id.c_str(), std::string(OptimizeModeName(mode)).c_str(),
                *best->final_value, best->params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return Status::Ok();
}

Status Export(const CliContext& ctx, const std::string& id_prefix, const std::string& format,
              const std::string& output, bool intermediate) {
  if (format != "json" && format != "csv") return InvalidArgument("--format must be json or csv, but got '" + format + "'");
  auto e = Find(ctx, id_prefix);
  if (!e.ok()) return e.status();
  auto trials = LoadTrials(ctx, e->id, intermediate);
  if (!trials.ok()) return trials.status();
  std::string text = format == "json"
                         ? TrialsToJson(*trials, intermediate).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                         : TrialsToCsv(*trials);
  if (output.empty() || output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return IoError("cannot write " + output);
  return Status::Ok();
}

Status Delete(const CliContext& ctx, const std::string& id_prefix) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto e = (*registry)->Get(id_prefix);
  if (!e.ok()) return e.status();
  std::string dir = ExperimentDir(ctx, e->id);
  if (ManagerLock::IsHeld(dir)) return FailedPrecondition("experiment " + e->id + " is running; stop it first");
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
  };
  auto opts = std::make_shared<Options>();
  auto* exp = app.add_subcommand("experiment", "List, inspect, export and delete experiments");
  exp->require_subcommand(1);
  exp->add_subcommand("list", "List experiments under HONE_HOME")->callback([&ctx, result] { *result = List(ctx); });
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
  del->callback([&ctx, opts, result] { *result = Delete(ctx, opts->id); });
}

}  // namespace hone
