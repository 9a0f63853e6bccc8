#include "tuners/seen_configs.h"

#include "tuners/config_key.h"

namespace hone {

bool SeenConfigs::Insert(const nlohmann::json& config) {
  if (!keys_.insert(ConfigKey(config)).second) return false;
  if (enumerator_ && enumerator_->IndexOf(config)) ++covered_;
  return true;
}

Status SeenConfigs::AllSuggested(std::string_view tuner) const {
  return Exhausted(std::string(tuner) + ": the search space has " + std::to_string(enumerator_->size()) +
                   " configurations and all have been suggested");
}

bool SeenConfigs::Has(const nlohmann::json& config) const {
  return keys_.count(ConfigKey(config)) > 0;
}

std::optional<nlohmann::json> SeenConfigs::DrawUnseen(const SearchSpace& space,
                                                     std::mt19937_64& rng, int draws) {
  if (draws <= 0) draws = enumerator_ ? 16 : 1000;
  for (int i = 0; i < draws; ++i) {
    nlohmann::json config = space.Sample(rng);
    if (Insert(config)) return config;
  }
  if (!enumerator_) return std::nullopt;
  // An unseen configuration turns up within (number seen + 1) steps.
  uint64_t n = enumerator_->size();
  uint64_t start = std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
  for (uint64_t j = 0; j < n; ++j) {
    nlohmann::json config = enumerator_->At((start + j) % n);
    if (Insert(config)) return config;
  }
  return std::nullopt;
}

}  // namespace hone
