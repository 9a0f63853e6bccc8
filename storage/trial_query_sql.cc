#include "storage/trial_query_sql.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace hone {

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

namespace sql {

std::string BoundSql::Add(std::variant<int64_t, double, std::string> value) {
  values.push_back(std::move(value));
  return "?" + std::to_string(values.size());
}

void BoundSql::BindTo(Statement& stmt) const {
  for (size_t i = 0; i < values.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    if (auto* v = std::get_if<int64_t>(&values[i])) stmt.BindInt(index, *v);
    else if (auto* d = std::get_if<double>(&values[i])) stmt.BindDouble(index, *d);
    else stmt.BindText(index, std::get<std::string>(values[i]));
  }
}

StatusOr<std::unique_ptr<Statement>> BoundSql::Prepare(sqlite3* db) const {
  auto stmt = Statement::Prepare(db, text);
  if (stmt.ok()) BindTo(**stmt);
  return stmt;
}

std::string FiniteCondition(const std::string& expr) {
  return "(" + expr + " BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308)";
}

StatusOr<std::string> MetricExpression(const std::string& key, BoundSql* sql) {
  if (key == "default") return std::string("t.final");
  auto path = JsonPathOf(key);
  if (!path.ok()) return path.status().WithContext("metric");
  return "json_extract(t.final_metrics, " + sql->Add(*path) + ")";
}

std::string DurationExpression(double now, BoundSql* sql) {
  return "(CASE WHEN t.started_at > 0 THEN (CASE WHEN t.ended_at > 0 THEN t.ended_at ELSE " + sql->Add(now) +
         " END) - t.started_at END)";
}

namespace {

void And(BoundSql* sql, const std::string& condition) {
  if (!sql->text.empty()) sql->text += " AND ";
  sql->text += condition;
}

std::optional<double> AsNumber(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Status AppendFilter(const TrialFilter& filter, double now, BoundSql* sql) {
  if (!filter.states.empty()) {
    std::string in;
    bool live = false;
    for (TrialStatus s : filter.states) {
      in += (in.empty() ? "" : ", ") + sql->Add(std::string(TrialStatusName(s)));
      live = live || !IsTerminal(s);
    }
    // Ended states are most trials: keep SQLite on the index of the sort (final) rather
    // than this one ('+' hides the column from the planner). Live states are few.
    And(sql, std::string(live ? "t.status" : "+t.status") + " IN (" + in + ")");
  }
  for (const RangeFilter& r : filter.ranges) {
    std::string expr;
    switch (r.kind) {
      case RangeFilter::Kind::kParam: {
        auto path = JsonPathOf(r.path);
        if (!path.ok()) return path.status().WithContext("param");
        expr = "json_extract(t.params, " + sql->Add(*path) + ")";
        break;
      }
      case RangeFilter::Kind::kMetric: {
        auto metric = MetricExpression(r.path, sql);
        if (!metric.ok()) return metric.status();
        expr = *metric;
        break;
      }
      case RangeFilter::Kind::kDuration:
        expr = DurationExpression(now, sql);
        break;
    }
    // One BETWEEN with open bounds as +-Inf: NULL fails it, and so does text (SQLite
    // orders every TEXT above every number), so json_extract runs once per row.
    const double inf = std::numeric_limits<double>::infinity();
    And(sql, expr + " BETWEEN " + sql->Add(r.min.value_or(-inf)) + " AND " + sql->Add(r.max.value_or(inf)));
  }
  for (const EqualFilter& e : filter.equals) {
    auto path = JsonPathOf(e.path);
    if (!path.ok()) return path.status().WithContext("param_eq");
    std::string expr = "json_extract(t.params, " + sql->Add(*path) + ")";
    std::string in = sql->Add(e.value);
    if (auto number = AsNumber(e.value)) in += ", " + sql->Add(*number);
    And(sql, expr + " IN (" + in + ")");
  }
  if (!filter.text.empty()) {
    int64_t seq = 0;
    auto [end, ec] = std::from_chars(filter.text.data(), filter.text.data() + filter.text.size(), seq);
    if (ec == std::errc() && end == filter.text.data() + filter.text.size()) {
      And(sql, "t.seq = " + sql->Add(seq));
    } else {
      std::string needle = sql->Add(filter.text);
      And(sql, "(instr(t.params, " + needle + ") > 0 OR instr(t.reason, " + needle + ") > 0)");
    }
  }
  return Status::Ok();
}

StatusOr<std::string> SortExpression(const TrialSort& sort, double now, BoundSql* sql) {
  switch (sort.kind) {
    case SortKind::kSeq: return std::string("t.seq");
    case SortKind::kStatus: return std::string("t.status");
    case SortKind::kDuration: return DurationExpression(now, sql);
    case SortKind::kCreated: return std::string("t.created_at");
    case SortKind::kStarted: return std::string("NULLIF(t.started_at, 0)");
    case SortKind::kEnded: return std::string("NULLIF(t.ended_at, 0)");
    case SortKind::kFinal: return std::string("t.final");
    case SortKind::kMetric: return MetricExpression(sort.path, sql);
    case SortKind::kParam: {
      auto path = JsonPathOf(sort.path);
      if (!path.ok()) return path.status().WithContext("sort");
      return "json_extract(t.params, " + sql->Add(*path) + ")";
    }
  }
  return std::string("t.seq");
}

StatusOr<std::optional<ValueKey>> ValueKeyOf(const TrialSort& sort) {
  int64_t source = 0;
  if (sort.kind == SortKind::kParam) source = 0;
  else if (sort.kind == SortKind::kMetric && sort.path != "default") source = 1;
  else return std::optional<ValueKey>();
  // Validated as JsonPathOf does; stored without quotes.
  auto valid = JsonPathOf(sort.path);
  if (!valid.ok()) return valid.status().WithContext(source == 0 ? "sort" : "metric");
  return std::optional<ValueKey>(ValueKey{source, "$." + sort.path});
}

namespace {

// "FROM ... WHERE ..." over trial_values v (joined to trials t when `where` has
// conditions) for the rows holding `key`.
std::string ValueRows(const BoundSql& where, const ValueKey& key, BoundSql* sql) {
  std::string text = where.text.empty() ? " FROM trial_values v" : " FROM trial_values v JOIN trials t ON t.seq = v.seq";
  text += " WHERE v.source = " + sql->Add(key.source) + " AND v.path = " + sql->Add(key.path);
  if (!where.text.empty()) text += " AND (" + where.text + ")";
  return text;
}

}  // namespace

BoundSql ValuePageSql(const BoundSql& where, const ValueKey& key, bool descending, int64_t limit, int64_t offset) {
  BoundSql q = where;
  const std::string dir = descending ? " DESC" : " ASC";
  std::string rows = ValueRows(where, key, &q);
  q.text = "SELECT v.seq" + rows + " ORDER BY v.value" + dir + ", v.seq" + dir + " LIMIT " + q.Add(limit) +
           " OFFSET " + q.Add(offset);
  return q;
}

BoundSql ValueCountSql(const BoundSql& where, const ValueKey& key) {
  BoundSql q = where;
  std::string rows = ValueRows(where, key, &q);
  q.text = "SELECT count(*)" + rows;
  return q;
}

BoundSql MissingValuePageSql(const BoundSql& where, const ValueKey& key, bool descending, int64_t limit,
                             int64_t offset) {
  BoundSql q = where;
  std::string absent = "NOT EXISTS (SELECT 1 FROM trial_values v WHERE v.seq = t.seq AND v.source = " +
                       q.Add(key.source) + " AND v.path = " + q.Add(key.path) + ")";
  q.text = "SELECT t.seq FROM trials t WHERE " + (where.text.empty() ? "" : "(" + where.text + ") AND ") + absent +
           " ORDER BY t.seq" + (descending ? " DESC" : " ASC") + " LIMIT " + q.Add(limit) + " OFFSET " +
           q.Add(offset);
  return q;
}

}  // namespace sql
}  // namespace hone
