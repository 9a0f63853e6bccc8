// ConfigContext: what every section of the experiment-config reader shares: the
// registry, the directory relative paths resolve against, the diagnostics, and the
// typed accessors that report a wrong value at its file:line:col.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config_node.h"
#include "core/diagnostics.h"
#include "core/registry.h"

namespace hone {

class ConfigContext {
 public:
  ConfigContext(const Registry& registry, std::string base_dir, Diagnostics& diag)
      : registry_(registry), base_dir_(std::move(base_dir)), diag_(diag) {}

  const Registry& registry() const { return registry_; }
  const std::string& base_dir() const { return base_dir_; }
  Diagnostics& diag() { return diag_; }

  std::optional<std::string> String(const ConfigNode& n, const std::string& path);
  // An integer in [min, max], read as 64 bits: a value outside, even one past 64 bits,
  // is an error naming the range ("must lie in [1, 100000], but got 4294967297"); one
  // below min alone says "must be >= min".
  std::optional<long long> Int(const ConfigNode& n, const std::string& path, long long min, long long max);
  // A positive duration ("30s", "10m", "2h", "1d" or seconds).
  std::optional<double> Duration(const ConfigNode& n, const std::string& path);
  // `p` with ~ expanded, made absolute against base_dir, normalized.
  std::string ResolvePath(const std::string& p) const;

  // `map` with its keys spelled as in `allowed` or `ignored` (CanonicalKeys: case and
  // underscores do not matter, as in NNI); read the returned map, not `map`. Unknown keys
  // are errors with a did-you-mean against `allowed` (plus `ignored`, whose keys get a
  // note each instead); two spellings of one key are an error.
  [[nodiscard]] ConfigNode CheckKeys(const ConfigNode& map, const std::string& path,
                                     const std::vector<std::string>& allowed,
                                     const std::vector<std::pair<std::string, std::string>>& ignored = {});

 private:
  const Registry& registry_;
  std::string base_dir_;
  Diagnostics& diag_;
};

// "a.b", or "b" when a is empty.
std::string JoinKeyPath(const std::string& a, const std::string& b);
// A path as messages show it: relative to the working directory when below it.
std::string DisplayPath(const std::string& path);
// "x, y, z".
std::string JoinNames(const std::vector<std::string>& names);
// "unknown <what> 'name'; did you mean 'x'? (known: a, b)".
std::string UnknownNameMessage(const std::string& what, const std::string& name,
                               const std::vector<std::string>& known);

}  // namespace hone
