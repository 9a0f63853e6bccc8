#include "compress/config/yaml_fields.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace hone::compress::yaml_fields {

void Errors::Add(const YAML::Node& at, const std::string& path, const std::string& what) {
  const YAML::Mark m = at.Mark();
  AddAt(m.line + 1, m.column + 1, path, what);
}

void Errors::AddAt(int line, int column, const std::string& path, const std::string& what) {
  const std::string at = origin_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + path + ": ";
  if (once_per_key_ && (text_.rfind(at, 0) == 0 || text_.find("\n" + at) != std::string::npos)) return;
  text_ += (text_.empty() ? "" : "\n") + at + what;
}

std::string Got(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return n.IsSequence() ? "a list" : n.IsMap() ? "a map" : "null";
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> StringList(const YAML::Node& n, const std::string& path, Errors& errors) {
  std::vector<std::string> out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) {
    errors.Add(n, path, "must be a list of strings, but got " + Got(n));
    return out;
  }
  for (const YAML::Node& item : n) {
    if (item.IsScalar()) {
      out.push_back(item.Scalar());
    } else {
      errors.Add(item, path, "must hold strings, but got " + Got(item));
    }
  }
  return out;
}

double Ratio(const YAML::Node& n, const std::string& path, Errors& errors, bool allow_one) {
  try {
    const double v = n.as<double>();
    if (v >= 0 && (v < 1 || (allow_one && v == 1))) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, std::string("must be a number in [0, 1") + (allow_one ? "]" : ")") + ", but got " + Got(n));
  return 0;
}

int64_t Integer(const YAML::Node& n, const std::string& path, Errors& errors, int64_t min, int64_t fallback) {
  try {
    const int64_t v = n.as<int64_t>();
    if (v >= min) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, "must be an integer >= " + std::to_string(min) + ", but got " + Got(n));
  return fallback;
}

double Positive(const YAML::Node& n, const std::string& path, Errors& errors, double fallback, bool allow_zero) {
  try {
    const double v = n.as<double>();
    if (std::isfinite(v) && (v > 0 || (allow_zero && v == 0))) return v;
  } catch (const YAML::Exception&) {
  }
  errors.Add(n, path, std::string("must be a number ") + (allow_zero ? ">= 0" : "> 0") + ", but got " + Got(n));
  return fallback;
}

bool Bool(const YAML::Node& n, const std::string& path, Errors& errors) {
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    errors.Add(n, path, "must be true or false, but got " + Got(n));
  }
  return false;
}

}  // namespace hone::compress::yaml_fields
