// The assessors built into hone, listed in one explicit table. cli/main.cc calls
// RegisterBuiltinAssessors on the registry it builds; nothing registers itself.
#pragma once

#include "core/registry.h"

namespace hone {

// Adds none, medianstop (NNI alias: Medianstop), curvefitting (NNI alias: Curvefitting),
// percentile, threshold, patience and asha. REQUIRES: `registry` outlives the assessors'
// factories (patience builds the assessor it wraps from it).
void RegisterBuiltinAssessors(Registry& registry);

}  // namespace hone
