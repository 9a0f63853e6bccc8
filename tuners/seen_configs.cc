#include "tuners/seen_configs.h"

#include "tuners/config_key.h"

namespace hone {

bool SeenConfigs::Insert(const nlohmann::json& config) {
  if (!keys_.insert(ConfigKey(config)).second) return false;
  if (enumerator_ && enumerator_->IndexOf(config)) ++covered_;
  return true;
}

bool SeenConfigs::Has(const nlohmann::json& config) const {
  return keys_.count(ConfigKey(config)) > 0;
}

}  // namespace hone
