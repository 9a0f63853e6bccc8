#include "storage/trial_query.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>
#include <utility>

#include "storage/experiment_rows.h"
#include "storage/schema.h"
#include "storage/sqlite_storage.h"
#include "storage/sqlite_util.h"
#include "storage/trial_query_sql.h"

namespace hone {
namespace {

constexpr std::string_view kLatestMetric =
    "SELECT step, value FROM metrics WHERE seq = ?1 ORDER BY step DESC, rowid DESC LIMIT 1";
constexpr std::string_view kMetricCount = "SELECT count(*) FROM metrics WHERE seq = ?1";
constexpr std::string_view kCountByStatus = "SELECT status, count(*) FROM trials GROUP BY status";
constexpr std::string_view kConfigsCreated = "SELECT coalesce(max(config_id) + 1, 0) FROM trials";
constexpr std::string_view kMaxChange = "SELECT coalesce(max(id), 0) FROM trial_changes";
constexpr std::string_view kMaxMetricRow = "SELECT coalesce(max(rowid), 0) FROM metrics";
constexpr std::string_view kChangesAfter = "SELECT id, seq FROM trial_changes WHERE id > ?1 ORDER BY id LIMIT ?2";
constexpr std::string_view kMetricsAfter =
    "SELECT rowid, seq, step, value FROM metrics WHERE rowid > ?1 ORDER BY rowid LIMIT ?2";
constexpr std::string_view kIntermediate =
    "SELECT step, value, raw, time FROM metrics WHERE seq = ?1 ORDER BY step, rowid";
const std::string kOneTrial = "SELECT " + std::string(kTrialColumns) + " FROM trials t WHERE t.seq = ?1";
const std::string kScanTrials =
    "SELECT " + std::string(kTrialColumns) + " FROM trials t WHERE t.seq > ?1 ORDER BY t.seq LIMIT ?2";

// The integer the cached statement `sql` selects (with ?1 = `seq` when given).
StatusOr<int64_t> IntOf(SqliteConnection& db, std::string_view sql, std::optional<int64_t> seq = std::nullopt) {
  auto stmt = db.Use(sql);
  if (!stmt.ok()) return stmt.status();
  if (seq) (*stmt)->BindInt(1, *seq);
  return (*stmt)->SingleInt();
}

}  // namespace

// --- cursor ---

std::string ChangeCursor::ToString() const {
  return std::to_string(change_id) + "." + std::to_string(metric_row);
}

std::optional<ChangeCursor> ChangeCursor::Parse(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() > 41) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<int64_t> {
    int64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
  };
  auto a = number(text.substr(0, dot));
  auto b = number(text.substr(dot + 1));
  if (!a || !b) return std::nullopt;
  return ChangeCursor{*a, *b};
}

// --- opening ---

StatusOr<std::unique_ptr<TrialQuery>> TrialQuery::Open(const std::string& path) {
  auto db = OpenSqlite(path, OpenMode::kReadOnly);
  if (!db.ok()) return db.status();
  Status current = Migrate(db->get(), ExperimentMigrations(), /*read_only=*/true);
  if (!current.ok() && current.message().find("is older than") != std::string::npos) {
    // Written by an older hone: migrate once, as any read-write open would.
    db->reset();
    auto migrated = SqliteStorage::Open(path, OpenMode::kReadWrite);
    if (!migrated.ok()) return migrated.status();
    migrated->reset();
    db = OpenSqlite(path, OpenMode::kReadOnly);
    if (!db.ok()) return db.status();
    current = Migrate(db->get(), ExperimentMigrations(), true);
  }
  if (!current.ok()) return current.WithContext(path);
  return std::unique_ptr<TrialQuery>(new TrialQuery(std::make_unique<SqliteConnection>(std::move(*db))));
}

TrialQuery::TrialQuery(std::unique_ptr<SqliteConnection> db) : db_(std::move(db)) {}

TrialQuery::~TrialQuery() { EndSnapshot(); }

Status TrialQuery::BeginSnapshot() {
  if (in_snapshot_) return Status::Ok();
  HONE_RETURN_IF_ERROR(ExecSql(db_->get(), "BEGIN"));
  in_snapshot_ = true;
  return Status::Ok();
}

void TrialQuery::EndSnapshot() {
  if (!in_snapshot_) return;
  (void)ExecSql(db_->get(), "COMMIT");
  in_snapshot_ = false;
}

// --- simple reads ---

std::optional<std::string> TrialQuery::GetMeta(const std::string& key) { return ReadMeta(*db_, key); }

StatusOr<std::map<std::string, int64_t>> TrialQuery::CountByStatus() {
  auto stmt = db_->Use(kCountByStatus);
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, int64_t> counts;
  HONE_RETURN_IF_ERROR(
      (*stmt)->ForEachRow([&](const Statement& row) { counts[row.ColumnText(0)] = row.ColumnInt(1); }));
  return counts;
}

StatusOr<int64_t> TrialQuery::ConfigsCreated() { return IntOf(*db_, kConfigsCreated); }

StatusOr<std::vector<TrialSummary>> TrialQuery::Summaries(const std::vector<int64_t>& seqs) {
  std::vector<TrialSummary> out;
  out.reserve(seqs.size());
  for (int64_t seq : seqs) {
    TrialSummary s;
    {
      auto stmt = db_->Use(kOneTrial);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) continue;  // not there (a caller's stale seq)
      auto record = ReadTrialRow(**stmt);
      if (!record.ok()) return record.status();
      s.record = std::move(*record);
    }
    {
      auto stmt = db_->Use(kLatestMetric);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (*row) s.latest = IntermediateMetric{(*stmt)->ColumnInt(0), ReadNullableDouble(**stmt, 1)};
    }
    if (s.latest) {
      auto count = IntOf(*db_, kMetricCount, seq);
      if (!count.ok()) return count.status();
      s.intermediate_count = *count;
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::optional<TrialSummary>> TrialQuery::Best(OptimizeMode mode) {
  std::string sql = "SELECT t.seq FROM trials t WHERE " + std::string(sql::kFinishedStates) + " AND " +
                    sql::FiniteCondition("t.final") + " ORDER BY t.final " +
                    (mode == OptimizeMode::kMaximize ? "DESC, t.seq DESC" : "ASC, t.seq ASC") + " LIMIT 1";
  auto stmt = db_->Use(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<TrialSummary>();
  return Get((*stmt)->ColumnInt(0));
}

StatusOr<std::optional<TrialSummary>> TrialQuery::Get(int64_t seq) {
  auto summaries = Summaries({seq});
  if (!summaries.ok()) return summaries.status();
  if (summaries->empty()) return std::optional<TrialSummary>();
  return std::optional<TrialSummary>(std::move(summaries->front()));
}

StatusOr<std::vector<IntermediateResult>> TrialQuery::Intermediate(int64_t seq, int64_t max_points,
                                                                   int64_t* total) {
  auto counted = IntOf(*db_, kMetricCount, seq);
  if (!counted.ok()) return counted.status();
  const int64_t count = *counted;
  if (total) *total = count;
  // Thinned: the indices round(k * (count - 1) / (max_points - 1)), k = 0..max_points-1,
  // which are distinct when count > max_points and always hold the first and the last.
  const bool thin = count > max_points && max_points >= 2;
  auto stmt = db_->Use(kIntermediate);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, seq);
  std::vector<IntermediateResult> out;
  out.reserve(static_cast<size_t>(std::min(count, max_points)));
  int64_t k = 0;
  for (int64_t i = 0;; ++i) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (thin) {
      int64_t wanted = static_cast<int64_t>(std::llround(static_cast<double>(k) * static_cast<double>(count - 1) /
                                                         static_cast<double>(max_points - 1)));
      if (i != wanted) continue;
      ++k;
    } else if (static_cast<int64_t>(out.size()) >= max_points) {
      break;
    }
    out.push_back({(*stmt)->ColumnInt(0), ReadNullableDouble(**stmt, 1), (*stmt)->ColumnText(2),
                   (*stmt)->ColumnDouble(3)});
  }
  return out;
}

StatusOr<std::vector<Event>> TrialQuery::Events(int64_t seq, int64_t max_events) {
  return ReadEvents(*db_, seq, max_events);
}

StatusOr<std::vector<TrialRecord>> TrialQuery::ScanTrials(int64_t after_seq, int limit) {
  auto stmt = db_->Use(kScanTrials);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, after_seq);
  (*stmt)->BindInt(2, limit);
  std::vector<TrialRecord> out;
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) -> Status {
    auto record = ReadTrialRow(row);
    if (!record.ok()) return record.status();
    out.push_back(std::move(*record));
    return Status::Ok();
  }));
  return out;
}

// --- live updates ---

StatusOr<ChangeCursor> TrialQuery::CurrentCursor() {
  auto change_id = IntOf(*db_, kMaxChange);
  if (!change_id.ok()) return change_id.status();
  auto metric_row = IntOf(*db_, kMaxMetricRow);
  if (!metric_row.ok()) return metric_row.status();
  return ChangeCursor{*change_id, *metric_row};
}

StatusOr<Changes> TrialQuery::ChangesSince(const ChangeCursor& after, int max_trials, int max_metrics) {
  Changes changes;
  changes.cursor = after;
  std::vector<int64_t> seqs;
  {
    // Read a few more change rows than trials wanted: a trial changes about three times.
    const int64_t window = static_cast<int64_t>(max_trials) * 4;
    auto stmt = db_->Use(kChangesAfter);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindInt(1, after.change_id);
    (*stmt)->BindInt(2, window + 1);
    std::unordered_set<int64_t> seen;
    int64_t rows = 0;
    for (;;) {
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (++rows > window) {
        changes.more = true;
        break;
      }
      int64_t seq = (*stmt)->ColumnInt(1);
      if (!seen.count(seq)) {
        if (static_cast<int>(seqs.size()) == max_trials) {
          changes.more = true;
          break;
        }
        seen.insert(seq);
        seqs.push_back(seq);
      }
      changes.cursor.change_id = (*stmt)->ColumnInt(0);
    }
  }
  auto summaries = Summaries(seqs);
  if (!summaries.ok()) return summaries.status();
  changes.trials = std::move(*summaries);

  auto stmt = db_->Use(kMetricsAfter);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, after.metric_row);
  (*stmt)->BindInt(2, static_cast<int64_t>(max_metrics) + 1);
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(changes.metrics.size()) == max_metrics) {
      changes.more = true;
      break;
    }
    changes.cursor.metric_row = (*stmt)->ColumnInt(0);
    changes.metrics.push_back({(*stmt)->ColumnInt(1), (*stmt)->ColumnInt(2), ReadNullableDouble(**stmt, 3)});
  }
  return changes;
}

}  // namespace hone
