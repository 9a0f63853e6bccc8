// SeenConfigs: the configurations a tuner has suggested or been told about, by
// canonical key, plus how much of a finite space they cover. Deduplicating tuners
// (random, grid) never suggest a configuration twice, also across a resume.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/status.h"
#include "tuners/space_enumerator.h"

namespace hone {

class SeenConfigs {
 public:
  // REQUIRES: `space` outlives this object.
  explicit SeenConfigs(const SearchSpace& space) : enumerator_(SpaceEnumerator::Create(space)) {}

  // Records `config`; false when it was already recorded.
  bool Insert(const nlohmann::json& config);
  bool Has(const nlohmann::json& config) const;
  // Distinct configurations recorded, inside the space or not.
  size_t size() const { return keys_.size(); }

  // The enumeration of a finite space (nullopt for continuous or huge spaces).
  const std::optional<SpaceEnumerator>& enumerator() const { return enumerator_; }
  // An unrecorded configuration, recorded before it is returned: `draws` draws from the
  // prior (default: 16 in a finite space; 1000 otherwise, where only unbounded q kinds can
  // collide), then, in a finite space, a scan
  // of the enumeration from a random start. nullopt when none was found.
  std::optional<nlohmann::json> DrawUnseen(const SearchSpace& space, std::mt19937_64& rng,
                                           int draws = 0);
  // True once every configuration of a finite space has been recorded.
  bool CoversSpace() const { return enumerator_ && covered_ >= enumerator_->size(); }
  // kExhausted naming `tuner` and the size of the space. REQUIRES: CoversSpace().
  Status AllSuggested(std::string_view tuner) const;

 private:
  std::optional<SpaceEnumerator> enumerator_;
  std::unordered_set<std::string> keys_;
  uint64_t covered_ = 0;  // recorded configurations that the enumerator knows
};

}  // namespace hone
