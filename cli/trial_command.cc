// `hone trial ls|log|kill`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/experiment_session.h"
#include "cli/export_format.h"
#include "cli/human_format.h"
#include "cli/stored_config.h"
#include "storage/experiment_registry.h"
#include "storage/sqlite_storage.h"

namespace hone {
namespace {

struct Options {
  std::string id;
  int64_t seq = -1;
  std::string status;
  int head = 0;
  bool stderr_log = false;
  int tail = 0;
  bool json = false;
};

StatusOr<ExperimentEntry> Find(const CliContext& ctx, const std::string& id) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  return (*registry)->Get(id);
}

Status Ls(const CliContext& ctx, const Options& o) {
  auto e = Find(ctx, o.id);
  if (!e.ok()) return e.status();
  std::optional<TrialStatus> only;
  if (!o.status.empty()) {
    only = ParseTrialStatus(o.status);
    if (!only) return InvalidArgument("--status: unknown trial status '" + o.status + "' (succeeded, failed, running, ...)");
  }
  auto storage = SqliteStorage::Open(ExperimentDir(ctx, e->id) + "/hone.db", OpenMode::kReadOnly);
  if (!storage.ok()) return storage.status().WithContext("experiment " + e->id);
  auto config = StoredConfigJson(**storage, ctx, e->id);
  if (!config.ok()) return config.status();
  auto trials = (*storage)->LoadTrials(false);
  if (!trials.ok()) return trials.status();
  std::vector<const TrialRecord*> rows;
  for (const auto& t : *trials)
    if (!only || t.status == *only) rows.push_back(&t);
  if (o.head > 0) {
    // Best first by the default metric, as `nnictl trial ls --head` does.
    const bool minimize = StoredOptimizeMode(*config) == OptimizeMode::kMinimize;
    std::stable_sort(rows.begin(), rows.end(), [minimize](const TrialRecord* a, const TrialRecord* b) {
      bool ra = a->HasRankableFinal(), rb = b->HasRankableFinal();
      if (ra != rb) return ra;
      if (!ra) return false;
      return minimize ? *a->final_value < *b->final_value : *a->final_value > *b->final_value;
    });
    if (rows.size() > static_cast<size_t>(o.head)) rows.resize(o.head);
  }
  if (o.json) {
    std::vector<TrialRecord> selected;
    for (const auto* t : rows) selected.push_back(*t);
    std::printf("%s\n", TrialsToJson(selected, false).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return Status::Ok();
  }
  std::printf("%-6s %-14s %-12s %-9s %s\n", "TRIAL", "STATUS", "FINAL", "SECONDS", "PARAMETERS");
  for (const auto* t : rows) {
    std::string final_text = t->final_value ? FormatNumber(*t->final_value) : "-";
    char dur[32] = "-";
    if (t->started_at > 0 && t->ended_at > 0) std::snprintf(dur, sizeof dur, "%.2f", t->ended_at - t->started_at);
    // A waiting trial's reason is its platform's pending reason.
    std::string waiting = t->status == TrialStatus::kWaiting && !t->reason.empty() ? "  (" + t->reason + ")" : "";
    std::printf("%-6s %-14s %-12s %-9s %s%s\n", t->id.c_str(), std::string(TrialStatusName(t->status)).c_str(),
                final_text.c_str(), dur, FormatParams(t->params).c_str(), waiting.c_str());
  }
  return Status::Ok();
}

Status Log(const CliContext& ctx, const Options& o) {
  auto e = Find(ctx, o.id);
  if (!e.ok()) return e.status();
  HONE_RETURN_IF_ERROR(OpenExperimentStorage(ctx, e->id, OpenMode::kReadOnly).status());
  std::string path = ExperimentDir(ctx, e->id) + "/trials/" + std::to_string(o.seq) +
                     (o.stderr_log ? "/stderr.log" : "/stdout.log");
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("trial " + std::to_string(o.seq) + " of " + e->id + " has no log (" + path + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (o.tail > 0) {
    size_t pos = text.size();
    int lines = 0;
    if (pos > 0 && text[pos - 1] == '\n') --pos;
    while (pos > 0 && lines < o.tail) {
      if (text[--pos] == '\n') ++lines;
    }
    if (lines == o.tail) text = text.substr(pos + 1);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return Status::Ok();
}

Status Kill(const CliContext& ctx, const Options& o) {
  auto e = Find(ctx, o.id);
  if (!e.ok()) return e.status();
  std::string dir = ExperimentDir(ctx, e->id);
  if (!ManagerLock::IsHeld(dir)) return FailedPrecondition("experiment " + e->id + " is not running");
  auto storage = OpenExperimentStorage(ctx, e->id, OpenMode::kReadWrite);
  if (!storage.ok()) return storage.status();
  auto trial = (*storage)->LoadTrial(o.seq);
  if (!trial.ok()) return trial.status();
  if (!*trial) return NotFound("experiment " + e->id + " has no trial " + std::to_string(o.seq));
  if (IsTerminal((*trial)->status))
    return FailedPrecondition("trial " + std::to_string(o.seq) + " already ended (" +
                              std::string(TrialStatusName((*trial)->status)) + ")");
  HONE_RETURN_IF_ERROR((*storage)->PushCommand(CommandKind::kKillTrial, {{"seq", o.seq}}));
  std::printf("asked the manager to kill trial %lld\n", static_cast<long long>(o.seq));
  return Status::Ok();
}

}  // namespace

void SetupTrialCommands(CLI::App& app, const CliContext& ctx, Status* result) {
  auto opts = std::make_shared<Options>();
  auto* trial = app.add_subcommand("trial", "List trials, read their logs, kill one");
  trial->require_subcommand(1);
  auto* ls = trial->add_subcommand("ls", "List an experiment's trials");
  ls->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
  ls->add_option("--status", opts->status, "Only trials in this status");
  ls->add_option("--head", opts->head, "Only the N best trials, best first");
  ls->add_flag("--json", opts->json, "Print a JSON array (full precision, as export writes it) instead of a table");
  ls->callback([&ctx, opts, result] { *result = Ls(ctx, *opts); });
  // `hone trial log|kill ID TRIAL`.
  auto add_trial_target = [&](const char* name, const char* help) {
    auto* sub = trial->add_subcommand(name, help);
    sub->add_option("id", opts->id, "Experiment id (or a unique prefix)")->required();
    sub->add_option("trial", opts->seq, "Trial number")->required();
    return sub;
  };
  auto* log = add_trial_target("log", "Print a trial's stdout (or stderr)");
  log->add_flag("--stderr", opts->stderr_log, "Print stderr instead of stdout");
  log->add_option("--tail", opts->tail, "Only the last N lines");
  log->callback([&ctx, opts, result] { *result = Log(ctx, *opts); });
  auto* kill = add_trial_target("kill", "Kill a running trial (recorded as canceled)");
  kill->callback([&ctx, opts, result] { *result = Kill(ctx, *opts); });
}

}  // namespace hone
