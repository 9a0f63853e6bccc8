#include "tuners/plugin/plugin_protocol.h"

#include <cmath>
#include <limits>

namespace hone::plugin {

using nlohmann::json;

std::string_view PluginKindName(PluginKind kind) {
  return kind == PluginKind::kTuner ? "tuner" : "assessor";
}

json EncodeNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

std::optional<double> DecodeNumber(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity" || s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

namespace {
// The final report with its non-finite numbers as EncodeNumber writes them.
json EncodeMetrics(const json& metrics) {
  json out = json::object();
  for (const auto& [key, value] : metrics.items())
    out[key] = value.is_number_float() ? EncodeNumber(value.get<double>()) : value;
  return out;
}
}  // namespace

json EncodeTrial(const TrialRecord& t) {
  json inter = json::array();
  for (const auto& m : t.intermediate) inter.push_back(json::array({m.step, EncodeNumber(m.value)}));
  return {{"seq", t.seq},
          {"config_id", t.config_id},
          {"status", std::string(TrialStatusName(t.status))},
          {"params", t.params},
          {"final", t.final_value ? EncodeNumber(*t.final_value) : json(nullptr)},
          {"metrics", t.final_metrics.is_object() ? EncodeMetrics(t.final_metrics) : json(nullptr)},
          {"intermediate", std::move(inter)}};
}

json EncodeTrials(std::span<const TrialRecord> trials) {
  json out = json::array();
  for (const auto& t : trials) out.push_back(EncodeTrial(t));
  return out;
}

json InitRequest(PluginKind kind, const json& search_space, const json& class_args, uint64_t seed,
                 OptimizeMode mode) {
  return {{"type", "init"},
          {"kind", std::string(PluginKindName(kind))},
          {"search_space", search_space},
          {"class_args", class_args},
          {"seed", seed},
          {"optimize_mode", std::string(OptimizeModeName(mode))}};
}

json SuggestRequest(int count) { return {{"type", "suggest"}, {"count", count}}; }

json UpdateRequest(std::span<const TrialRecord> completed, std::span<const TrialRecord> active) {
  return {{"type", "update"}, {"completed", EncodeTrials(completed)}, {"active", EncodeTrials(active)}};
}

json AssessRequest(const TrialRecord& trial, std::span<const TrialRecord> finished) {
  return {{"type", "assess"}, {"trial", EncodeTrial(trial)}, {"finished", EncodeTrials(finished)}};
}

namespace {
std::string Clip(const std::string& s) {
  constexpr size_t kMax = 200;
  return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
}
}  // namespace

StatusOr<json> ParseReply(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Internal("answered garbage (not JSON): '" + Clip(text) + "'");
  if (!j.is_object()) return Internal("answered " + Clip(text) + " (expected a JSON object)");
  if (auto it = j.find("error"); it != j.end()) {
    std::string msg = it->is_string() ? it->get<std::string>() : it->dump();
    return Internal("reported an error: " + msg);
  }
  return j;
}

StatusOr<SuggestReply> DecodeSuggestReply(const json& reply) {
  SuggestReply out;
  if (reply.value("exhausted", false) == true) out.exhausted = true;
  auto it = reply.find("configs");
  if (it == reply.end()) {
    if (out.exhausted) return out;
    return Internal("answered 'suggest' without 'configs': " + Clip(reply.dump()));
  }
  if (!it->is_array()) return Internal("'configs' must be a list, but got " + Clip(it->dump()));
  for (const auto& c : *it) {
    if (!c.is_object()) return Internal("each configuration must be an object, but got " + Clip(c.dump()));
    out.configs.push_back(c);
  }
  return out;
}

StatusOr<bool> DecodeVerdictReply(const json& reply) {
  auto it = reply.find("verdict");
  if (it == reply.end() || !it->is_string())
    return Internal("answered 'assess' without a 'verdict': " + Clip(reply.dump()));
  const auto& v = it->get_ref<const std::string&>();
  if (v == "stop" || v == "bad" || v == "Bad") return true;
  if (v == "continue" || v == "good" || v == "Good") return false;
  return Internal("'verdict' must be 'continue' or 'stop', but got '" + Clip(v) + "'");
}

}  // namespace hone::plugin
