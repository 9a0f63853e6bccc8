#include "storage/experiment_rows.h"

#include <limits>
#include <string>
#include <utility>

namespace hone {

std::string TrialName(int64_t seq) { return "trial " + std::to_string(seq); }

void BindTrialOutcome(Statement& stmt, const TrialRecord& trial) {
  stmt.BindInt(1, trial.seq);
  stmt.BindText(4, TrialStatusName(trial.status));
  stmt.BindInt(7, trial.final_value.has_value() ? 1 : 0);
  if (trial.final_value) stmt.BindDouble(8, *trial.final_value);  // NaN becomes NULL
  else stmt.BindNull(8);
  if (trial.final_metrics.is_null()) {
    stmt.BindNull(9);
    stmt.BindNull(10);
  } else {
    JsonColumns final_metrics = EncodeJson(trial.final_metrics);
    stmt.BindText(9, final_metrics.text);
    stmt.BindOptionalText(10, final_metrics.nonfinite);
  }
  stmt.BindDouble(11, trial.created_at);
  stmt.BindDouble(12, trial.started_at);
  stmt.BindDouble(13, trial.ended_at);
  stmt.BindInt(14, trial.exit_code);
  stmt.BindText(15, trial.reason);
  stmt.BindInt(16, trial.pid);
}

void BindTrialIdentity(Statement& stmt, const TrialRecord& trial) {
  stmt.BindText(2, trial.id);
  stmt.BindInt(3, trial.config_id);
  JsonColumns params = EncodeJson(trial.params);
  stmt.BindText(5, params.text);
  stmt.BindOptionalText(6, params.nonfinite);
}

double ReadNullableDouble(const Statement& row, int column) {
  return row.IsNull(column) ? std::numeric_limits<double>::quiet_NaN() : row.ColumnDouble(column);
}

StatusOr<TrialRecord> ReadTrialRow(const Statement& row, int c) {
  TrialRecord trial;
  trial.seq = row.ColumnInt(c + 0);
  const std::string what = TrialName(trial.seq);
  trial.id = row.ColumnText(c + 1);
  trial.config_id = row.ColumnInt(c + 2);
  std::string status = row.ColumnText(c + 3);
  auto parsed = ParseTrialStatus(status);
  if (!parsed) return IoError(what + ": unknown stored status '" + status + "'");
  trial.status = *parsed;
  auto params = DecodeJson(row.ColumnText(c + 4), row.ColumnOptionalText(c + 5), what + " params");
  if (!params.ok()) return params.status();
  trial.params = std::move(*params);
  if (row.ColumnInt(c + 6) != 0) trial.final_value = ReadNullableDouble(row, c + 7);
  if (!row.IsNull(c + 8)) {
    auto metrics = DecodeJson(row.ColumnText(c + 8), row.ColumnOptionalText(c + 9), what + " final metrics");
    if (!metrics.ok()) return metrics.status();
    trial.final_metrics = std::move(*metrics);
  }
  trial.created_at = row.ColumnDouble(c + 10);
  trial.started_at = row.ColumnDouble(c + 11);
  trial.ended_at = row.ColumnDouble(c + 12);
  trial.exit_code = static_cast<int>(row.ColumnInt(c + 13));
  trial.reason = row.ColumnText(c + 14);
  trial.pid = row.ColumnInt(c + 15);
  return trial;
}

std::optional<std::string> ReadMeta(SqliteConnection& db, const std::string& key) {
  auto stmt = db.Use("SELECT value FROM meta WHERE key = ?1");
  if (!stmt.ok()) return std::nullopt;
  (*stmt)->BindText(1, key);
  auto row = (*stmt)->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return (*stmt)->ColumnText(0);
}

StatusOr<std::vector<Event>> ReadEvents(SqliteConnection& db, int64_t seq, int64_t max_events) {
  // LIMIT -1 is no limit.
  auto stmt = db.Use("SELECT time, seq, kind, detail FROM events WHERE seq = ?1 ORDER BY id LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, seq);
  (*stmt)->BindInt(2, max_events);
  std::vector<Event> events;
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    events.push_back({row.ColumnDouble(0), row.ColumnInt(1), row.ColumnText(2), row.ColumnText(3)});
  }));
  return events;
}

}  // namespace hone
