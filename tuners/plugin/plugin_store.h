// The registered plugins (`hone algo register`): a small JSON file, HONE_HOME/plugins.json.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "tuners/plugin/plugin_algorithms.h"

namespace hone::plugin {

std::string PluginStorePath(const std::string& hone_home);
// Every registered plugin; an absent file means none.
StatusOr<std::vector<PluginEntry>> LoadPluginEntries(const std::string& hone_home);
// Replaces the file atomically (write then rename).
Status SavePluginEntries(const std::string& hone_home, const std::vector<PluginEntry>& entries);

}  // namespace hone::plugin
