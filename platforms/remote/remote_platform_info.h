// The remote platform's registry entry: its trainingService keys (NNI's machineList and
// hone's own), the checks behind their file:line:col errors, and its factory.
#pragma once

#include "core/registry.h"

namespace hone {

PlatformInfo RemotePlatformInfo();

}  // namespace hone
