#include "platforms/replay_curves.h"

#include <algorithm>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>


namespace hone {
namespace {

}  // namespace

StatusOr<ReplayCurves> ReplayCurves::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read curve file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

StatusOr<ReplayCurves> ReplayCurves::Parse(const std::string& text, const std::string& name) {
  ReplayCurves curves;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = name + ":" + std::to_string(number) + ": ";
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return InvalidArgument(where + "expected a JSON object");
    if (j.contains("hone_curves")) {
      curves.header_ = j;
      continue;
    }
    if (!j.contains("params") || !j["params"].is_object()) return InvalidArgument(where + "params: expected an object");
    if (!j.contains("values") || !j["values"].is_array() || j["values"].empty())
      return InvalidArgument(where + "values: expected a non-empty list of numbers");
    CurveRecord r;
    r.params = ConfigurationOf(j["params"]);
    for (const auto& v : j["values"]) {
      if (!v.is_number()) return InvalidArgument(where + "values: expected numbers, but got " + v.dump());
      r.values.push_back(v.get<double>());
    }
    const auto& s = j.contains("seconds") ? j["seconds"] : nlohmann::json(1.0);
    if (s.is_number()) {
      r.seconds.assign(r.values.size(), s.get<double>());
    } else if (s.is_array() && s.size() == r.values.size()) {
      for (const auto& v : s) {
        if (!v.is_number()) return InvalidArgument(where + "seconds: expected numbers, but got " + v.dump());
        r.seconds.push_back(v.get<double>());
      }
    } else {
      return InvalidArgument(where + "seconds: expected a number or a list as long as values (" +
                             std::to_string(r.values.size()) + ")");
    }
    for (double sec : r.seconds)
      if (!(sec >= 0) || !std::isfinite(sec)) return InvalidArgument(where + "seconds: expected finite values >= 0");
    for (const auto& [key, v] : r.params.items()) {
      if (!v.is_number()) continue;
      double x = v.get<double>();
      auto [it, fresh] = curves.spreads_.try_emplace(key, Spread{true, x, x});
      it->second.lo = std::min(it->second.lo, x);
      it->second.hi = std::max(it->second.hi, x);
      if (x <= 0) it->second.log = false;
    }
    curves.records_.push_back(std::move(r));
  }
  if (curves.records_.empty()) return InvalidArgument(name + ": no curves in the file");
  return curves;
}

double ReplayCurves::Coordinate(const std::string& key, double v) const {
  auto it = spreads_.find(key);
  if (it == spreads_.end()) return v;
  const Spread& s = it->second;
  bool log = s.log && v > 0;
  double lo = log ? std::log(s.lo) : s.lo, hi = log ? std::log(s.hi) : s.hi;
  double x = log ? std::log(v) : v;
  double span = hi - lo;
  return span > 0 ? x / span : x;
}

// The keys scheduling tuners add (tuners/tuner.h) are not part of a configuration.
nlohmann::json ReplayCurves::ConfigurationOf(const nlohmann::json& params) {
  nlohmann::json out = params;
  if (out.is_object())
    for (const char* key : {"TRIAL_BUDGET", "load_checkpoint_dir", "save_checkpoint_dir"}) out.erase(key);
  return out;
}

size_t ReplayCurves::Nearest(const nlohmann::json& params, const std::vector<bool>* taken) const {
  nlohmann::json wanted = ConfigurationOf(params);
  // JSON equality: keys in any order, 5 == 5.0.
  for (size_t i = 0; i < records_.size(); ++i)
    if (records_[i].params == wanted) return i;
  bool skip = taken && taken->size() == records_.size() &&
              std::find(taken->begin(), taken->end(), false) != taken->end();
  size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < records_.size(); ++i) {
    if (skip && (*taken)[i]) continue;
    const auto& rp = records_[i].params;
    double d = 0;
    for (const auto& [key, v] : wanted.items()) {
      auto it = rp.find(key);
      if (it == rp.end()) {
        d += 1;
      } else if (v.is_number() && it->is_number()) {
        double diff = Coordinate(key, v.get<double>()) - Coordinate(key, it->get<double>());
        d += diff * diff;
      } else {
        d += v == *it ? 0 : 1;
      }
    }
    if (d < best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

}  // namespace hone
