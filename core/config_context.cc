#include "core/config_context.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/config_keys.h"
#include "core/experiment_config.h"

namespace hone {
namespace fs = std::filesystem;

std::string JoinKeyPath(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  fs::path rel = fs::relative(path, fs::current_path(ec), ec);
  if (ec || rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string UnknownNameMessage(const std::string& what, const std::string& name,
                               const std::vector<std::string>& known) {
  std::string hint = DidYouMean(ToLower(name), known);
  return "unknown " + what + " '" + name + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
         " (known: " + JoinNames(known) + ")";
}

std::optional<std::string> ConfigContext::String(const ConfigNode& n, const std::string& path) {
  if (n.IsScalar()) return n.scalar();
  diag_.Error(n.mark(), path, "expected a string, but got " + n.Describe());
  return std::nullopt;
}

std::optional<long long> ConfigContext::Int(const ConfigNode& n, const std::string& path, long long min,
                                            long long max) {
  auto v = n.AsInt();
  if (!v && !n.IsIntegerText()) {
    diag_.Error(n.mark(), path, "expected an integer, but got " + n.Describe());
    return std::nullopt;
  }
  bool negative = n.scalar()[0] == '-';
  if (v ? *v < min : negative) {
    diag_.Error(n.mark(), path, "must be >= " + std::to_string(min) + ", but got " + n.scalar());
    return std::nullopt;
  }
  if (!v || *v > max) {
    diag_.Error(n.mark(), path,
                "must lie in [" + std::to_string(min) + ", " + std::to_string(max) + "], but got " + n.scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<double> ConfigContext::Duration(const ConfigNode& n, const std::string& path) {
  std::optional<double> d;
  if (n.IsScalar()) d = ParseDuration(n.scalar());
  if (!d || !(*d > 0)) {
    diag_.Error(n.mark(), path, "expected a positive duration such as '30s', '10m', '2h' or '1d', but got " + n.Describe());
    return std::nullopt;
  }
  return d;
}

std::string ConfigContext::ResolvePath(const std::string& p) const {
  std::string path = p;
  if (!path.empty() && path[0] == '~') {
    const char* home = std::getenv("HOME");
    path = std::string(home ? home : "") + path.substr(1);
  }
  fs::path fp(path);
  if (fp.is_relative()) fp = fs::path(base_dir_) / fp;
  return fp.lexically_normal().string();
}

ConfigNode ConfigContext::CheckKeys(const ConfigNode& raw, const std::string& path,
                                    const std::vector<std::string>& allowed,
                                    const std::vector<std::pair<std::string, std::string>>& ignored) {
  std::vector<std::string> candidates = allowed;
  for (const auto& p : ignored) candidates.push_back(p.first);
  ConfigNode map = CanonicalKeys(raw, candidates, path, diag_);
  // By index, not KeyMark(key): a map of 100,000 unknown keys stays linear.
  const auto& entries = map.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& key = entries[i].first;
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    auto it = std::find_if(ignored.begin(), ignored.end(), [&](const auto& p) { return p.first == key; });
    if (it != ignored.end()) {
      diag_.Note(map.KeyMarkAt(i), key, "ignored: " + it->second);
      continue;
    }
    // Past the cap the error is only counted, so its hint is not worth computing.
    std::string hint = diag_.full() ? "" : DidYouMeanKey(key, candidates);
    diag_.Error(map.KeyMarkAt(i), JoinKeyPath(path, key),
                "unknown key" + (hint.empty() ? std::string() : "; did you mean '" + hint + "'?"));
  }
  return map;
}

}  // namespace hone
