// TrialQuery's aggregated series: metric keys, the best-so-far curve, the duration
// histogram and the ranked lines of parallel coordinates.
#include <cmath>
#include <set>

#include "storage/sqlite_util.h"
#include "storage/trial_query.h"
#include "storage/trial_query_sql.h"

namespace hone {

using sql::BoundSql;

StatusOr<std::vector<std::string>> TrialQuery::MetricKeys(int sample) {
  BoundSql q;
  std::string n = q.Add(static_cast<int64_t>(sample));
  q.text = "SELECT DISTINCT j.key FROM (SELECT * FROM (SELECT final_metrics FROM trials WHERE final_metrics IS NOT NULL "
           "ORDER BY seq LIMIT " + n + ") UNION ALL SELECT * FROM (SELECT final_metrics FROM trials WHERE "
           "final_metrics IS NOT NULL ORDER BY seq DESC LIMIT " + n + ")) f, json_each(f.final_metrics) j "
           "WHERE json_valid(f.final_metrics) AND j.key IS NOT NULL AND j.type IN ('integer', 'real', 'null')";
  auto stmt = q.Prepare(db_->get());
  if (!stmt.ok()) return stmt.status();
  std::set<std::string> keys;
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    keys.insert(row.ColumnText(0));
  }));
  keys.erase("default");
  std::vector<std::string> out = {"default"};
  out.insert(out.end(), keys.begin(), keys.end());
  return out;
}

StatusOr<std::vector<BestPoint>> TrialQuery::BestCurve(const std::string& metric, OptimizeMode mode,
                                                       int64_t* finished) {
  BoundSql q;
  auto value = sql::MetricExpression(metric, &q);
  if (!value.ok()) return value.status();
  q.text = "SELECT t.seq, t.ended_at, " + *value + " FROM trials t WHERE " + std::string(sql::kFinishedStates) +
           " AND " + sql::FiniteCondition(*value) + " ORDER BY t.seq";
  auto stmt = q.Prepare(db_->get());
  if (!stmt.ok()) return stmt.status();
  std::vector<BestPoint> points;
  int64_t seen = 0;
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    ++seen;
    double v = row.ColumnDouble(2);
    if (points.empty() || Better(v, points.back().best, mode))
      points.push_back({row.ColumnInt(0), row.ColumnDouble(1), v, v});
  }));
  if (finished) *finished = seen;
  return points;
}

StatusOr<DurationHistogram> TrialQuery::Durations(int bins) {
  DurationHistogram h;
  constexpr std::string_view kEnded = "FROM trials WHERE started_at > 0 AND ended_at > 0";
  {
    auto stmt = Statement::Prepare(
        db_->get(), "SELECT count(*), min(ended_at - started_at), max(ended_at - started_at) " + std::string(kEnded));
    if (!stmt.ok()) return stmt.status();
    auto row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row || (*stmt)->ColumnInt(0) == 0) return h;
    h.count = (*stmt)->ColumnInt(0);
    h.min = (*stmt)->ColumnDouble(1);
    h.max = (*stmt)->ColumnDouble(2);
  }
  // One bin when every duration is the same; the last bin is closed on the right.
  const int n = h.max > h.min ? bins : 1;
  const double width = h.max > h.min ? (h.max - h.min) / n : 1.0;
  for (int i = 0; i < n; ++i) h.bins.push_back({h.min + i * width, i == n - 1 ? h.max : h.min + (i + 1) * width, 0});
  BoundSql q;
  std::string lo = q.Add(h.min), w = q.Add(width), last = q.Add(static_cast<int64_t>(n - 1));
  q.text = "SELECT min(CAST(((ended_at - started_at) - " + lo + ") / " + w + " AS INTEGER), " + last +
           ") AS b, count(*) " + std::string(kEnded) + " GROUP BY b";
  auto stmt = q.Prepare(db_->get());
  if (!stmt.ok()) return stmt.status();
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) {
    int64_t b = std::clamp<int64_t>(row.ColumnInt(0), 0, n - 1);
    h.bins[static_cast<size_t>(b)].count += row.ColumnInt(1);
  }));
  return h;
}

StatusOr<RankedLines> TrialQuery::TopLines(const std::string& metric, OptimizeMode mode, double top_percent,
                                           int max_lines) {
  RankedLines out;
  BoundSql q;
  auto value = sql::MetricExpression(metric, &q);
  if (!value.ok()) return value.status();
  const std::string where = " FROM trials t WHERE " + std::string(sql::kFinishedStates) + " AND " +
                            sql::FiniteCondition(*value);
  {
    BoundSql count = q;
    count.text = "SELECT count(*)" + where;
    auto stmt = count.Prepare(db_->get());
    if (!stmt.ok()) return stmt.status();
    auto total = (*stmt)->SingleInt();
    if (!total.ok()) return total.status();
    out.total = *total;
  }
  if (out.total == 0) return out;
  out.kept = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(out.total) * top_percent / 100.0 - 1e-9)));
  out.kept = std::min(out.kept, out.total);
  const int64_t stride = (out.kept + max_lines - 1) / max_lines;
  const std::string dir = mode == OptimizeMode::kMaximize ? "DESC" : "ASC";
  // Rank on (seq, value) only, then fetch the parameters of the kept ranks.
  std::string k = q.Add(out.kept), s = q.Add(stride);
  q.text = "WITH ranked AS (SELECT t.seq AS seq, " + *value + " AS v, row_number() OVER (ORDER BY " + *value + " " +
           dir + ", t.seq) AS rn" + where + ") SELECT r.seq, r.v, p.params, p.params_nonfinite FROM ranked r JOIN "
           "trials p ON p.seq = r.seq WHERE r.rn <= " + k + " AND (r.rn - 1) % " + s + " = 0 ORDER BY r.rn";
  auto stmt = q.Prepare(db_->get());
  if (!stmt.ok()) return stmt.status();
  HONE_RETURN_IF_ERROR((*stmt)->ForEachRow([&](const Statement& row) -> Status {
    auto params = DecodeJson(row.ColumnText(2), row.ColumnOptionalText(3), "params");
    if (!params.ok()) return params.status();
    out.lines.push_back({row.ColumnInt(0), row.ColumnDouble(1), std::move(*params)});
    return Status::Ok();
  }));
  return out;
}

}  // namespace hone
