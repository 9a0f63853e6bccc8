// Adds the scheduling tuners, which choose budgets or populations, to a registry:
// "hyperband" (NNI alias: Hyperband), "bohb" (BOHB) and "pbt" (PBTTuner).
#pragma once

#include "core/registry.h"

namespace hone {

void RegisterSchedulerTuners(Registry& registry);

}  // namespace hone
