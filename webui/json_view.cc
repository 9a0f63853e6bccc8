#include "webui/json_view.h"

#include <cmath>

#include "core/experiment_config.h"

namespace hone::webui {

using nlohmann::json;

json Time(double t) { return t > 0 ? json(t) : json(); }

json SummaryJson(const TrialSummary& s, double now) {
  const TrialRecord& t = s.record;
  json j;
  j["seq"] = t.seq;
  j["id"] = t.id;
  j["config_id"] = t.config_id;
  j["status"] = std::string(TrialStatusName(t.status));
  j["params"] = NanSafe(t.params);
  j["final"] = t.final_value ? JsonNumber(*t.final_value) : json();
  json metrics = t.final_metrics.is_object() ? NanSafe(t.final_metrics) : json::object();
  if (t.final_value && !metrics.contains("default")) metrics["default"] = JsonNumber(*t.final_value);
  j["metrics"] = metrics;
  j["created"] = Time(t.created_at);
  j["started"] = Time(t.started_at);
  j["ended"] = Time(t.ended_at);
  if (t.started_at > 0) j["duration_s"] = (t.ended_at > 0 ? t.ended_at : now) - t.started_at;
  else j["duration_s"] = json();
  j["exit_code"] = t.exit_code;
  j["reason"] = t.reason;
  j["latest"] = s.latest ? json{{"step", s.latest->step}, {"value", JsonNumber(s.latest->value)}} : json();
  j["intermediate_count"] = s.intermediate_count;
  return j;
}

OptimizeMode ModeOf(const json& config) {
  auto mode_in = [&](const char* algo) -> std::optional<std::string> {
    if (!config.is_object() || !config.contains(algo) || !config[algo].is_object()) return std::nullopt;
    const json& algo_json = config[algo];
    if (!algo_json.contains("classArgs") || !algo_json["classArgs"].is_object()) return std::nullopt;
    const json& args = algo_json["classArgs"];
    if (!args.contains("optimize_mode") || !args["optimize_mode"].is_string()) return std::nullopt;
    return args["optimize_mode"].get<std::string>();
  };
  auto mode = mode_in("tuner");
  if (!mode) mode = mode_in("assessor");
  return mode && *mode == "minimize" ? OptimizeMode::kMinimize : OptimizeMode::kMaximize;
}

namespace {

void AddColumns(const json& space, const std::string& prefix, std::vector<ParamColumn>* out) {
  if (!space.is_object()) return;
  for (auto it = space.begin(); it != space.end(); ++it) {
    const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    const json& spec = it.value();
    if (!spec.is_object()) continue;
    std::string type = spec.value("_type", std::string());
    json values = spec.contains("_value") ? spec["_value"] : json();
    bool nested = type == "choice" && values.is_array() && !values.empty() && values[0].is_object();
    if (!nested) {
      out->push_back({path, type, values});
      continue;
    }
    json names = json::array();
    for (const auto& option : values) names.push_back(option.is_object() ? option.value("_name", json()) : option);
    out->push_back({path + "._name", "choice", names});
    for (const auto& option : values) {
      if (!option.is_object()) continue;
      json sub = option;
      sub.erase("_name");
      std::vector<ParamColumn> inner;
      AddColumns(sub, path, &inner);
      for (auto& c : inner) {
        bool seen = false;
        for (const auto& have : *out) seen = seen || have.path == c.path;
        if (!seen) out->push_back(std::move(c));
      }
    }
  }
}

}  // namespace

std::vector<ParamColumn> ParamColumns(const json& search_space) {
  std::vector<ParamColumn> out;
  AddColumns(search_space, "", &out);
  return out;
}

void FlattenParams(const json& params, const std::string& prefix, json* out) {
  if (!params.is_object()) return;
  for (auto it = params.begin(); it != params.end(); ++it) {
    std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object()) FlattenParams(it.value(), path, out);
    else (*out)[path] = NanSafe(it.value());
  }
}

namespace {

std::optional<double> ConfigSeconds(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const json& v = config[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return ParseDuration(v.get<std::string>());
  return std::nullopt;
}

json OrNull(const std::optional<double>& v) { return v ? json(*v) : json(); }

}  // namespace

namespace {

// What the overview computes from the trials table: cached per trial cursor.
StatusOr<json> TrialAggregates(TrialQuery& query, OptimizeMode mode, double now) {
  json j;
  auto configs = query.ConfigsCreated();
  if (!configs.ok()) return configs.status();
  j["configs_created"] = *configs;
  auto counts = query.CountByStatus();
  if (!counts.ok()) return counts.status();
  json counts_json = json::object();
  int64_t total = 0;
  for (TrialStatus s : {TrialStatus::kWaiting, TrialStatus::kRunning, TrialStatus::kSucceeded, TrialStatus::kFailed,
                        TrialStatus::kEarlyStopped, TrialStatus::kCanceled, TrialStatus::kTimeout, TrialStatus::kLost}) {
    std::string name(TrialStatusName(s));
    int64_t n = counts->count(name) ? counts->at(name) : 0;
    counts_json[name] = n;
    total += n;
  }
  j["counts"] = counts_json;
  j["trial_count"] = total;
  auto best = query.Best(mode);
  if (!best.ok()) return best.status();
  j["best"] = *best ? SummaryJson(**best, now) : json();
  auto keys = query.MetricKeys(200);
  if (!keys.ok()) return keys.status();
  j["metric_keys"] = *keys;
  return j;
}

}  // namespace

StatusOr<json> OverviewJson(const ExperimentEntry& entry, bool running, TrialQuery& query, bool full, double now,
                            ExperimentCatalog& cache) {
  json config = json::parse(query.GetMeta("config").value_or("{}"), nullptr, false);
  if (config.is_discarded()) config = json::object();
  const OptimizeMode mode = ModeOf(config);
  auto cursor = query.CurrentCursor();
  if (!cursor.ok()) return cursor.status();
  const std::string cache_key = entry.id + "|overview";
  const std::string at = std::to_string(cursor->change_id);
  std::optional<json> aggregates = cache.Cached(cache_key, at);
  if (!aggregates) {
    auto computed = TrialAggregates(query, mode, now);
    if (!computed.ok()) return computed.status();
    aggregates = *computed;
    cache.Store(cache_key, at, *aggregates);
  }

  json budget;
  budget["trial_concurrency"] = config.value("trialConcurrency", 1);
  budget["max_trial_number"] = config.contains("maxTrialNumber") ? config["maxTrialNumber"] : json();
  budget["max_experiment_duration_s"] = OrNull(ConfigSeconds(config, "maxExperimentDuration"));
  budget["max_trial_duration_s"] = OrNull(ConfigSeconds(config, "maxTrialDuration"));
  if (auto text = query.GetMeta("limits")) {
    json limits = json::parse(*text, nullptr, false);
    if (limits.is_object())
      for (const char* key : {"trial_concurrency", "max_trial_number", "max_trial_duration_s", "max_experiment_duration_s"})
        if (limits.contains(key)) budget[key] = limits[key];
  }
  budget["configs_created"] = (*aggregates)["configs_created"];

  json j;
  std::string status = query.GetMeta("status").value_or(entry.status);
  // A manager that died without a word leaves "running" behind.
  if (status == "running" && !running) status = entry.status == "running" ? "failed" : entry.status;
  j["status"] = status;
  j["running"] = running;
  j["elapsed_s"] = std::atof(query.GetMeta("elapsed").value_or("0").c_str());
  j["budget"] = budget;
  j["trial_count"] = (*aggregates)["trial_count"];
  j["counts"] = (*aggregates)["counts"];
  j["best"] = (*aggregates)["best"];
  if (!full) return j;

  j["id"] = entry.id;
  j["name"] = entry.name;
  j["error"] = query.GetMeta("error").value_or("");
  j["created"] = entry.created;
  j["updated"] = entry.updated;
  j["optimize_mode"] = std::string(OptimizeModeName(mode));
  j["config"] = NanSafe(config);
  j["metric_keys"] = (*aggregates)["metric_keys"];
  json space = config.contains("searchSpace") ? config["searchSpace"] : json::object();
  json paths = json::array();
  for (const auto& c : ParamColumns(space)) paths.push_back(c.path);
  j["parameter_keys"] = paths;
  j["search_space"] = NanSafe(space);
  j["cursor"] = cursor->ToString();
  return j;
}

}  // namespace hone::webui
