// The assessors built into hone, listed in one explicit table. cli/main.cc calls
// RegisterBuiltinAssessors on the registry it builds; nothing registers itself.
#pragma once

#include "core/registry.h"

namespace hone {

// Adds none and medianstop (NNI alias: Medianstop).
void RegisterBuiltinAssessors(Registry& registry);

}  // namespace hone
