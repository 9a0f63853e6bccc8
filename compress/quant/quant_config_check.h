// The inside of the quantization config reader (quant_config.h): the error collector and
// the config_list entries, whose checks depend on the quantizer. Torch-free; only
// quant_config*.cc include it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "compress/quant/quant_config.h"

namespace hone::compress::quant_config {

// Errors in hone's "file:line:col: error: key.path: what" format, all kept.
class Errors {
 public:
  explicit Errors(std::string origin) : origin_(std::move(origin)) {}
  void Add(const YAML::Node& at, const std::string& path, const std::string& what) {
    const YAML::Mark m = at.Mark();
    AddAt(m.line + 1, m.column + 1, path, what);
  }
  // One error per position and key: a setting shared by _input_ and _output_ is reported once.
  void AddAt(int line, int column, const std::string& path, const std::string& what) {
    const std::string at = origin_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + path + ": ";
    if (text_.rfind(at, 0) == 0 || text_.find("\n" + at) != std::string::npos) return;
    text_ += (text_.empty() ? "" : "\n") + at + what;
  }
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string origin_;
  std::string text_;
};

// "'value'", "a list", "a map" or "null".
std::string Got(const YAML::Node& n);

// config_list: a list of entries, each checked against what `quantizer` can emit.
void ParseRules(const YAML::Node& list, Quantizer quantizer, std::vector<QuantRule>& rules, Errors& errors);

}  // namespace hone::compress::quant_config
