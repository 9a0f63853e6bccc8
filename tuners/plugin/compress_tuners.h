// Tuners that hone-compress carries out (they need libtorch, which hone does not link):
// registered by name like the built-ins, each running `<dir of hone>/hone-compress <cmd>`
// through the plugin command transport (plugin_protocol.h). Today: `amc`, AMC's DDPG
// agent proposing per-layer keep ratios (`hone compress amc-tuner`, see
// compress/cli/amc_tuner_command.cc for its classArgs). Without hone-compress (hone built
// without libtorch) creating the tuner fails with a message saying so.
//
//   RegisterCompressTuners(registry, "/usr/local/bin");   // cli/main.cc: hone's own folder
//   // tuner: {name: amc, classArgs: {model: resnet20.pt, flops_ratio: 0.5}}
#pragma once

#include <string>

#include "core/registry.h"

namespace hone::plugin {

// `hone_dir`: the folder holding hone (and hone-compress when built with libtorch).
void RegisterCompressTuners(Registry& registry, const std::string& hone_dir);

}  // namespace hone::plugin
