// `hone experiment list [--json]`: every experiment under HONE_HOME, newest first, with
// its trial counts and best value.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "cli/experiment_summary.h"
#include "cli/human_format.h"

namespace hone {

namespace {

int Count(const TrialSummary& s, std::initializer_list<TrialStatus> statuses) {
  int n = 0;
  for (TrialStatus st : statuses) {
    auto it = s.counts.find(st);
    if (it != s.counts.end()) n += it->second;
  }
  return n;
}

struct Row {
  ExperimentEntry entry;
  std::string status;
  StatusOr<TrialSummary> summary;
};

// Columns as wide as their widest cell (names up to 20), so that the usual table fits
// 80 columns.
void PrintTable(const std::vector<Row>& rows) {
  int name_w = 4, status_w = 6;
  for (const auto& r : rows) {
    name_w = std::max(name_w, std::min(20, DisplayWidth(r.entry.name)));
    status_w = std::max(status_w, DisplayWidth(r.status));
  }
  std::printf("%-8s %s %s %4s %4s %3s %5s  %-12s %s\n", "ID", PadRight("NAME", name_w).c_str(),
              PadRight("STATUS", status_w).c_str(), "SUCC", "FAIL", "RUN", "TOTAL", "BEST", "CREATED");
  for (const auto& r : rows) {
    std::string line = PadRight(r.entry.id, 8) + " " + PadRight(r.entry.name, name_w) + " " +
                       PadRight(r.status, status_w) + " ";
    char counts[64];
    const StatusOr<TrialSummary>& s = r.summary;
    if (s.ok()) {
      std::snprintf(counts, sizeof counts, "%4d %4d %3d %5zu  ", Count(*s, {TrialStatus::kSucceeded}),
                    Count(*s, {TrialStatus::kFailed}), Count(*s, {TrialStatus::kRunning, TrialStatus::kWaiting}),
                    s->total);
    } else {
      std::snprintf(counts, sizeof counts, "%4s %4s %3s %5s  ", "?", "?", "?", "?");
    }
    line += counts;
    line += PadRight(s.ok() && s->best ? FormatNumber(*s->best->final_value) : "-", 12) + " ";
    line += FormatTime(r.entry.created, false);
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

Status ListExperiments(const CliContext& ctx, bool as_json) {
  auto registry = ExperimentRegistry::Open(ctx.hone_home);
  if (!registry.ok()) return registry.status();
  auto entries = (*registry)->List();
  if (!entries.ok()) return entries.status();
  nlohmann::json out = nlohmann::json::array();
  std::vector<Row> rows;
  for (const auto& e : *entries) {
    // A damaged experiment stays listed (with '?' counts) so that it can be deleted.
    StatusOr<TrialSummary> summary = LoadTrialSummary(ctx, e.id);
    if (as_json) out.push_back(ExperimentListJson(ctx, e, summary));
    else rows.push_back({e, LiveStatus(ctx, e), std::move(summary)});
  }
  if (as_json) std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  else PrintTable(rows);
  return Status::Ok();
}

}  // namespace hone
