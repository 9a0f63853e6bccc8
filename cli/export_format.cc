#include "cli/export_format.h"

#include <cmath>
#include <set>
#include <sstream>

namespace hone {

nlohmann::json MetricToJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

namespace {
nlohmann::json CleanMetrics(const nlohmann::json& m) {
  if (m.is_number_float()) return MetricToJson(m.get<double>());
  if (m.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : m.items()) out[k] = CleanMetrics(v);
    return out;
  }
  return m;
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

std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Nested choices flatten to "opt._name", "opt.momentum", ...
void Flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [k, v] : j.items()) {
    std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) Flatten(v, key, out);
    else out[key] = Scalar(v);
  }
}
}  // namespace

nlohmann::json TrialToJson(const TrialRecord& t, bool with_intermediate) {
  nlohmann::json j;
  j["id"] = t.id;
  j["seq"] = t.seq;
  j["config_id"] = t.config_id;
  j["status"] = std::string(TrialStatusName(t.status));
  j["parameters"] = t.params;
  j["final"] = t.final_value ? MetricToJson(*t.final_value) : nlohmann::json();
  nlohmann::json metrics = t.final_metrics.is_object() ? CleanMetrics(t.final_metrics) : nlohmann::json::object();
  if (t.final_value && !metrics.contains("default")) metrics["default"] = MetricToJson(*t.final_value);
  j["metrics"] = metrics;
  j["started_at"] = t.started_at > 0 ? nlohmann::json(t.started_at) : nlohmann::json();
  j["ended_at"] = t.ended_at > 0 ? nlohmann::json(t.ended_at) : nlohmann::json();
  j["duration_s"] = t.started_at > 0 && t.ended_at > 0 ? nlohmann::json(t.ended_at - t.started_at) : nlohmann::json();
  j["exit_code"] = t.exit_code;
  j["reason"] = t.reason;
  if (with_intermediate) {
    nlohmann::json inter = nlohmann::json::array();
    for (const auto& m : t.intermediate) inter.push_back({{"step", m.step}, {"value", MetricToJson(m.value)}});
    j["intermediate"] = inter;
  }
  return j;
}

nlohmann::json TrialsToJson(const std::vector<TrialRecord>& trials, bool with_intermediate) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : trials) out.push_back(TrialToJson(t, with_intermediate));
  return out;
}

std::string TrialsToCsv(const std::vector<TrialRecord>& trials) {
  std::vector<std::map<std::string, std::string>> params(trials.size()), metrics(trials.size());
  std::set<std::string> param_keys, metric_keys;
  for (size_t i = 0; i < trials.size(); ++i) {
    Flatten(trials[i].params, "", params[i]);
    if (trials[i].final_metrics.is_object()) Flatten(CleanMetrics(trials[i].final_metrics), "", metrics[i]);
    for (const auto& [k, v] : params[i]) param_keys.insert(k);
    for (const auto& [k, v] : metrics[i]) metric_keys.insert(k);
  }
  metric_keys.erase("default");
  std::ostringstream os;
  os << "id,seq,status,final,duration_s,reason";
  for (const auto& k : param_keys) os << "," << CsvField("param." + k);
  for (const auto& k : metric_keys) os << "," << CsvField("metric." + k);
  os << "\n";
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    os << CsvField(t.id) << "," << t.seq << "," << TrialStatusName(t.status) << ",";
    if (t.final_value) os << Scalar(MetricToJson(*t.final_value));
    os << ",";
    if (t.started_at > 0 && t.ended_at > 0) os << (t.ended_at - t.started_at);
    os << "," << CsvField(t.reason);
    for (const auto& k : param_keys) os << "," << CsvField(params[i].count(k) ? params[i][k] : "");
    for (const auto& k : metric_keys) os << "," << CsvField(metrics[i].count(k) ? metrics[i][k] : "");
    os << "\n";
  }
  return os.str();
}

}  // namespace hone
