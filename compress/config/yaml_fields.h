// Readers of the YAML values that the compression configs share (prune, quantize, and
// amc inside prune): each checks one value, and a value that fails records an error at
// its file:line:col and yields a fallback, so that one run reports every error of a file.
// Torch-free.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hone::compress::yaml_fields {

// Errors in hone's "file:line:col: error: key.path: what" format, kept in order. With
// once_per_key, a second error at the same position and key is dropped (a setting that
// several targets share is reported once).
class Errors {
 public:
  explicit Errors(std::string origin, bool once_per_key = false)
      : origin_(std::move(origin)), once_per_key_(once_per_key) {}
  void Add(const YAML::Node& at, const std::string& path, const std::string& what);
  void AddAt(int line, int column, const std::string& path, const std::string& what);
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string origin_;
  bool once_per_key_;
  std::string text_;
};

// "'value'", "a list", "a map" or "null": what an error message says was written.
std::string Got(const YAML::Node& n);

// ASCII lower case.
std::string Lower(std::string s);

// A string or a list of strings.
std::vector<std::string> StringList(const YAML::Node& n, const std::string& path, Errors& errors);

// A number in [0, 1), or [0, 1] with allow_one; 0 on error.
double Ratio(const YAML::Node& n, const std::string& path, Errors& errors, bool allow_one = false);

// An integer >= min.
int64_t Integer(const YAML::Node& n, const std::string& path, Errors& errors, int64_t min, int64_t fallback);

// A finite number > 0 (>= 0 with allow_zero).
double Positive(const YAML::Node& n, const std::string& path, Errors& errors, double fallback,
                bool allow_zero = false);

// true or false; false on error.
bool Bool(const YAML::Node& n, const std::string& path, Errors& errors);

}  // namespace hone::compress::yaml_fields
