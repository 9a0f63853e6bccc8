#include "cli/experiment_summary.h"

#include "cli/experiment_session.h"
#include "cli/stored_config.h"
#include "storage/sqlite_storage.h"
#include "storage/trial_export.h"
#include "webui/token.h"
#include "webui/web_server.h"

namespace hone {

using nlohmann::json;

TrialSummary SummarizeTrials(const std::vector<TrialRecord>& trials, OptimizeMode mode) {
  TrialSummary s;
  s.mode = mode;
  s.total = trials.size();
  for (const auto& t : trials) {
    s.counts[t.status]++;
    if (IsFinished(t.status) && t.HasRankableFinal() && (!s.best || Better(*t.final_value, *s.best->final_value, mode)))
      s.best = t;
  }
  return s;
}

StatusOr<TrialSummary> LoadTrialSummary(const CliContext& ctx, const std::string& id) {
  auto storage = SqliteStorage::Open(ExperimentDir(ctx, id) + "/hone.db", OpenMode::kReadOnly);
  if (!storage.ok()) return storage.status();
  json config = json::parse((*storage)->GetMeta("config").value_or("{}"), nullptr, /*allow_exceptions=*/false);
  auto trials = (*storage)->LoadTrials(false);
  if (!trials.ok()) return trials.status();
  return SummarizeTrials(*trials, StoredOptimizeMode(config.is_object() ? config : json::object()));
}

std::string LiveStatus(const CliContext& ctx, const ExperimentEntry& e) {
  if (e.status == "running" && !ManagerLock::IsHeld(ExperimentDir(ctx, e.id))) return "crashed (resume it)";
  return e.status;
}

std::string LiveUiAddress(const CliContext& ctx, const ExperimentEntry& e, bool with_token) {
  if (e.ui_port <= 0 || !ManagerLock::IsHeld(ExperimentDir(ctx, e.id))) return "";
  std::string token;
  if (with_token) {
    // A serving UI has written the token already; this only reads it.
    auto t = webui::LoadOrCreateToken(ctx.hone_home);
    if (t.ok()) token = *t;
  }
  return webui::UiUrl("127.0.0.1", e.ui_port, e.id, token);
}

json ExperimentListJson(const CliContext& ctx, const ExperimentEntry& e, const StatusOr<TrialSummary>& summary) {
  json j = {{"id", e.id},         {"name", e.name},       {"status", LiveStatus(ctx, e)},
            {"created", e.created}, {"updated", e.updated}, {"dir", e.dir},
            {"config", e.config_path}};
  std::string ui = LiveUiAddress(ctx, e, /*with_token=*/false);
  j["web_ui"] = ui.empty() ? json() : json(ui);
  j["trials"] = nullptr;
  j["best"] = nullptr;
  if (!summary.ok()) {
    j["error"] = summary.status().message();
    return j;
  }
  json trials = {{"total", summary->total}};
  for (TrialStatus s : {TrialStatus::kWaiting, TrialStatus::kRunning, TrialStatus::kSucceeded, TrialStatus::kFailed,
                        TrialStatus::kEarlyStopped, TrialStatus::kTimeout, TrialStatus::kCanceled, TrialStatus::kLost}) {
    auto it = summary->counts.find(s);
    trials[std::string(TrialStatusName(s))] = it == summary->counts.end() ? 0 : it->second;
  }
  j["trials"] = trials;
  j["optimize_mode"] = std::string(OptimizeModeName(summary->mode));
  if (summary->best)
    j["best"] = {{"trial", summary->best->id},
                 {"value", JsonNumber(*summary->best->final_value)},
                 {"parameters", NanSafe(summary->best->params)}};
  return j;
}

}  // namespace hone
