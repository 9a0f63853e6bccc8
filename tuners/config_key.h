// ConfigKey: a canonical text for a configuration, used to deduplicate suggestions.
// Two configurations get the same key exactly when they compare equal as JSON
// (object keys sorted; 5 and 5.0 are the same number; -0.0 is 0).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hone {

std::string ConfigKey(const nlohmann::json& config);

}  // namespace hone
