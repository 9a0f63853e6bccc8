#include "core/config_keys.h"

#include <cctype>
#include <unordered_map>

namespace hone {

std::string FoldKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key)
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::string* MatchKey(std::string_view key, const std::vector<std::string>& known) {
  const std::string folded = FoldKey(key);
  for (const auto& name : known)
    if (FoldKey(name) == folded) return &name;
  return nullptr;
}

ConfigNode CanonicalKeys(const ConfigNode& map, const std::vector<std::string>& known, const std::string& path,
                         Diagnostics& diag) {
  if (!map.IsMap()) return map;
  std::unordered_map<std::string, const std::string*> by_fold;
  for (const auto& name : known) by_fold.emplace(FoldKey(name), &name);
  std::vector<std::pair<std::string, ConfigNode>> entries;
  std::vector<SourceMark> marks;
  // Where each canonical key came from: its spelling and position, for the collision message.
  std::unordered_map<std::string, size_t> first;
  for (size_t i = 0; i < map.entries().size(); ++i) {
    const auto& [key, value] = map.entries()[i];
    auto it = by_fold.find(FoldKey(key));
    std::string name = it == by_fold.end() ? key : *it->second;
    if (it != by_fold.end()) {
      auto [at, fresh] = first.emplace(name, i);
      if (!fresh) {
        const SourceMark earlier = map.KeyMarkAt(at->second);
        diag.Error(map.KeyMarkAt(i), path.empty() ? key : path + "." + key,
                   "same key as '" + map.entries()[at->second].first + "'" +
                       (earlier.line ? " at line " + std::to_string(earlier.line) : std::string()) +
                       " (keys match ignoring case and underscores); give it once");
        continue;
      }
    }
    entries.emplace_back(std::move(name), value);
    marks.push_back(map.KeyMarkAt(i));
  }
  return ConfigNode::Map(std::move(entries), std::move(marks), map.mark());
}

std::string DidYouMeanKey(const std::string& key, const std::vector<std::string>& known) {
  std::vector<std::string> folded;
  folded.reserve(known.size());
  for (const auto& name : known) folded.push_back(FoldKey(name));
  std::string hint = DidYouMean(FoldKey(key), folded);
  for (size_t i = 0; i < folded.size(); ++i)
    if (!hint.empty() && folded[i] == hint) return known[i];
  return "";
}

}  // namespace hone
