// The platforms hone ships, registered explicitly by cli/main.cc.
#pragma once

#include "core/registry.h"

namespace hone {

// Adds "local": trials as process groups on this machine.
void RegisterBuiltinPlatforms(Registry& registry);

}  // namespace hone
