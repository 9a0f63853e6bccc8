// TrialQuery's trial list: the filtered, sorted, paged rows and their counts.
#include <algorithm>
#include <bit>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "storage/sqlite_util.h"
#include "storage/trial_query.h"
#include "storage/trial_query_sql.h"

namespace hone {
namespace {

using sql::BoundSql;

constexpr std::string_view kMaxChange = "SELECT coalesce(max(id), 0) FROM trial_changes";

// Offsets from which a page may be read from the far end of the order.
constexpr int64_t kReverseFrom = 1000;

// The one integer `query` (SQL and bindings) selects.
StatusOr<int64_t> CountOf(sqlite3* db, const BoundSql& query) {
  auto stmt = query.Prepare(db);
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->SingleInt();
}

StatusOr<int64_t> CountWhere(sqlite3* db, const BoundSql& where) {
  BoundSql q = where;
  q.text = "SELECT count(*) FROM trials t" + (where.text.empty() ? std::string() : " WHERE " + where.text);
  return CountOf(db, q);
}

// Appends the seqs `query` selects to *out.
Status CollectSeqs(sqlite3* db, const BoundSql& query, std::vector<int64_t>* out) {
  auto stmt = query.Prepare(db);
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->ForEachRow([out](const Statement& row) { out->push_back(row.ColumnInt(0)); });
}

// "Rows with a value" of a sort, as SQL builders: page(descending, limit, offset)
// selects seqs in the sort's order (ties by seq, one direction); count counts them.
struct ValuedRows {
  std::function<BoundSql(bool descending, int64_t limit, int64_t offset)> page;
  std::function<BoundSql()> count;
};

// A sort as SQL: the rows with a value first, then the rows without one, by seq.
// The builders refer to the `where` and `sort` they were made from.
struct SortPlan {
  ValuedRows valued_rows;
  std::function<BoundSql(int64_t limit, int64_t offset)> missing_rows;  // null: every row has a value
  std::optional<int64_t> valued;  // how many rows have a value, when known
};

// " ORDER BY <expr> <dir>, t.seq <dir> LIMIT ? OFFSET ?" with its bindings in *q.
std::string OrderAndPage(const std::string& expr, bool descending, int64_t limit, int64_t offset, BoundSql* q) {
  const std::string dir = descending ? " DESC" : " ASC";
  std::string text = " ORDER BY " + expr + dir;
  if (expr != "t.seq") text += ", t.seq" + dir;
  return text + " LIMIT " + q->Add(limit) + " OFFSET " + q->Add(offset);
}

// "(<where>) AND " or nothing.
std::string WhereAnd(const BoundSql& where) { return where.text.empty() ? "" : "(" + where.text + ") AND "; }

SortPlan SeqPlan(const BoundSql& where, int64_t total) {
  SortPlan plan;
  plan.valued_rows.page = [&where](bool descending, int64_t n, int64_t skip) {
    BoundSql q = where;
    q.text = "SELECT t.seq FROM trials t" + (q.text.empty() ? "" : " WHERE " + q.text);
    q.text += OrderAndPage("t.seq", descending, n, skip, &q);
    return q;
  };
  plan.valued = total;
  return plan;
}

// A parameter or final-metric key: trial_values' index holds (key, value, seq) in order.
SortPlan ValueKeyPlan(const BoundSql& where, const TrialSort& sort, const sql::ValueKey& key) {
  SortPlan plan;
  plan.valued_rows.page = [&where, key](bool descending, int64_t n, int64_t skip) {
    return sql::ValuePageSql(where, key, descending, n, skip);
  };
  plan.valued_rows.count = [&where, key] { return sql::ValueCountSql(where, key); };
  plan.missing_rows = [&where, key, &sort](int64_t n, int64_t skip) {
    return sql::MissingValuePageSql(where, key, sort.descending, n, skip);
  };
  return plan;
}

// A column of trials (an index on final and on status serves the order).
StatusOr<SortPlan> ColumnPlan(const BoundSql& where, const TrialSort& sort, double now, int64_t total) {
  SortPlan plan;
  BoundSql with_value = where;
  auto key = sql::SortExpression(sort, now, &with_value);
  if (!key.ok()) return key.status();
  with_value.text = WhereAnd(where) + *key + " IS NOT NULL";
  plan.valued_rows.page = [with_value, expr = *key](bool descending, int64_t n, int64_t skip) {
    BoundSql q = with_value;
    q.text = "SELECT t.seq FROM trials t WHERE " + q.text;
    q.text += OrderAndPage(expr, descending, n, skip, &q);
    return q;
  };
  plan.valued_rows.count = [with_value] {
    BoundSql q = with_value;
    q.text = "SELECT count(*) FROM trials t WHERE " + q.text;
    return q;
  };
  if (sort.kind == SortKind::kStatus || sort.kind == SortKind::kCreated) {
    plan.valued = total;  // never NULL
    return plan;
  }
  plan.missing_rows = [&where, &sort, now](int64_t n, int64_t skip) -> BoundSql {
    BoundSql q = where;
    auto null_key = sql::SortExpression(sort, now, &q);  // succeeded above
    q.text = "SELECT t.seq FROM trials t WHERE " + WhereAnd(where) +
             (null_key.ok() ? *null_key : std::string("NULL")) + " IS NULL";
    q.text += OrderAndPage("t.seq", sort.descending, n, skip, &q);
    return q;
  };
  return plan;
}

StatusOr<SortPlan> PlanSort(const BoundSql& where, const TrialSort& sort, double now, int64_t total) {
  if (sort.kind == SortKind::kSeq) return SeqPlan(where, total);
  auto value_key = sql::ValueKeyOf(sort);
  if (!value_key.ok()) return value_key.status();
  if (value_key->has_value()) return ValueKeyPlan(where, sort, **value_key);
  return ColumnPlan(where, sort, now, total);
}

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

StatusOr<int64_t> TrialQuery::Count(const TrialFilter& filter, double now) {
  BoundSql where;
  HONE_RETURN_IF_ERROR(sql::AppendFilter(filter, now, &where));
  return CountWhere(db_->get(), where);
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

StatusOr<int64_t> TrialQuery::CachedCount(const BoundSql& count) {
  auto stmt = db_->Use(kMaxChange);
  if (!stmt.ok()) return stmt.status();
  auto change_id = (*stmt)->SingleInt();
  if (!change_id.ok()) return change_id.status();
  std::string key = count.text;
  for (const auto& v : count.values) {
    key += '\x1f';
    if (auto* i = std::get_if<int64_t>(&v)) key += "i" + std::to_string(*i);
    else if (auto* d = std::get_if<double>(&v)) key += "d" + std::to_string(std::bit_cast<uint64_t>(*d));
    else key += "s" + std::get<std::string>(v);
  }
  if (auto it = counts_.find(key); it != counts_.end() && it->second.first == *change_id) return it->second.second;
  auto n = CountOf(db_->get(), count);
  if (!n.ok()) return n.status();
  if (counts_.size() >= 64) counts_.clear();
  counts_[key] = {*change_id, *n};
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
    auto total = CountWhere(db_->get(), where);
    if (!total.ok()) return total.status();
    page.total = *total;
  }
  if (offset >= page.total) return page;

  auto plan = PlanSort(where, sort, now, page.total);
  if (!plan.ok()) return plan.status();
  std::optional<int64_t>& valued = plan->valued;
  // A deep page counts the rows with a value once per state of the trials (remembered),
  // unless the count moves with the clock (durations).
  const bool clock_free = sort.kind != SortKind::kDuration &&
                          std::none_of(filter.ranges.begin(), filter.ranges.end(), [](const RangeFilter& r) {
                            return r.kind == RangeFilter::Kind::kDuration;
                          });
  if (!valued && offset >= kReverseFrom && clock_free && plan->valued_rows.count) {
    auto n = CachedCount(plan->valued_rows.count());
    if (!n.ok()) return n.status();
    valued = *n;
  }

  std::vector<int64_t> seqs;
  HONE_RETURN_IF_ERROR(ValuedPage(db_->get(), plan->valued_rows, sort.descending, offset, limit, valued, &seqs));
  const int64_t missing = limit - static_cast<int64_t>(seqs.size());
  // A short page reached the rows without a value: count the valued ones only now
  // (a full page, the common case, never counts).
  if (missing > 0 && plan->missing_rows) {
    if (!valued) {
      if (seqs.empty()) {
        auto n = CountOf(db_->get(), plan->valued_rows.count());
        if (!n.ok()) return n.status();
        valued = *n;
      } else {
        valued = offset + static_cast<int64_t>(seqs.size());
      }
    }
    if (*valued < page.total)
      HONE_RETURN_IF_ERROR(
          CollectSeqs(db_->get(), plan->missing_rows(missing, std::max<int64_t>(0, offset - *valued)), &seqs));
  }
  auto summaries = Summaries(seqs);
  if (!summaries.ok()) return summaries.status();
  page.trials = std::move(*summaries);
  return page;
}

}  // namespace hone
