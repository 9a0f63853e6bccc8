// GET /api/v1/info, /experiments, /experiments/{id}, /experiments/{id}/trials[/{seq}].
#include <algorithm>
#include <string>

#include "webui/json_view.h"
#include "webui/routes.h"
#include "webui/token.h"

namespace hone::webui {
namespace {

using nlohmann::json;

constexpr int64_t kMaxIntermediatePoints = 10000;
constexpr int64_t kMaxEvents = 1000;

// "A:B:C" split at the first two colons (C keeps any further ones).
std::vector<std::string> SplitColons(const std::string& text, size_t parts) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < parts) {
    size_t colon = text.find(':', start);
    if (colon == std::string::npos) break;
    out.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

StatusOr<std::optional<double>> Bound(const std::string& name, const std::string& text) {
  if (text.empty()) return std::optional<double>();
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v))
    return InvalidArgument(name + ": a bound must be a number, but got '" + text.substr(0, 40) + "'");
  return std::optional<double>(v);
}

StatusOr<RangeFilter> ParseRange(const std::string& name, const std::string& text, RangeFilter::Kind kind) {
  RangeFilter r;
  r.kind = kind;
  std::vector<std::string> parts = SplitColons(text, kind == RangeFilter::Kind::kDuration ? 2 : 3);
  size_t expected = kind == RangeFilter::Kind::kDuration ? 2 : 3;
  if (parts.size() != expected)
    return InvalidArgument(name + ": expected " + std::string(expected == 2 ? "MIN:MAX" : "NAME:MIN:MAX") +
                           ", but got '" + text.substr(0, 60) + "'");
  size_t i = 0;
  if (kind != RangeFilter::Kind::kDuration) {
    r.path = parts[i++];
    auto path = JsonPathOf(r.path);
    if (!path.ok()) return path.status().WithContext(name);
  }
  auto lo = Bound(name, parts[i++]);
  if (!lo.ok()) return lo.status();
  auto hi = Bound(name, parts[i]);
  if (!hi.ok()) return hi.status();
  r.min = *lo;
  r.max = *hi;
  return r;
}

struct ListRequest {
  TrialFilter filter;
  TrialSort sort;
  int64_t offset = 0;
  int64_t limit = 50;
  std::string sort_text = "seq";
  std::string order_text = "asc";
};

StatusOr<ListRequest> ParseListRequest(const httplib::Request& req) {
  ListRequest l;
  auto offset = IntParam(req, "offset", 0, 0, std::numeric_limits<int64_t>::max() / 2);
  if (!offset.ok()) return offset.status();
  l.offset = *offset;
  auto limit = IntParam(req, "limit", 50, 1, kMaxPageLimit, /*clamp=*/true);
  if (!limit.ok()) return limit.status();
  l.limit = *limit;
  auto order = ChoiceParam(req, "order", "asc", {"asc", "desc"});
  if (!order.ok()) return order.status();
  l.order_text = *order;
  l.sort.descending = *order == "desc";

  l.sort_text = req.has_param("sort") ? req.get_param_value("sort") : "seq";
  static const std::pair<std::string_view, SortKind> kPlain[] = {
      {"seq", SortKind::kSeq},         {"status", SortKind::kStatus}, {"duration", SortKind::kDuration},
      {"created", SortKind::kCreated}, {"started", SortKind::kStarted}, {"ended", SortKind::kEnded},
      {"final", SortKind::kFinal}};
  bool known = false;
  for (const auto& [name, kind] : kPlain)
    if (l.sort_text == name) l.sort.kind = kind, known = true;
  if (!known) {
    for (auto [prefix, kind] : {std::pair{std::string_view("metric:"), SortKind::kMetric},
                                std::pair{std::string_view("param:"), SortKind::kParam}}) {
      if (l.sort_text.rfind(prefix, 0) != 0) continue;
      l.sort.kind = kind;
      l.sort.path = l.sort_text.substr(prefix.size());
      auto path = JsonPathOf(l.sort.path);
      if (!path.ok()) return path.status().WithContext("sort");
      known = true;
    }
  }
  if (!known)
    return InvalidArgument("sort: expected one of {seq, status, duration, created, started, ended, final, "
                           "metric:KEY, param:PATH}, but got '" + l.sort_text.substr(0, 60) + "'");

  if (req.has_param("state")) {
    std::string states = req.get_param_value("state");
    size_t start = 0;
    while (start <= states.size()) {
      size_t comma = states.find(',', start);
      if (comma == std::string::npos) comma = states.size();
      std::string word = states.substr(start, comma - start);
      auto s = ParseTrialStatus(word);
      if (!s)
        return InvalidArgument("state: expected states among {waiting, running, succeeded, failed, early_stopped, "
                               "canceled, timeout, lost}, but got '" + word.substr(0, 40) + "'");
      l.filter.states.push_back(*s);
      start = comma + 1;
    }
  }
  constexpr size_t kMaxFilters = 32;
  for (auto [name, kind] : {std::pair{"param", RangeFilter::Kind::kParam}, std::pair{"metric", RangeFilter::Kind::kMetric},
                            std::pair{"duration", RangeFilter::Kind::kDuration}}) {
    size_t n = req.get_param_value_count(name);
    if (n > kMaxFilters) return InvalidArgument(std::string(name) + ": at most 32 filters");
    for (size_t i = 0; i < n; ++i) {
      auto r = ParseRange(name, req.get_param_value(name, i), kind);
      if (!r.ok()) return r.status();
      l.filter.ranges.push_back(std::move(*r));
    }
  }
  size_t n = req.get_param_value_count("param_eq");
  if (n > kMaxFilters) return InvalidArgument("param_eq: at most 32 filters");
  for (size_t i = 0; i < n; ++i) {
    std::string text = req.get_param_value("param_eq", i);
    size_t colon = text.find(':');
    if (colon == std::string::npos) return InvalidArgument("param_eq: expected PATH:VALUE, but got '" + text.substr(0, 60) + "'");
    EqualFilter e{text.substr(0, colon), text.substr(colon + 1)};
    auto path = JsonPathOf(e.path);
    if (!path.ok()) return path.status().WithContext("param_eq");
    l.filter.equals.push_back(std::move(e));
  }
  if (req.has_param("q")) {
    l.filter.text = req.get_param_value("q");
    if (l.filter.text.size() > 256) return InvalidArgument("q: at most 256 characters");
  }
  return l;
}

json ExperimentListItem(ServerState& state, const ExperimentEntry& e) {
  json j = {{"id", e.id}, {"name", e.name}, {"status", e.status}, {"created", e.created}, {"updated", e.updated},
            {"ui_port", e.ui_port}, {"trial_count", 0}, {"best", nullptr}, {"optimize_mode", "maximize"}};
  const bool running = ExperimentCatalog::IsRunning(e);
  j["running"] = running;
  auto query = state.catalog.Query(e);
  if (!query.ok()) {
    j["error"] = query.status().message();
    return j;
  }
  auto overview = OverviewJson(e, running, **query, /*full=*/false, NowSeconds(), state.catalog);
  if (!overview.ok()) {
    j["error"] = overview.status().message();
    return j;
  }
  json config = json::parse((*query)->GetMeta("config").value_or("{}"), nullptr, false);
  j["optimize_mode"] = std::string(OptimizeModeName(ModeOf(config)));
  j["status"] = (*overview)["status"];
  j["trial_count"] = (*overview)["trial_count"];
  const json& best = (*overview)["best"];
  if (best.is_object()) j["best"] = best["final"];
  return j;
}

// A query connection to `entry` holding one snapshot, or an error reply.
std::optional<QueryLease> SnapshotOrReply(ServerState& state, const ExperimentEntry& entry, httplib::Response& res) {
  auto query = state.catalog.Query(entry);
  if (!query.ok()) return ReplyStatus(res, query.status()), std::nullopt;
  Status snap = (*query)->BeginSnapshot();
  if (!snap.ok()) return ReplyStatus(res, snap), std::nullopt;
  return std::move(*query);
}

void ExperimentOverview(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = ResolveOrReply(state, req, res);
  if (!entry) return;
  auto query = SnapshotOrReply(state, *entry, res);
  if (!query) return;
  auto overview = OverviewJson(*entry, ExperimentCatalog::IsRunning(*entry), **query, /*full=*/true, NowSeconds(),
                               state.catalog);
  if (!overview.ok()) return ReplyStatus(res, overview.status());
  ReplyJson(res, *overview);
}

void TrialList(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = ResolveOrReply(state, req, res);
  if (!entry) return;
  auto list = ParseListRequest(req);
  if (!list.ok()) return ReplyStatus(res, list.status());
  auto lease = SnapshotOrReply(state, *entry, res);
  if (!lease) return;
  TrialQuery& query = **lease;
  const double now = NowSeconds();
  auto cursor = query.CurrentCursor();
  if (!cursor.ok()) return ReplyStatus(res, cursor.status());
  // The number of matches is cached per filter while no trial changes (paging a
  // filtered leaderboard recounts nothing); a duration filter moves with the clock.
  std::optional<int64_t> total;
  std::string count_key;
  if (!req.has_param("duration")) {
    count_key = entry->id + "|count";
    for (const char* name : {"state", "param", "param_eq", "metric", "q"})
      for (size_t i = 0; i < req.get_param_value_count(name); ++i)
        count_key += std::string("\x1f") + name + "=" + req.get_param_value(name, i);
    if (auto cached = state.catalog.Cached(count_key, std::to_string(cursor->change_id))) total = cached->get<int64_t>();
  }
  auto page = query.List(list->filter, list->sort, list->offset, list->limit, now, total);
  if (page.ok() && !total && !count_key.empty())
    state.catalog.Store(count_key, std::to_string(cursor->change_id), page->total);
  if (!page.ok()) return ReplyStatus(res, page.status());
  json trials = json::array();
  for (const auto& t : page->trials) trials.push_back(SummaryJson(t, now));
  ReplyJson(res, {{"total", page->total}, {"offset", list->offset}, {"limit", list->limit},
                  {"sort", list->sort_text}, {"order", list->order_text}, {"cursor", cursor->ToString()},
                  {"trials", trials}});
}

// A trial's intermediate results, each with its whole report as "metrics".
json IntermediateJson(const std::vector<IntermediateResult>& results) {
  json points = json::array();
  for (const auto& m : results) {
    json metrics = json::parse(m.raw, nullptr, false);
    if (metrics.is_discarded() || metrics.is_null()) metrics = json::object();
    else if (!metrics.is_object()) metrics = json{{"default", metrics}};
    metrics = NanSafe(metrics);
    if (!metrics.contains("default")) metrics["default"] = JsonNumber(m.value);
    points.push_back({{"step", m.step}, {"value", JsonNumber(m.value)}, {"metrics", metrics}, {"time", m.time}});
  }
  return points;
}

// Bytes in the trial's stdout and stderr logs (0 when missing).
json LogSizes(const ExperimentEntry& entry, int64_t seq) {
  json sizes = json::object();
  for (const char* stream : {"stdout", "stderr"}) {
    std::error_code ec;
    auto size = std::filesystem::file_size(
        std::filesystem::path(entry.dir) / "trials" / std::to_string(seq) / (std::string(stream) + ".log"), ec);
    sizes[stream] = ec ? 0 : static_cast<int64_t>(size);
  }
  return sizes;
}

void TrialDetail(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  auto entry = ResolveOrReply(state, req, res);
  if (!entry) return;
  auto seq = ParseSeq(req.matches[2].str());
  if (!seq.ok()) return ReplyStatus(res, seq.status());
  auto lease = SnapshotOrReply(state, *entry, res);
  if (!lease) return;
  TrialQuery& query = **lease;
  const double now = NowSeconds();
  auto trial = query.Get(*seq);
  if (!trial.ok()) return ReplyStatus(res, trial.status());
  if (!*trial) return ReplyError(res, 404, "experiment " + entry->id + " has no trial " + std::to_string(*seq));
  json j = SummaryJson(**trial, now);
  int64_t total = 0;
  auto intermediate = query.Intermediate(*seq, kMaxIntermediatePoints, &total);
  if (!intermediate.ok()) return ReplyStatus(res, intermediate.status());
  j["intermediate"] = IntermediateJson(*intermediate);
  j["intermediate_total"] = total;
  auto events = query.Events(*seq, kMaxEvents);
  if (!events.ok()) return ReplyStatus(res, events.status());
  json ev = json::array();
  for (const auto& e : *events) ev.push_back({{"time", e.time}, {"kind", e.kind}, {"detail", e.detail}});
  j["events"] = ev;
  j["log_sizes"] = LogSizes(*entry, *seq);
  ReplyJson(res, j);
}

}  // namespace

void AddReadRoutes(httplib::Server& server, ServerState& state) {
  using httplib::Request;
  using httplib::Response;
  server.Get("/api/v1/info", [&state](const Request& req, Response& res) {
    bool ok = !state.token.empty() && BearerMatches(req.get_header_value("Authorization"), state.token);
    ReplyJson(res, {{"version", "0.1.0"}, {"read_only", state.read_only}, {"token_ok", ok && !state.read_only},
                    {"home", state.catalog.home()}});
  });
  server.Get("/api/v1/experiments", [&state](const Request&, Response& res) {
    auto entries = state.catalog.List();
    if (!entries.ok()) return ReplyStatus(res, entries.status());
    json list = json::array();
    for (const auto& e : *entries) list.push_back(ExperimentListItem(state, e));
    ReplyJson(res, {{"experiments", list}});
  });
  server.Get(R"(/api/v1/experiments/([^/]+))",
             [&state](const Request& req, Response& res) { ExperimentOverview(state, req, res); });
  server.Get(R"(/api/v1/experiments/([^/]+)/trials)",
             [&state](const Request& req, Response& res) { TrialList(state, req, res); });
  server.Get(R"(/api/v1/experiments/([^/]+)/trials/([^/]+))",
             [&state](const Request& req, Response& res) { TrialDetail(state, req, res); });
}

}  // namespace hone::webui
