// The tuners built into hone, listed in one explicit table. cli/main.cc calls
// RegisterBuiltinTuners on the registry it builds; nothing registers itself.
#pragma once

#include "core/registry.h"

namespace hone {

// Adds random and grid (NNI aliases: Random, GridSearch).
void RegisterBuiltinTuners(Registry& registry);

}  // namespace hone
