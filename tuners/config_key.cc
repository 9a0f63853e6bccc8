#include "tuners/config_key.h"

#include <cmath>

namespace hone {
namespace {

void Append(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.items()) {  // std::map: keys already sorted
        if (!first) out += ',';
        first = false;
        out += nlohmann::json(k).dump();
        out += ':';
        Append(item, out);
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        Append(v[i], out);
      }
      out += ']';
      return;
    }
    case nlohmann::json::value_t::number_float: {
      double x = v.get<double>();
      if (std::isnan(x)) {
        out += "NaN";
      } else if (std::isinf(x)) {
        out += x > 0 ? "Infinity" : "-Infinity";
      } else if (x == std::trunc(x) && std::fabs(x) < 9.0e15) {
        // Integral floats print like integers, so a value stored as 5 matches 5.0.
        out += std::to_string(static_cast<long long>(x));
      } else {
        out += v.dump();
      }
      return;
    }
    default:
      out += v.dump();
  }
}

}  // namespace

std::string ConfigKey(const nlohmann::json& config) {
  std::string out;
  Append(config, out);
  return out;
}

}  // namespace hone
