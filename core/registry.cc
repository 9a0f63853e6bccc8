#include "core/registry.h"

#include <algorithm>
#include <cctype>

namespace hone {

std::string ToLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {
template <typename Info>
const Info* FindByName(const std::vector<Info>& infos, const std::string& name) {
  std::string key = ToLower(name);
  for (const auto& info : infos) {
    if (ToLower(info.name) == key) return &info;
    if constexpr (requires { info.aliases; }) {
      for (const auto& alias : info.aliases)
        if (ToLower(alias) == key) return &info;
    }
  }
  return nullptr;
}

template <typename Info>
std::vector<std::string> Names(const std::vector<Info>& infos) {
  std::vector<std::string> out;
  for (const auto& info : infos) out.push_back(info.name);
  return out;
}
}  // namespace

const TunerInfo* Registry::FindTuner(const std::string& name) const { return FindByName(tuners_, name); }
const AssessorInfo* Registry::FindAssessor(const std::string& name) const { return FindByName(assessors_, name); }
const PlatformInfo* Registry::FindPlatform(const std::string& name) const { return FindByName(platforms_, name); }
std::vector<std::string> Registry::TunerNames() const { return Names(tuners_); }
std::vector<std::string> Registry::AssessorNames() const { return Names(assessors_); }
std::vector<std::string> Registry::PlatformNames() const { return Names(platforms_); }

}  // namespace hone
