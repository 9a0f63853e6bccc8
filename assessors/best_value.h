// The best finite value a trial has reported so far, the number the median and
// percentile rules compare (non-finite values never count).
#pragma once

#include <cmath>
#include <optional>
#include <vector>

#include "core/trial_record.h"

namespace hone {

// nullopt when no value is finite.
inline std::optional<double> BestFiniteValue(const std::vector<IntermediateMetric>& values, OptimizeMode mode) {
  std::optional<double> best;
  for (const auto& m : values) {
    if (!std::isfinite(m.value)) continue;
    if (!best || Better(m.value, *best, mode)) best = m.value;
  }
  return best;
}

}  // namespace hone
