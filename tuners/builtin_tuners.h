// The tuners built into hone, listed in one explicit table. cli/main.cc calls
// RegisterBuiltinTuners on the registry it builds; nothing registers itself.
#pragma once

#include "core/registry.h"

namespace hone {

// Adds random, grid, tpe, anneal, gp, cmaes, evolution, regularized_evolution, ppo,
// hyperband, bohb and pbt, each under its NNI alias too (Random, GridSearch, TPE, ...).
void RegisterBuiltinTuners(Registry& registry);

}  // namespace hone
