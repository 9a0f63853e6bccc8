// Adds the "tpe" tuner (NNI alias: TPE) and its classArgs to a registry.
#pragma once

#include "core/registry.h"

namespace hone {

void RegisterTpeTuner(Registry& registry);

}  // namespace hone
