#include "storage/trial_export.h"

#include <cmath>

namespace hone {

using nlohmann::json;

json JsonNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

json NanSafe(const json& value, bool inside_arrays) {
  switch (value.type()) {
    case json::value_t::number_float: return JsonNumber(value.get<double>());
    case json::value_t::object: {
      json out = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = NanSafe(it.value(), inside_arrays);
      return out;
    }
    case json::value_t::array: {
      if (!inside_arrays) return value;
      json out = json::array();
      for (const auto& v : value) out.push_back(NanSafe(v, inside_arrays));
      return out;
    }
    default: return value;
  }
}

json TrialJson(const TrialRecord& t, const TrialJsonOptions& options) {
  const bool everywhere = options.non_finite_everywhere;
  json j;
  j["id"] = t.id;
  j["seq"] = t.seq;
  j["config_id"] = t.config_id;
  j["status"] = std::string(TrialStatusName(t.status));
  j["parameters"] = everywhere ? NanSafe(t.params) : t.params;
  j["final"] = t.final_value ? JsonNumber(*t.final_value) : json();
  json metrics = t.final_metrics.is_object() ? NanSafe(t.final_metrics, everywhere) : json::object();
  if (t.final_value && !metrics.contains("default")) metrics["default"] = JsonNumber(*t.final_value);
  j["metrics"] = metrics;
  j["started_at"] = t.started_at > 0 ? json(t.started_at) : json();
  j["ended_at"] = t.ended_at > 0 ? json(t.ended_at) : json();
  j["duration_s"] = t.started_at > 0 && t.ended_at > 0 ? json(t.ended_at - t.started_at) : json();
  j["exit_code"] = t.exit_code;
  j["reason"] = t.reason;
  if (options.with_intermediate) {
    json intermediate = json::array();
    for (const auto& m : t.intermediate) intermediate.push_back({{"step", m.step}, {"value", JsonNumber(m.value)}});
    j["intermediate"] = intermediate;
  }
  return j;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace hone
