#include "cli/experiment_limits.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "cli/progress_view.h"
#include "core/experiment_config.h"

namespace hone {

using nlohmann::json;

namespace {

std::optional<double> ConfigSeconds(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) return ParseDuration(it->get<std::string>());
  return std::nullopt;
}

// A limits value: a number of the wanted kind, or null (no limit).
void Overlay(const json& limits, const char* key, std::optional<double>* out) {
  auto it = limits.find(key);
  if (it == limits.end()) return;
  if (it->is_null()) out->reset();
  else if (it->is_number()) *out = it->get<double>();
}

}  // namespace

ExperimentLimits EffectiveLimits(const json& config, const std::optional<std::string>& limits_meta) {
  ExperimentLimits out;
  if (config.is_object()) {
    auto c = config.find("trialConcurrency");
    if (c != config.end() && c->is_number_integer() && c->get<int64_t>() >= 1) out.trial_concurrency = c->get<int64_t>();
    auto m = config.find("maxTrialNumber");
    if (m != config.end() && m->is_number_integer()) out.max_trial_number = m->get<int64_t>();
    out.max_experiment_duration_s = ConfigSeconds(config, "maxExperimentDuration");
    out.max_trial_duration_s = ConfigSeconds(config, "maxTrialDuration");
  }
  if (!limits_meta) return out;
  json limits = json::parse(*limits_meta, nullptr, /*allow_exceptions=*/false);
  if (!limits.is_object()) return out;
  auto c = limits.find(kLimitConcurrency);
  if (c != limits.end() && c->is_number_integer() && c->get<int64_t>() >= 1) out.trial_concurrency = c->get<int64_t>();
  auto m = limits.find(kLimitMaxTrials);
  if (m != limits.end() && m->is_null()) out.max_trial_number.reset();
  if (m != limits.end() && m->is_number_integer()) out.max_trial_number = m->get<int64_t>();
  Overlay(limits, kLimitMaxDuration, &out.max_experiment_duration_s);
  Overlay(limits, kLimitMaxTrialDuration, &out.max_trial_duration_s);
  return out;
}

std::string MergeLimits(const std::optional<std::string>& limits_meta, const json& changes) {
  json limits = limits_meta ? json::parse(*limits_meta, nullptr, /*allow_exceptions=*/false) : json::object();
  if (!limits.is_object()) limits = json::object();
  for (auto it = changes.begin(); it != changes.end(); ++it) limits[it.key()] = it.value();
  return limits.dump();
}

StatusOr<int64_t> ParseLimitInt(const std::string& name, const std::string& text, int64_t lo, int64_t hi) {
  const std::string want = name + ": must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], but got '" + text + "'";
  if (text.empty()) return InvalidArgument(want);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < lo || v > hi) return InvalidArgument(want);
  return static_cast<int64_t>(v);
}

StatusOr<double> ParseLimitDuration(const std::string& name, const std::string& text) {
  std::optional<double> d = ParseDuration(text);
  if (!d || !(*d > 0) || !std::isfinite(*d))
    return InvalidArgument(name + ": expected a positive duration such as '30s', '10m', '2h' or '1d', but got '" +
                           text + "'");
  return *d;
}

std::string DescribeLimits(const ExperimentLimits& l) {
  std::string out = "concurrency " + std::to_string(l.trial_concurrency);
  out += ", max trials " + (l.max_trial_number ? std::to_string(*l.max_trial_number) : std::string("none"));
  out += ", max duration " + (l.max_experiment_duration_s ? FormatDuration(*l.max_experiment_duration_s) : "none");
  if (l.max_trial_duration_s) out += ", max trial duration " + FormatDuration(*l.max_trial_duration_s);
  return out;
}

}  // namespace hone
