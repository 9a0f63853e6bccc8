// SpaceEnumerator: numbers every configuration of a finite search space 0..size-1, so
// that tuners can walk the configurations they have not tried yet (random search's
// fallback when draws keep colliding) and count how many of them have been seen.
//
//   {"a": choice [x, y], "b": randint [0, 3)}  ->  size 6;  At(0) = {a: x, b: 0},
//   At(1) = {a: x, b: 1}, ... (the last parameter varies fastest)
// A nested choice contributes the sum of its options' sub-space sizes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"

namespace hone {

// The values of a discrete parameter in a fixed order: choice options in their order,
// randint low..high-1, a bounded q kind's distinct values ascending. nullopt for
// continuous parameters, unbounded q kinds and more than `limit` values. A nested
// choice yields its option names.
std::optional<std::vector<nlohmann::json>> DiscreteValues(const ParamSpec& spec,
                                                          size_t limit = 1000000);

class SpaceEnumerator {
 public:
  // nullopt when the space is not finite or has more than 2^62 configurations.
  static std::optional<SpaceEnumerator> Create(const SearchSpace& space);

  uint64_t size() const { return size_; }
  // REQUIRES: index < size().
  nlohmann::json At(uint64_t index) const;
  // The index of `config`, or nullopt when it is not one of the enumerated
  // configurations (an unknown value, a missing or extra key).
  std::optional<uint64_t> IndexOf(const nlohmann::json& config) const;

 private:
  // One parameter. Values are computed from the digit, not stored, so that a randint
  // over a million integers costs nothing.
  struct Dim {
    const ParamSpec* spec = nullptr;
    double first_k = 0;                        // q kinds: round(low / q)
    std::map<std::string, uint64_t> index_of;  // plain choice: ConfigKey(option) -> position
    std::vector<SpaceEnumerator> options;      // nested choice: one per option
    std::vector<uint64_t> offsets;             // nested choice: first index of each option
    uint64_t size = 0;
  };
  static nlohmann::json ValueAt(const Dim& dim, uint64_t digit);
  static std::optional<uint64_t> DigitOf(const Dim& dim, const nlohmann::json& value);
  std::optional<uint64_t> LooseIndexOf(const nlohmann::json& config) const;

  std::vector<Dim> dims_;
  uint64_t size_ = 1;
};

}  // namespace hone
