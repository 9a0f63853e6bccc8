#include "storage/trial_query.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <functional>
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
  // The counts and pages below must see one state of the database.
  const bool own_snapshot = !in_snapshot_;
  if (own_snapshot) HONE_RETURN_IF_ERROR(BeginSnapshot());
  auto page = ListInSnapshot(filter, sort, offset, limit, now, known_total);
  if (own_snapshot) EndSnapshot();
  return page;
}

namespace {

// Offsets from which a page may be read from the far end of the order.
constexpr int64_t kReverseFrom = 1000;

// "Rows with a value" of a sort, as SQL builders: page(descending, limit, offset)
// selects seqs in the sort's order (ties by seq, one direction); count counts them.
struct ValuedRows {
  std::function<BoundSql(bool descending, int64_t limit, int64_t offset)> page;
  std::function<BoundSql()> count;
};

// Rows [offset, offset + limit) of `rows` in the `descending` order, appended to *out.
// With `valued` (how many rows there are) known, a page nearer the end is read from
// the end in the opposite direction, so no page skips more than half of the rows.
Status ValuedPage(sqlite3* db, const ValuedRows& rows, bool descending, int64_t offset, int64_t limit,
                  std::optional<int64_t> valued, std::vector<int64_t>* out) {
  if (valued) {
    if (offset >= *valued) return Status::Ok();
    const int64_t end = std::min(offset + limit, *valued);
    const int64_t from_end = *valued - end;
    if (from_end < offset) {
      std::vector<int64_t> back;
      HONE_RETURN_IF_ERROR(CollectSeqs(db, rows.page(!descending, end - offset, from_end), &back));
      out->insert(out->end(), back.rbegin(), back.rend());
      return Status::Ok();
    }
  }
  return CollectSeqs(db, rows.page(descending, limit, offset), out);
}

}  // namespace

StatusOr<int64_t> TrialQuery::CachedCount(const BoundSql& count) {
  int64_t change_id = 0;
  {
    auto stmt = statements_.Use(kMaxChange);
    if (!stmt.ok()) return stmt.status();
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    change_id = *row ? (*stmt)->ColumnInt(0) : 0;
  }
  std::string key = count.text;
  for (const auto& v : count.values) {
    key += '\x1f';
    if (auto* i = std::get_if<int64_t>(&v)) key += "i" + std::to_string(*i);
    else if (auto* d = std::get_if<double>(&v)) key += "d" + std::to_string(std::bit_cast<uint64_t>(*d));
    else key += "s" + std::get<std::string>(v);
  }
  if (auto it = counts_.find(key); it != counts_.end() && it->second.first == change_id) return it->second.second;
  auto n = CountOf(db_.get(), count);
  if (!n.ok()) return n.status();
  if (counts_.size() >= 64) counts_.clear();
  counts_[key] = {change_id, *n};
  return *n;
}

StatusOr<TrialPage> TrialQuery::ListInSnapshot(const TrialFilter& filter, const TrialSort& sort, int64_t offset,
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

  // The sort as rows with a value (first) and the rows without one (then, by seq).
  ValuedRows valued_rows;
  std::function<BoundSql(int64_t limit, int64_t offset)> missing_rows;  // null: every row has a value
  std::optional<int64_t> valued;  // how many rows have a value, when known
  auto value_key = sql::ValueKeyOf(sort);
  if (!value_key.ok()) return value_key.status();
  if (sort.kind == SortKind::kSeq) {
    valued_rows.page = [&where](bool descending, int64_t n, int64_t skip) {
      BoundSql q = where;
      q.text = "SELECT t.seq FROM trials t" + (q.text.empty() ? "" : " WHERE " + q.text) + " ORDER BY t.seq" +
               (descending ? " DESC" : " ASC") + " LIMIT " + q.Add(n) + " OFFSET " + q.Add(skip);
      return q;
    };
    valued = page.total;
  } else if (value_key->has_value()) {
    // A parameter or final-metric key: trial_values' index holds (key, value, seq) in
    // order.
    const sql::ValueKey key = **value_key;
    valued_rows.page = [&where, key](bool descending, int64_t n, int64_t skip) {
      return sql::ValuePageSql(where, key, descending, n, skip);
    };
    valued_rows.count = [&where, key] { return sql::ValueCountSql(where, key); };
    missing_rows = [&where, key, &sort](int64_t n, int64_t skip) {
      return sql::MissingValuePageSql(where, key, sort.descending, n, skip);
    };
  } else {
    // A column of trials (an index on final and on status serves the order).
    BoundSql with_value = where;
    auto key = sql::SortExpression(sort, now, &with_value);
    if (!key.ok()) return key.status();
    with_value.text = (where.text.empty() ? "" : "(" + where.text + ") AND ") + *key + " IS NOT NULL";
    valued_rows.page = [with_value, expr = *key](bool descending, int64_t n, int64_t skip) {
      BoundSql q = with_value;
      const std::string dir = descending ? " DESC" : " ASC";
      q.text = "SELECT t.seq FROM trials t WHERE " + q.text + " ORDER BY " + expr + dir + ", t.seq" + dir +
               " LIMIT " + q.Add(n) + " OFFSET " + q.Add(skip);
      return q;
    };
    valued_rows.count = [with_value] {
      BoundSql q = with_value;
      q.text = "SELECT count(*) FROM trials t WHERE " + q.text;
      return q;
    };
    if (sort.kind == SortKind::kStatus || sort.kind == SortKind::kCreated) {
      valued = page.total;  // never NULL
    } else {
      missing_rows = [&where, &sort, now](int64_t n, int64_t skip) -> BoundSql {
        BoundSql q = where;
        auto null_key = sql::SortExpression(sort, now, &q);  // succeeded above
        q.text = "SELECT t.seq FROM trials t WHERE " + (where.text.empty() ? "" : "(" + where.text + ") AND ") +
                 (null_key.ok() ? *null_key : std::string("NULL")) + " IS NULL ORDER BY t.seq" + (sort.descending ? " DESC" : " ASC") +
                 " LIMIT " + q.Add(n) + " OFFSET " + q.Add(skip);
        return q;
      };
    }
  }
  // A deep page counts the rows with a value once per state of the trials (remembered),
  // unless the count moves with the clock (durations).
  const bool clock_free = sort.kind != SortKind::kDuration &&
                          std::none_of(filter.ranges.begin(), filter.ranges.end(), [](const RangeFilter& r) {
                            return r.kind == RangeFilter::Kind::kDuration;
                          });
  if (!valued && offset >= kReverseFrom && clock_free && valued_rows.count) {
    auto n = CachedCount(valued_rows.count());
    if (!n.ok()) return n.status();
    valued = *n;
  }

  std::vector<int64_t> seqs;
  HONE_RETURN_IF_ERROR(ValuedPage(db_.get(), valued_rows, sort.descending, offset, limit, valued, &seqs));
  const int64_t missing = limit - static_cast<int64_t>(seqs.size());
  // A short page reached the rows without a value: count the valued ones only now
  // (a full page, the common case, never counts).
  if (missing > 0 && missing_rows) {
    if (!valued) {
      if (seqs.empty()) {
        auto n = CountOf(db_.get(), valued_rows.count());
        if (!n.ok()) return n.status();
        valued = *n;
      } else {
        valued = offset + static_cast<int64_t>(seqs.size());
      }
    }
    if (*valued < page.total)
      HONE_RETURN_IF_ERROR(CollectSeqs(db_.get(), missing_rows(missing, std::max<int64_t>(0, offset - *valued)), &seqs));
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
