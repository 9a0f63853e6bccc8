#include "cli/export_format.h"

#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "storage/trial_export.h"
#include "storage/trial_query.h"

namespace hone {

namespace {

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
// One trial's intermediate reports, each with its whole report as "metrics".
StatusOr<nlohmann::json> IntermediateReports(TrialQuery& query, int64_t seq) {
  auto results = query.Intermediate(seq, std::numeric_limits<int64_t>::max(), nullptr);
  if (!results.ok()) return results.status();
  nlohmann::json points = nlohmann::json::array();
  for (const auto& m : *results) {
    nlohmann::json metrics = nlohmann::json::parse(m.raw, nullptr, false);
    if (metrics.is_discarded() || metrics.is_null()) metrics = nlohmann::json::object();
    else if (!metrics.is_object()) metrics = {{"default", metrics}};
    metrics = NanSafe(metrics, /*inside_arrays=*/false);
    metrics["default"] = JsonNumber(m.value);
    points.push_back({{"step", m.step}, {"value", JsonNumber(m.value)}, {"metrics", std::move(metrics)}});
  }
  return points;
}

}  // namespace

StatusOr<std::string> ExportTrials(const std::vector<TrialRecord>& trials, const std::string& format,
                                   const std::string& reports_db) {
  if (format == "csv") return TrialsToCsv(trials);
  nlohmann::json out = TrialsToJson(trials, false);
  if (!reports_db.empty()) {
    auto query = TrialQuery::Open(reports_db);
    if (!query.ok()) return query.status();
    HONE_RETURN_IF_ERROR((*query)->BeginSnapshot());
    for (auto& t : out) {
      auto reports = IntermediateReports(**query, t["seq"].get<int64_t>());
      if (!reports.ok()) return reports.status();
      t["intermediate"] = std::move(*reports);
    }
    (*query)->EndSnapshot();
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

nlohmann::json TrialsToJson(const std::vector<TrialRecord>& trials, bool with_intermediate) {
  nlohmann::json out = nlohmann::json::array();
  TrialJsonOptions options;
  options.with_intermediate = with_intermediate;
  options.non_finite_everywhere = false;
  for (const auto& t : trials) out.push_back(TrialJson(t, options));
  return out;
}

std::string TrialsToCsv(const std::vector<TrialRecord>& trials) {
  std::vector<std::map<std::string, std::string>> params(trials.size()), metrics(trials.size());
  std::set<std::string> param_keys, metric_keys;
  for (size_t i = 0; i < trials.size(); ++i) {
    Flatten(trials[i].params, "", params[i]);
    if (trials[i].final_metrics.is_object()) Flatten(NanSafe(trials[i].final_metrics, /*inside_arrays=*/false), "", metrics[i]);
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
    if (t.final_value) os << Scalar(JsonNumber(*t.final_value));
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
