// Adds the "anneal" tuner (NNI alias: Anneal) and its classArgs to a registry.
#pragma once

#include "core/registry.h"

namespace hone {

void RegisterAnnealTuner(Registry& registry);

}  // namespace hone
