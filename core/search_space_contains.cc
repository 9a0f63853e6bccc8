// SearchSpace::Contains: whether a configuration is one the space can produce.
#include "core/search_space.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/number_format.h"

namespace hone {
namespace {

bool Fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return false;
}

}  // namespace

bool SearchSpace::Contains(const nlohmann::json& config, std::string* why) const {
  if (!config.is_object()) return Fail(why, "configuration is not an object");
  for (const auto& [k, v] : config.items()) {
    if (k == "_name") continue;
    bool known = false;
    for (const auto& p : params_) known |= p.name == k;
    if (!known) return Fail(why, "unknown parameter '" + k + "'");
  }
  for (const auto& p : params_) {
    auto it = config.find(p.name);
    if (it == config.end()) return Fail(why, "missing parameter '" + p.name + "'");
    const auto& v = *it;
    const std::string& n = p.name;
    switch (p.type) {
      case ParamType::kChoice: {
        if (p.IsNestedChoice()) {
          if (!v.is_object() || !v.contains("_name")) return Fail(why, n + ": nested choice value needs '_name'");
          bool found = false;
          for (size_t i = 0; i < p.options.size(); ++i) {
            if (p.options[i] != v["_name"]) continue;
            found = true;
            std::string inner;
            if (!p.nested[i].Contains(v, &inner)) return Fail(why, n + "." + inner);
          }
          if (!found) return Fail(why, n + ": '_name' " + v["_name"].dump() + " is not an option");
        } else {
          bool found = false;
          for (const auto& o : p.options) found |= (o == v);
          if (!found) return Fail(why, n + ": " + v.dump() + " is not an option");
        }
        break;
      }
      case ParamType::kRandint:
        if (!v.is_number_integer() || v.get<double>() < p.a || v.get<double>() >= p.b)
          return Fail(why, n + ": " + v.dump() + " is not an integer in [low, high)");
        break;
      default: {
        if (!v.is_number()) return Fail(why, n + ": " + v.dump() + " is not a number");
        double x = v.get<double>();
        if (!IsNormalKind(p.type) && (x < p.a || x > p.b))
          return Fail(why, n + ": " + v.dump() + " is outside [" + FormatNumber(p.a) + ", " + FormatNumber(p.b) + "]");
        if ((p.type == ParamType::kLognormal || p.type == ParamType::kQlognormal) && x < 0)
          return Fail(why, n + ": " + v.dump() + " is negative");
        if (IsQuantized(p.type)) {
          // round(x/q)*q is rounded to a double, and so is x/q: far from zero the quotient
          // misses an integer by a few ulps of k, so the tolerance grows with |k|.
          double k = x / p.q;
          double tolerance = std::max(1e-6, std::fabs(k) * 1e-13);
          bool on_grid = std::fabs(k - std::nearbyint(k)) <= tolerance || x == p.a || x == p.b;
          if (!on_grid) return Fail(why, n + ": " + v.dump() + " is not a multiple of q=" + FormatNumber(p.q));
        }
      }
    }
  }
  return true;
}

}  // namespace hone
