// The inside of the quantization config reader (quant_config.h): the config_list entries, whose checks depend on the quantizer. Torch-free; only
// quant_config*.cc include it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "compress/config/yaml_fields.h"
#include "compress/quant/quant_config.h"

namespace hone::compress::quant_config {

using yaml_fields::Errors;
using yaml_fields::Got;

// config_list: a list of entries, each checked against what `quantizer` can emit.
void ParseRules(const YAML::Node& list, Quantizer quantizer, std::vector<QuantRule>& rules, Errors& errors);

}  // namespace hone::compress::quant_config
