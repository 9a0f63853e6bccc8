#include "storage/trial_query.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_set>
#include <utility>
#include <variant>

#include "storage/schema.h"
#include "storage/sqlite_storage.h"
#include "storage/trial_query_sql.h"

namespace hone {
namespace {

using sql::BoundSql;

constexpr std::string_view kTrialColumns =
    "t.seq, t.trial_id, t.config_id, t.status, t.params, t.params_nonfinite, t.has_final, t.final, "
    "t.final_metrics, t.final_metrics_nonfinite, t.created_at, t.started_at, t.ended_at, t.exit_code, t.reason";
constexpr std::string_view kLatestMetric =
    "SELECT step, value FROM metrics WHERE seq = ?1 ORDER BY step DESC, rowid DESC LIMIT 1";
constexpr std::string_view kMetricCount = "SELECT count(*) FROM metrics WHERE seq = ?1";
constexpr std::string_view kGetMeta = "SELECT value FROM meta WHERE key = ?1";
constexpr std::string_view kCountByStatus = "SELECT status, count(*) FROM trials GROUP BY status";
constexpr std::string_view kConfigsCreated = "SELECT coalesce(max(config_id) + 1, 0) FROM trials";
constexpr std::string_view kMaxChange = "SELECT coalesce(max(id), 0) FROM trial_changes";
constexpr std::string_view kMaxMetricRow = "SELECT coalesce(max(rowid), 0) FROM metrics";
constexpr std::string_view kChangesAfter = "SELECT id, seq FROM trial_changes WHERE id > ?1 ORDER BY id LIMIT ?2";
constexpr std::string_view kMetricsAfter =
    "SELECT rowid, seq, step, value FROM metrics WHERE rowid > ?1 ORDER BY rowid LIMIT ?2";
constexpr std::string_view kIntermediate =
    "SELECT step, value, raw, time FROM metrics WHERE seq = ?1 ORDER BY step, rowid";
constexpr std::string_view kEvents =
    "SELECT time, seq, kind, detail FROM events WHERE seq = ?1 ORDER BY id LIMIT ?2";

std::string TrialSql(std::string_view where_order) {
  return "SELECT " + std::string(kTrialColumns) + " FROM trials t " + std::string(where_order);
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

StatusOr<std::string> JsonPathOf(std::string_view dotted) {
  if (dotted.empty() || dotted.size() > 128)
    return InvalidArgument("a path must have 1 to 128 characters, but got " + std::to_string(dotted.size()));
  std::string out = "$";
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    std::string_view label = dotted.substr(start, dot - start);
    if (label.empty()) return InvalidArgument("path '" + std::string(dotted) + "' has an empty part");
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!ok)
        return InvalidArgument("path '" + std::string(dotted) +
                               "' may hold only letters, digits, '_', '-' and '.'");
    }
    out += ".\"";
    out += label;
    out += "\"";
    start = dot + 1;
  }
  return out;
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
  return std::unique_ptr<TrialQuery>(new TrialQuery(std::move(*db)));
}

TrialQuery::TrialQuery(SqliteHandle db) : db_(std::move(db)), statements_(db_.get()) {}

TrialQuery::~TrialQuery() { EndSnapshot(); }

Status TrialQuery::BeginSnapshot() {
  if (in_snapshot_) return Status::Ok();
  HONE_RETURN_IF_ERROR(ExecSql(db_.get(), "BEGIN"));
  in_snapshot_ = true;
  return Status::Ok();
}

void TrialQuery::EndSnapshot() {
  if (!in_snapshot_) return;
  (void)ExecSql(db_.get(), "COMMIT");
  in_snapshot_ = false;
}

// --- simple reads ---

std::optional<std::string> TrialQuery::GetMeta(const std::string& key) {
  auto stmt = statements_.Use(kGetMeta);
  if (!stmt.ok()) return std::nullopt;
  (*stmt)->BindText(1, key);
  auto row = (*stmt)->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return (*stmt)->ColumnText(0);
}

StatusOr<std::map<std::string, int64_t>> TrialQuery::CountByStatus() {
  auto stmt = statements_.Use(kCountByStatus);
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, int64_t> counts;
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return counts;
    counts[(*stmt)->ColumnText(0)] = (*stmt)->ColumnInt(1);
  }
}

StatusOr<int64_t> TrialQuery::ConfigsCreated() {
  auto stmt = statements_.Use(kConfigsCreated);
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->ColumnInt(0) : 0;
}

StatusOr<std::vector<TrialSummary>> TrialQuery::Summaries(const std::vector<int64_t>& seqs) {
  std::vector<TrialSummary> out;
  out.reserve(seqs.size());
  static const std::string kOne = TrialSql("WHERE t.seq = ?1");
  for (int64_t seq : seqs) {
    TrialSummary s;
    {
      auto stmt = statements_.Use(kOne);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (!*row) continue;  // not there (a caller's stale seq)
      auto record = sql::ReadTrialColumns(**stmt, 0);
      if (!record.ok()) return record.status();
      s.record = std::move(*record);
    }
    {
      auto stmt = statements_.Use(kLatestMetric);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      if (*row) s.latest = IntermediateMetric{(*stmt)->ColumnInt(0), sql::ReadDouble(**stmt, 1)};
    }
    if (s.latest) {
      auto stmt = statements_.Use(kMetricCount);
      if (!stmt.ok()) return stmt.status();
      (*stmt)->BindInt(1, seq);
      auto row = (*stmt)->Step();
      if (!row.ok()) return row.status();
      s.intermediate_count = *row ? (*stmt)->ColumnInt(0) : 0;
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::optional<TrialSummary>> TrialQuery::Best(OptimizeMode mode) {
  std::string sql = "SELECT t.seq FROM trials t WHERE " + std::string(sql::kFinishedStates) + " AND " +
                    sql::FiniteCondition("t.final") + " ORDER BY t.final " +
                    (mode == OptimizeMode::kMaximize ? "DESC, t.seq DESC" : "ASC, t.seq ASC") + " LIMIT 1";
  auto stmt = statements_.Use(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<TrialSummary>();
  int64_t seq = (*stmt)->ColumnInt(0);
  auto summaries = Summaries({seq});
  if (!summaries.ok()) return summaries.status();
  if (summaries->empty()) return std::optional<TrialSummary>();
  return std::optional<TrialSummary>(std::move(summaries->front()));
}

// --- the list ---

namespace {

// The one integer `query` (SQL and bindings) selects.
StatusOr<int64_t> CountOf(sqlite3* db, const BoundSql& query) {
  auto stmt = Statement::Prepare(db, query.text);
  if (!stmt.ok()) return stmt.status();
  query.BindTo(**stmt);
  auto row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->ColumnInt(0) : 0;
}

StatusOr<int64_t> CountWhere(sqlite3* db, const BoundSql& where) {
  BoundSql q = where;
  q.text = "SELECT count(*) FROM trials t" + (where.text.empty() ? std::string() : " WHERE " + where.text);
  return CountOf(db, q);
}

// Appends the seqs `query` selects to *out.
Status CollectSeqs(sqlite3* db, const BoundSql& query, std::vector<int64_t>* out) {
  auto stmt = Statement::Prepare(db, query.text);
  if (!stmt.ok()) return stmt.status();
  query.BindTo(**stmt);
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    out->push_back((*stmt)->ColumnInt(0));
  }
}

}  // namespace

StatusOr<int64_t> TrialQuery::Count(const TrialFilter& filter, double now) {
  BoundSql where;
  HONE_RETURN_IF_ERROR(sql::AppendFilter(filter, now, &where));
  return CountWhere(db_.get(), where);
}

StatusOr<TrialPage> TrialQuery::List(const TrialFilter& filter, const TrialSort& sort, int64_t offset,
                                     int64_t limit, double now, std::optional<int64_t> known_total) {
  BoundSql where;
  HONE_RETURN_IF_ERROR(sql::AppendFilter(filter, now, &where));
  TrialPage page;
  if (known_total) {
    page.total = *known_total;
  } else {
    auto total = CountWhere(db_.get(), where);
    if (!total.ok()) return total.status();
    page.total = *total;
  }
  if (offset >= page.total) return page;

  const std::string dir = sort.descending ? " DESC" : " ASC";
  std::vector<int64_t> seqs;
  if (sort.kind == SortKind::kSeq) {
    BoundSql q = where;
    q.text = "SELECT t.seq FROM trials t" + (q.text.empty() ? "" : " WHERE " + q.text) + " ORDER BY t.seq" + dir +
             " LIMIT " + q.Add(limit) + " OFFSET " + q.Add(offset);
    HONE_RETURN_IF_ERROR(CollectSeqs(db_.get(), q, &seqs));
  } else if (auto value_key = sql::ValueKeyOf(sort); !value_key.ok()) {
    return value_key.status();
  } else if (value_key->has_value()) {
    // A parameter or final-metric key: the same two parts over trial_values, whose
    // index holds (key, value, seq) in order.
    const sql::ValueKey& key = **value_key;
    HONE_RETURN_IF_ERROR(CollectSeqs(db_.get(), sql::ValuePageSql(where, key, sort.descending, limit, offset), &seqs));
    const int64_t missing = limit - static_cast<int64_t>(seqs.size());
    if (missing > 0) {
      int64_t valued = offset + static_cast<int64_t>(seqs.size());
      if (seqs.empty()) {
        auto n = CountOf(db_.get(), sql::ValueCountSql(where, key));
        if (!n.ok()) return n.status();
        valued = *n;
      }
      if (valued < page.total)
        HONE_RETURN_IF_ERROR(CollectSeqs(
            db_.get(),
            sql::MissingValuePageSql(where, key, sort.descending, missing, std::max<int64_t>(0, offset - valued)),
            &seqs));
    }
  } else {
    // Rows with a value first (ORDER BY key, seq in one direction: an index on the key
    // serves it and stops after the page), then the rows without, by seq.
    BoundSql with_value = where;
    auto key = sql::SortExpression(sort, now, &with_value);
    if (!key.ok()) return key.status();
    std::string cond = (where.text.empty() ? "" : "(" + where.text + ") AND ") + *key;
    with_value.text = cond + " IS NOT NULL";
    {
      BoundSql q = with_value;
      q.text = "SELECT t.seq FROM trials t WHERE " + q.text + " ORDER BY " + *key + dir + ", t.seq" + dir +
               " LIMIT " + q.Add(limit) + " OFFSET " + q.Add(offset);
      HONE_RETURN_IF_ERROR(CollectSeqs(db_.get(), q, &seqs));
    }
    const int64_t missing = limit - static_cast<int64_t>(seqs.size());
    // A short page reached the rows without a value: count the valued ones only now
    // (a full page, the common case, never counts).
    if (missing > 0 && sort.kind != SortKind::kStatus && sort.kind != SortKind::kCreated) {
      int64_t valued = offset + static_cast<int64_t>(seqs.size());
      if (seqs.empty()) {
        auto n = CountWhere(db_.get(), with_value);
        if (!n.ok()) return n.status();
        valued = *n;
      }
      BoundSql q = where;
      auto null_key = sql::SortExpression(sort, now, &q);
      if (!null_key.ok()) return null_key.status();
      q.text = (where.text.empty() ? "" : "(" + where.text + ") AND ") + *null_key + " IS NULL";
      q.text = "SELECT t.seq FROM trials t WHERE " + q.text + " ORDER BY t.seq" + dir + " LIMIT " + q.Add(missing) +
               " OFFSET " + q.Add(std::max<int64_t>(0, offset - valued));
      HONE_RETURN_IF_ERROR(CollectSeqs(db_.get(), q, &seqs));
    }
  }
  auto summaries = Summaries(seqs);
  if (!summaries.ok()) return summaries.status();
  page.trials = std::move(*summaries);
  return page;
}

StatusOr<std::optional<TrialSummary>> TrialQuery::Get(int64_t seq) {
  auto summaries = Summaries({seq});
  if (!summaries.ok()) return summaries.status();
  if (summaries->empty()) return std::optional<TrialSummary>();
  return std::optional<TrialSummary>(std::move(summaries->front()));
}

StatusOr<std::vector<IntermediateResult>> TrialQuery::Intermediate(int64_t seq, int64_t max_points,
                                                                   int64_t* total) {
  int64_t count = 0;
  {
    auto stmt = statements_.Use(kMetricCount);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->BindInt(1, seq);
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    count = *row ? (*stmt)->ColumnInt(0) : 0;
  }
  if (total) *total = count;
  // Thinned: the indices round(k * (count - 1) / (max_points - 1)), k = 0..max_points-1,
  // which are distinct when count > max_points and always hold the first and the last.
  const bool thin = count > max_points && max_points >= 2;
  auto stmt = statements_.Use(kIntermediate);
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
    out.push_back({(*stmt)->ColumnInt(0), sql::ReadDouble(**stmt, 1), (*stmt)->ColumnText(2),
                   (*stmt)->ColumnDouble(3)});
  }
  return out;
}

StatusOr<std::vector<Event>> TrialQuery::Events(int64_t seq, int64_t max_events) {
  auto stmt = statements_.Use(kEvents);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, seq);
  (*stmt)->BindInt(2, max_events);
  std::vector<Event> out;
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({(*stmt)->ColumnDouble(0), (*stmt)->ColumnInt(1), (*stmt)->ColumnText(2), (*stmt)->ColumnText(3)});
  }
}

// --- live updates ---

StatusOr<ChangeCursor> TrialQuery::CurrentCursor() {
  ChangeCursor c;
  for (auto [sql, field] : {std::pair{kMaxChange, &c.change_id}, std::pair{kMaxMetricRow, &c.metric_row}}) {
    auto stmt = statements_.Use(sql);
    if (!stmt.ok()) return stmt.status();
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    *field = *row ? (*stmt)->ColumnInt(0) : 0;
  }
  return c;
}

StatusOr<Changes> TrialQuery::ChangesSince(const ChangeCursor& after, int max_trials, int max_metrics) {
  Changes changes;
  changes.cursor = after;
  std::vector<int64_t> seqs;
  {
    // Read a few more change rows than trials wanted: a trial changes about three times.
    const int64_t window = static_cast<int64_t>(max_trials) * 4;
    auto stmt = statements_.Use(kChangesAfter);
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

  auto stmt = statements_.Use(kMetricsAfter);
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
    changes.metrics.push_back({(*stmt)->ColumnInt(1), (*stmt)->ColumnInt(2), sql::ReadDouble(**stmt, 3)});
  }
  return changes;
}

StatusOr<std::vector<TrialRecord>> TrialQuery::ScanTrials(int64_t after_seq, int limit) {
  static const std::string kScan = TrialSql("WHERE t.seq > ?1 ORDER BY t.seq LIMIT ?2");
  auto stmt = statements_.Use(kScan);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->BindInt(1, after_seq);
  (*stmt)->BindInt(2, limit);
  std::vector<TrialRecord> out;
  for (;;) {
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    auto record = sql::ReadTrialColumns(**stmt, 0);
    if (!record.ok()) return record.status();
    out.push_back(std::move(*record));
  }
}

}  // namespace hone
