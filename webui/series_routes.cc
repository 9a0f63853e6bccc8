// GET /api/v1/experiments/{id}/series/{best,durations,parallel}: aggregated in SQL,
// bounded in size, and cached per experiment until a trial changes.
#include <cmath>

#include "webui/json_view.h"
#include "webui/routes.h"

namespace hone::webui {
namespace {

using nlohmann::json;

constexpr size_t kMaxCurvePoints = 2000;
constexpr int kMaxBins = 200;
constexpr int kMaxLines = 2000;

StatusOr<std::string> MetricParam(const httplib::Request& req) {
  std::string metric = req.has_param("metric") ? req.get_param_value("metric") : "default";
  auto path = JsonPathOf(metric);
  if (!path.ok()) return path.status().WithContext("metric");
  return metric;
}

// Every series answer goes through here: cached by (experiment, request, trial cursor).
template <typename Compute>
void Serve(ServerState& state, const ExperimentEntry& entry, const std::string& what, httplib::Response& res,
           Compute compute) {
  auto query = state.catalog.Query(entry);
  if (!query.ok()) return ReplyStatus(res, query.status());
  Status snap = (*query)->BeginSnapshot();
  if (!snap.ok()) return ReplyStatus(res, snap);
  auto cursor = (*query)->CurrentCursor();
  if (!cursor.ok()) return ReplyStatus(res, cursor.status());
  // Series depend on trials only, not on intermediate rows: key on the change id.
  const std::string key = entry.id + "|" + what;
  const std::string at = std::to_string(cursor->change_id);
  if (auto cached = state.catalog.Cached(key, at)) return ReplyJson(res, *cached);
  json config = json::parse((*query)->GetMeta("config").value_or("{}"), nullptr, false);
  if (config.is_discarded()) config = json::object();
  StatusOr<json> answer = compute(**query, config);
  if (!answer.ok()) return ReplyStatus(res, answer.status());
  state.catalog.Store(key, at, *answer);
  ReplyJson(res, *answer);
}

}  // namespace

void AddSeriesRoutes(httplib::Server& server, ServerState& state) {
  server.Get(R"(/api/v1/experiments/([^/]+)/series/best)", [&state](const httplib::Request& req, httplib::Response& res) {
    auto entry = ResolveOrReply(state, req, res);
    if (!entry) return;
    auto metric = MetricParam(req);
    if (!metric.ok()) return ReplyStatus(res, metric.status());
    Serve(state, *entry, "best|" + *metric, res, [&](TrialQuery& q, const json& config) -> StatusOr<json> {
      OptimizeMode mode = ModeOf(config);
      int64_t finished = 0;
      auto curve = q.BestCurve(*metric, mode, &finished);
      if (!curve.ok()) return curve.status();
      json points = json::array();
      // Thinned evenly when long: the indices round(k * (n - 1) / (max - 1)).
      const size_t n = curve->size();
      const size_t shown = std::min(n, kMaxCurvePoints);
      for (size_t k = 0; k < shown; ++k) {
        size_t i = n > kMaxCurvePoints ? static_cast<size_t>(std::llround(static_cast<double>(k) * (n - 1) /
                                                                         (kMaxCurvePoints - 1)))
                                       : k;
        const BestPoint& p = (*curve)[i];
        points.push_back({{"seq", p.seq}, {"ended", Time(p.ended)}, {"value", JsonNumber(p.value)}, {"best", JsonNumber(p.best)}});
      }
      return json{{"metric", *metric}, {"mode", std::string(OptimizeModeName(mode))}, {"finished", finished},
                  {"points", points}};
    });
  });

  server.Get(R"(/api/v1/experiments/([^/]+)/series/durations)", [&state](const httplib::Request& req,
                                                                        httplib::Response& res) {
    auto entry = ResolveOrReply(state, req, res);
    if (!entry) return;
    auto bins = IntParam(req, "bins", 30, 1, kMaxBins);
    if (!bins.ok()) return ReplyStatus(res, bins.status());
    Serve(state, *entry, "durations|" + std::to_string(*bins), res, [&](TrialQuery& q, const json&) -> StatusOr<json> {
      auto h = q.Durations(static_cast<int>(*bins));
      if (!h.ok()) return h.status();
      json out = {{"count", h->count}, {"min", nullptr}, {"max", nullptr}, {"bins", json::array()}};
      if (h->count == 0) return out;
      out["min"] = h->min;
      out["max"] = h->max;
      for (const auto& b : h->bins) out["bins"].push_back({{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}});
      return out;
    });
  });

  server.Get(R"(/api/v1/experiments/([^/]+)/series/parallel)", [&state](const httplib::Request& req,
                                                                       httplib::Response& res) {
    auto entry = ResolveOrReply(state, req, res);
    if (!entry) return;
    auto metric = MetricParam(req);
    if (!metric.ok()) return ReplyStatus(res, metric.status());
    auto top = DoubleParam(req, "top", 100, 0, 100);
    if (!top.ok()) return ReplyStatus(res, top.status());
    if (*top <= 0) return ReplyError(res, 400, "top: must lie in (0, 100], but got 0");
    auto lines = IntParam(req, "lines", 500, 1, kMaxLines);
    if (!lines.ok()) return ReplyStatus(res, lines.status());
    std::string what = "parallel|" + *metric + "|" + std::to_string(*top) + "|" + std::to_string(*lines);
    Serve(state, *entry, what, res, [&](TrialQuery& q, const json& config) -> StatusOr<json> {
      OptimizeMode mode = ModeOf(config);
      auto ranked = q.TopLines(*metric, mode, *top, static_cast<int>(*lines));
      if (!ranked.ok()) return ranked.status();
      json params = json::array();
      json space = config.contains("searchSpace") ? config["searchSpace"] : json::object();
      for (const auto& c : ParamColumns(space))
        params.push_back({{"path", c.path}, {"type", c.type}, {"values", NanSafe(c.values)}});
      json out_lines = json::array();
      for (const auto& l : ranked->lines) {
        json flat = json::object();
        FlattenParams(l.params, "", &flat);
        out_lines.push_back({{"seq", l.seq}, {"value", JsonNumber(l.value)}, {"params", flat}});
      }
      return json{{"metric", *metric}, {"mode", std::string(OptimizeModeName(mode))}, {"total", ranked->total},
                  {"kept", ranked->kept}, {"parameters", params}, {"lines", out_lines}};
    });
  });
}

}  // namespace hone::webui
