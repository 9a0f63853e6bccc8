// PlanQuantization: the config resolved over a model's layers, and the check that every
// name the config lists is a layer of the model.
#include <fnmatch.h>

#include "compress/quant/quant_config.h"
#include "compress/quant/quant_config_check.h"
#include "core/diagnostics.h"

namespace hone::compress {
namespace {

bool Int8Kernels(const QuantConfig& c, bool any_activations) {
  switch (c.quantizer) {
    case Quantizer::kPtq: case Quantizer::kQat: case Quantizer::kLsq: return true;
    case Quantizer::kObq: case Quantizer::kRtn: return any_activations;
    case Quantizer::kDynamic: return false;
  }
  return false;
}

// Why a layer whose targets are set as in `p` cannot be quantized ("" when it can).
std::string MissingTarget(const QuantConfig& c, bool static_int8, const LayerQuantPlan& p) {
  if (!p.weight) return "no config_list entry quantizes its weight";
  if (c.quantizer == Quantizer::kDynamic && p.op_type != "Linear") {
    return "dynamic quantization covers linear layers only";
  }
  if (!static_int8) return "";
  if (!p.input || !p.output) {
    return std::string("target_names lacks ") + (p.input ? "_output_" : "_input_") +
           " (int8 kernels take quantized inputs and give quantized outputs)";
  }
  return "";
}

// Each op_names entry must select a layer: a typo would otherwise quantize nothing there.
void CheckNames(const QuantConfig& config, const std::vector<QuantLayerRef>& layers,
                quant_config::Errors& errors) {
  std::vector<std::string> known;
  for (const QuantLayerRef& l : layers) known.push_back(l.name);
  std::string list;
  for (size_t i = 0; i < known.size() && i < 12; ++i) list += (i ? ", " : "") + known[i];
  if (known.size() > 12) list += ", ...";
  for (size_t r = 0; r < config.rules.size(); ++r) {
    for (const ConfigName& n : config.rules[r].names) {
      bool found = false;
      for (const std::string& k : known) found = found || fnmatch(n.name.c_str(), k.c_str(), 0) == 0;
      if (found) continue;
      const std::string near = DidYouMean(n.name, known);
      errors.AddAt(n.line, n.column, "config_list[" + std::to_string(r) + "].op_names",
                   "'" + n.name + "' names no convolution or linear layer of the model (" + list + ")" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
}

}  // namespace

StatusOr<std::vector<LayerQuantPlan>> PlanQuantization(const QuantConfig& config,
                                                       const std::vector<QuantLayerRef>& layers) {
  quant_config::Errors errors(config.origin, /*once_per_key=*/true);
  CheckNames(config, layers, errors);
  bool any_activations = false;
  for (const QuantRule& r : config.rules) any_activations = any_activations || r.input || r.output;
  const bool static_int8 = Int8Kernels(config, any_activations);
  std::vector<LayerQuantPlan> plans;
  int quantized = 0;
  for (const QuantLayerRef& l : layers) {
    LayerQuantPlan p;
    p.layer = l.name;
    p.op_type = l.op_type;
    int excluded_by = -1;
    for (size_t i = 0; i < config.rules.size(); ++i) {
      const QuantRule& r = config.rules[i];
      if (!RuleMatches(r.select, l.op_type, l.name)) continue;
      if (r.exclude) {
        p.input = p.weight = p.output = std::nullopt;
        excluded_by = static_cast<int>(i);
        continue;
      }
      if (r.input) p.input = r.input;
      if (r.output) p.output = r.output;
      if (r.weight) p.weight = r.weight, p.weight_per_tensor = r.weight_per_tensor;
    }
    const bool selected = p.input || p.weight || p.output;
    if (!selected) {
      p.reason = excluded_by >= 0 ? "excluded by config_list[" + std::to_string(excluded_by) + "]"
                                  : "no config_list entry selects it";
    } else {
      p.reason = MissingTarget(config, static_int8, p);
    }
    quantized += p.quantized();
    plans.push_back(std::move(p));
  }
  if (errors.empty() && quantized == 0) {
    errors.AddAt(1, 1, "config_list", "quantizes no layer of the model");
  }
  if (!errors.empty()) return InvalidArgument(errors.text());
  return plans;
}

}  // namespace hone::compress
